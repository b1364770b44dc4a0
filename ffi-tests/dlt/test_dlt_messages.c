/*
 * test_dlt_messages.c - log messages (RTLOG_TRACE .. RTLOG_FATAL) through Debian's real
 * dlt-daemon to a real libdlt client, as verbose DLT messages (ctest label `dlt`).
 *
 *   test_dlt_messages SCRATCH DLT_DAEMON DLT_CLIENT_DUMP
 *
 * One producer logs a message at each level, with integers of every width (signed and
 * unsigned), float and double, bool, char, a pointer, hex conversions, strings (one cut by the
 * producer, one NULL) and a format that is not one conversion per argument; a record goes in
 * between. What the client receives is checked message by message, in order:
 *
 *   - the DLT log level is the message's own (TRACE as VERBOSE), not the stream's (the
 *     critical stream is configured FATAL: its records go at FATAL, an ERROR message at ERROR);
 *   - the verbose bit, the argument count, and every argument's type info and value bytes,
 *     against payloads built here from the DLT specification's layout;
 *   - the text libdlt itself decodes from the arguments (dlt_message_payload, what
 *     dlt-receive -a prints), so a real DLT implementation reads every type as intended.
 */
#include "dlt_harness.h"

#include <stdbool.h>

/* ---- what we expect ------------------------------------------------------ */

typedef struct {
    unsigned msin, noar;
    uint8_t payload[1200];
    size_t len;
    const char *text; /* libdlt's rendering of the arguments (NULL: non-verbose) */
    int suffix;       /* text is only the end of it */
} want_t;

static want_t want[16];
static size_t n_want;

/* A verbose message at DLT level `level` (1 FATAL .. 6 VERBOSE) that libdlt prints as `text`. */
static want_t *expect(unsigned level, const char *text) {
    CHECK(n_want < sizeof want / sizeof want[0], "too many expected messages");
    want_t *w = &want[n_want++];
    memset(w, 0, sizeof *w);
    w->msin = (level << 4) | 1; /* DLT_TYPE_LOG, the level, DLT_MSIN_VERB */
    w->text = text;
    return w;
}

/* An argument: its 32-bit type info (little-endian, as MSBF is clear), then `n` value bytes. */
static void arg(want_t *w, uint32_t type_info, const void *value, size_t n) {
    memcpy(w->payload + w->len, &type_info, 4);
    memcpy(w->payload + w->len + 4, value, n);
    w->len += 4 + n;
    w->noar++;
}

/* DLT_TYPE_INFO_* and DLT_TYLE_* / DLT_SCOD_* (dlt_protocol.h, the AUTOSAR layout). */
enum { BOOL_ = 0x10, SINT = 0x20, UINT = 0x40, FLOA = 0x80, STRG = 0x200 };
enum { B8 = 1, B16 = 2, B32 = 3, B64 = 4, UTF8 = 0x8000, HEX = 0x10000 };

/* A string argument: UTF-8 coding, u16 length with the NUL, the bytes, the NUL. */
static void str(want_t *w, const char *s) {
    uint8_t v[600];
    uint16_t n = (uint16_t)(strlen(s) + 1);
    memcpy(v, &n, 2);
    memcpy(v + 2, s, n);
    arg(w, STRG | UTF8, v, 2u + n);
}

#define SCALAR(w, info, type, value)      \
    do {                                  \
        type v_ = (value);                \
        arg((w), (info), &v_, sizeof v_); \
    } while (0)

/* ---- checking what arrived ------------------------------------------------ */

static const char *hex_of(const uint8_t *p, size_t n) {
    static char bufs[2][2 * 1200 + 1]; /* two calls in one message */
    static int which;
    char *buf = bufs[which ^= 1];
    for (size_t i = 0; i < n && i < 1200; i++) sprintf(buf + 2 * i, "%02x", p[i]);
    buf[2 * (n < 1200 ? n : 1200)] = 0;
    return buf;
}

/* The cut string of message `k`: its argument is the first `stored` bytes of `full` and the
 * renderer's mark "…"; returns `stored`, after checking its layout. */
static size_t check_cut_string(size_t k, const uint8_t *p, const char *full) {
    uint32_t info;
    uint16_t n;
    memcpy(&info, p, 4);
    memcpy(&n, p + 4, 2);
    CHECK(info == (STRG | UTF8), "message %zu: cut string type info %x", k, info);
    const char *mark = "\xe2\x80\xa6"; /* U+2026, what rtlog dump prints after a cut string */
    CHECK(n > 4 && p[6 + n - 1] == 0, "message %zu: cut string length %u", k, n);
    size_t stored = n - 1u - 3u;
    CHECK(stored > 0 && stored < strlen(full), "message %zu: %zu of %zu bytes stored, expected a cut",
          k, stored, strlen(full));
    CHECK(!memcmp(p + 6, full, stored) && !memcmp(p + 6 + stored, mark, 3),
          "message %zu: the cut string is not a prefix followed by the mark", k);
    return stored;
}

/* Compares the received log messages of our application with `want`, in order. The message
 * at index `cut_at` has its first argument checked by check_cut_string (its length depends
 * on the slot size), the rest byte for byte. */
static void compare(size_t cut_at, const char *full) {
    size_t k = 0, i = 0;
    for (line_t *l; (l = next_ours(&i)) != NULL;) {
        CHECK(k < n_want, "message %zu: more messages than expected (%zu)", k, n_want);
        want_t *w = &want[k];
        CHECK(!strcmp(l->ctid, "CTL_"), "message %zu: context %s", k, l->ctid);
        CHECK(l->msin == w->msin, "message %zu: msin %02x, expected %02x", k, l->msin, w->msin);
        CHECK(l->noar_or_service == w->noar, "message %zu: noar %u, expected %u", k,
              l->noar_or_service, w->noar);
        const uint8_t *p = l->payload;
        size_t len = l->len;
        if (k == cut_at) {
            size_t stored = check_cut_string(k, p, full);
            p += 6 + stored + 3 + 1;
            len -= 6 + stored + 3 + 1;
        }
        CHECK(len == w->len && !memcmp(p, w->payload, w->len),
              "message %zu: payload\n  got      %s\n  expected %s", k, hex_of(p, len),
              hex_of(w->payload, w->len));
        printf("  %02x noar %2u  %s\n", l->msin, l->noar_or_service, l->text);
        if (w->text) {
            size_t n = strlen(l->text), m = strlen(w->text);
            int same = w->suffix ? n >= m && !strcmp(l->text + n - m, w->text)
                                 : !strcmp(l->text, w->text);
            CHECK(same, "message %zu: libdlt prints \"%s\", expected %s\"%s\"", k, l->text,
                  w->suffix ? "the end " : "", w->text);
        }
        k++;
    }
    CHECK(k == n_want, "received %zu of our messages, expected %zu", k, n_want);
}

/* ---- rtlog side ---------------------------------------------------------- */

static rtlog_producer *p;

/* Moves what was just published to the writer, so that DLT sees the publish order. */
static void tick(void) {
    uint32_t moved = 0;
    CHECK_STATUS(rtlog_tick(lg, &moved), RTLOG_OK);
    CHECK(moved == 1, "tick moved %u, expected 1", moved);
}

int main(int argc, char **argv) {
    harness_start(argc, argv);
    rtlog_config cfg;
    harness_config(&cfg);
    cfg.dlt_level_critical = RTLOG_DLT_LEVEL_FATAL; /* records; messages keep their own level */
    cfg.dlt_level_normal = RTLOG_DLT_LEVEL_INFO;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "ctl", &p), RTLOG_OK);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    rtlog_set_level(lg, RTLOG_LEVEL_TRACE);

    want_t *w;
    CHECK_STATUS(RTLOG_TRACE(p, "trace %hhd and %hd", (signed char)-5, (short)-300), RTLOG_OK);
    tick();
    w = expect(6, "trace -5 and -300");
    str(w, "trace");
    SCALAR(w, SINT | B8, int8_t, -5);
    str(w, "and");
    SCALAR(w, SINT | B16, int16_t, -300);

    CHECK_STATUS(RTLOG_DEBUG(p, "debug %d %lld", -70000, -5000000000LL), RTLOG_OK);
    tick();
    w = expect(5, "debug -70000 -5000000000");
    str(w, "debug");
    SCALAR(w, SINT | B32, int32_t, -70000);
    SCALAR(w, SINT | B64, int64_t, -5000000000LL);

    CHECK_STATUS(RTLOG_INFO(p, "info %hhu %hu %u %llu", (unsigned char)200, (unsigned short)60000,
                            4000000000u, 18000000000000000000ull),
                 RTLOG_OK);
    tick();
    w = expect(4, "info 200 60000 4000000000 18000000000000000000");
    str(w, "info");
    SCALAR(w, UINT | B8, uint8_t, 200);
    SCALAR(w, UINT | B16, uint16_t, 60000);
    SCALAR(w, UINT | B32, uint32_t, 4000000000u);
    SCALAR(w, UINT | B64, uint64_t, 18000000000000000000ull);

    CHECK_STATUS(RTLOG_WARN(p, "joint %u over torque limit %.3f Nm", 3u, 12.5), RTLOG_OK);
    tick();
    w = expect(3, "joint 3 over torque limit 12.5 Nm");
    str(w, "joint");
    SCALAR(w, UINT | B32, uint32_t, 3);
    str(w, "over torque limit");
    SCALAR(w, FLOA | B64, double, 12.5);
    str(w, "Nm");

    /* A record between the messages: non-verbose, at the critical stream's level. */
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 77, "rec", 3), RTLOG_OK);
    tick();
    w = expect(1, NULL);
    w->msin = 1 << 4; /* FATAL, non-verbose */
    uint8_t rec[7] = {77, 0, 0, 0, 'r', 'e', 'c'};
    memcpy(w->payload, rec, sizeof rec);
    w->len = sizeof rec;

    bool ok = true;
    CHECK_STATUS(RTLOG_ERROR(p, "mode %s, hex %x, ptr %p, grade %c%c, ok %d, gain %f", "auto",
                             0xbeefu, (void *)0x1234, (char)'A', 'B', ok, 1.5f),
                 RTLOG_OK);
    tick();
    /* ERROR on the critical stream configured FATAL: its own level. libdlt prints hex-coded
     * integers in their type's full width, and puts a space between all arguments. */
    w = expect(2, "mode auto , hex 0x0000beef , ptr 0x0000000000001234 , grade A B , ok 1 , "
                  "gain 1.5");
    str(w, "mode");
    str(w, "auto");
    str(w, ", hex");
    SCALAR(w, UINT | B32 | HEX, uint32_t, 0xbeef);
    str(w, ", ptr");
    SCALAR(w, UINT | B64 | HEX, uint64_t, 0x1234);
    str(w, ", grade");
    str(w, "A"); /* %c of a char: a one-character string */
    str(w, "B"); /* %c of an int ('B'): the same */
    str(w, ", ok");
    SCALAR(w, BOOL_ | B8, uint8_t, 1);
    str(w, ", gain");
    SCALAR(w, FLOA | B32, float, 1.5f);

    /* A string longer than a slot: the producer cuts it, DLT shows the mark. And a NULL one. */
    static char full[400];
    for (size_t i = 0; i < sizeof full - 1; i++) full[i] = (char)('a' + i % 26);
    const char *none = NULL;
    CHECK_STATUS(RTLOG_FATAL(p, "%s none %s", full, none), RTLOG_OK);
    tick();
    size_t cut_at = n_want;
    w = expect(1, "\xe2\x80\xa6 none (null)");
    w->suffix = 1;
    w->noar = 1; /* the cut string, checked on its own */
    str(w, "none");
    str(w, "(null)");

    /* Not one conversion per argument: the format whole, then every argument. */
    CHECK_STATUS(RTLOG_INFO(p, "width %*d", 6, 42), RTLOG_OK);
    tick();
    w = expect(4, "width %*d 6 42");
    str(w, "width %*d");
    SCALAR(w, SINT | B32, int32_t, 6);
    SCALAR(w, SINT | B32, int32_t, 42);

    CHECK_STATUS(rtlog_flush(lg, 20000), RTLOG_OK);
    wait_for_messages(n_want, "messages");
    compare(cut_at, full);
    rtlog_dlt_stats s = dlt_stats_when_sent(n_want);
    CHECK(s.offered == n_want && s.sent == n_want && s.lost == 0,
          "offered %llu sent %llu lost %llu, expected %zu each and none lost",
          (unsigned long long)s.offered, (unsigned long long)s.sent, (unsigned long long)s.lost,
          n_want);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
    harness_end();
    printf("test_dlt_messages: ok: %zu messages at every level, every argument type checked as "
           "received by a libdlt client\n",
           n_want);
    return 0;
}
