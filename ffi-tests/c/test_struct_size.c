/*
 * test_struct_size.c - the struct_size rule of the structs the library writes into the
 * caller's memory, checked byte by byte with canaries.
 *
 * Each of rtlog_stats, rtlog_producer_stats, rtlog_dlt_stats, rtlog_reader_counts,
 * rtlog_record, rtlog_message_info and rtlog_message_arg is placed in one buffer between canary bytes (0xA5 before and after, and
 * everywhere the library must not write), then filled by the library with a struct_size of:
 *   - the first version's size (FIRST_* below, frozen: the sizeof of the 0.2.0 header): the
 *     library writes exactly those bytes, its values are there, and nothing past them;
 *   - more than the library's sizeof (a caller built against a newer header): the library
 *     writes its own sizeof and leaves the rest of the caller's struct untouched;
 *   - too small (0, 4, 8, or one byte short of the first version, ending inside a field): the
 *     call is RTLOG_ERR_INVALID_ARGUMENT and writes nothing.
 * The _init functions write exactly the size they are given, and nothing past it.
 *
 * Usage: test_struct_size [base-scratch-dir]
 */
#include "test_util.h"

/* The sizeof of each struct in the first version with struct_size (0.2.0, x86-64 and AArch64
 * Linux). Frozen: later versions append fields, and a caller built against 0.2.0 passes these. */
enum {
    FIRST_STATS = 184,
    FIRST_PRODUCER_STATS = 80,
    FIRST_DLT_STATS = 112,
    FIRST_READER_COUNTS = 72,
    FIRST_RECORD = 64,
    /* First published in 0.3.0. */
    FIRST_MESSAGE_INFO = 48,
    FIRST_MESSAGE_ARG = 32,
};

enum { PAD = 64, ROOM = 512, CANARY = 0xA5 };

static _Alignas(16) unsigned char buf[PAD + ROOM + PAD];

static rtlog_logger *lg;
static rtlog_producer *prod;
static rtlog_reader *reader;
static const char *dir;

/* One versioned struct: its name, the library's sizeof (this header's), its first version's
 * size, the call that fills it, and a check of the values the call wrote. */
struct versioned {
    const char *name;
    size_t size;
    uint32_t first;
    rtlog_status (*fill)(void *out);
    void (*check)(const void *out, size_t written);
    void (*init)(void *out, size_t size);
};

static rtlog_status fill_stats(void *out) { return rtlog_get_stats(lg, (rtlog_stats *)out); }
static rtlog_status fill_producer_stats(void *out) { return rtlog_producer_get_stats(prod, (rtlog_producer_stats *)out); }
static rtlog_status fill_dlt_stats(void *out) { return rtlog_dlt_get_stats(lg, (rtlog_dlt_stats *)out); }
static rtlog_status fill_reader_counts(void *out) { return rtlog_reader_stats(reader, (rtlog_reader_counts *)out); }

/* A fresh reader for every record read, so that each reads the log's first record; kept open
 * until the next, since the record's payload points into it. */
static rtlog_reader *record_reader;
static rtlog_status fill_record(void *out)
{
    rtlog_reader_close(record_reader);
    record_reader = NULL;
    CHECK_STATUS(rtlog_reader_open(dir, &record_reader), RTLOG_OK);
    return rtlog_reader_next(record_reader, (rtlog_record *)out);
}

/* The log's one message (the WARN of main), read by its own reader, which stays on it. */
static rtlog_reader *message_reader;
static rtlog_record message_rec;
static unsigned message_line;
static rtlog_status fill_message_info(void *out)
{
    return rtlog_reader_message(message_reader, &message_rec, (rtlog_message_info *)out);
}
static rtlog_status fill_message_arg(void *out)
{
    return rtlog_reader_message_arg(message_reader, &message_rec, 1, (rtlog_message_arg *)out);
}

static void init_stats(void *out, size_t size) { rtlog_stats_init((rtlog_stats *)out, size); }
static void init_producer_stats(void *out, size_t size) { rtlog_producer_stats_init((rtlog_producer_stats *)out, size); }
static void init_dlt_stats(void *out, size_t size) { rtlog_dlt_stats_init((rtlog_dlt_stats *)out, size); }
static void init_reader_counts(void *out, size_t size) { rtlog_reader_counts_init((rtlog_reader_counts *)out, size); }
static void init_record(void *out, size_t size) { rtlog_record_init((rtlog_record *)out, size); }
static void init_message_info(void *out, size_t size) { rtlog_message_info_init((rtlog_message_info *)out, size); }
static void init_message_arg(void *out, size_t size) { rtlog_message_arg_init((rtlog_message_arg *)out, size); }

/* The values, read from the struct as far as it was written (fields past `written` are not). */
#define WRITTEN(type, field) (offsetof(type, field) + sizeof(((type *)0)->field) <= written)

static void check_stats(const void *out, size_t written)
{
    rtlog_stats st;
    memcpy(&st, out, sizeof st);
    CHECK(WRITTEN(rtlog_stats, epoch) && st.epoch == 1, "rtlog_stats.epoch = %u", (unsigned)st.epoch);
    CHECK(st.published[RTLOG_STREAM_CRITICAL] == 1, "rtlog_stats.published[0] = %llu",
          (unsigned long long)st.published[0]);
}

static void check_producer_stats(const void *out, size_t written)
{
    rtlog_producer_stats ps;
    memcpy(&ps, out, sizeof ps);
    CHECK(WRITTEN(rtlog_producer_stats, id) && ps.id == 0, "rtlog_producer_stats.id = %u", (unsigned)ps.id);
    CHECK(ps.published[RTLOG_STREAM_CRITICAL] == 1, "published[0] = %llu", (unsigned long long)ps.published[0]);
}

static void check_dlt_stats(const void *out, size_t written)
{
    rtlog_dlt_stats ds;
    memcpy(&ds, out, sizeof ds);
    CHECK(WRITTEN(rtlog_dlt_stats, last_errno) && ds.enabled == 0 && ds.offered == 0 && ds.last_errno == 0,
          "rtlog_dlt_stats of a logger without DLT: enabled %u offered %llu", (unsigned)ds.enabled,
          (unsigned long long)ds.offered);
}

static void check_reader_counts(const void *out, size_t written)
{
    rtlog_reader_counts c;
    memcpy(&c, out, sizeof c);
    CHECK(WRITTEN(rtlog_reader_counts, crashed_epochs) && c.records == 2 && c.epochs == 1 &&
              c.crashed_epochs == 1, /* still being written */
          "rtlog_reader_counts: records %llu epochs %llu crashed %llu", (unsigned long long)c.records,
          (unsigned long long)c.epochs, (unsigned long long)c.crashed_epochs);
}

static void check_record(const void *out, size_t written)
{
    rtlog_record rec;
    memcpy(&rec, out, sizeof rec);
    CHECK(WRITTEN(rtlog_record, kind) && rec.kind == RTLOG_FRAME_DATA && rec.seq == 0 && rec.len == 4 &&
              rec.type == 9 && rec.payload != NULL && memcmp(rec.payload, "abcd", 4) == 0,
          "rtlog_record: kind %u seq %llu len %u type %u", (unsigned)rec.kind, (unsigned long long)rec.seq,
          (unsigned)rec.len, (unsigned)rec.type);
}

static void check_message_info(const void *out, size_t written)
{
    rtlog_message_info m;
    memcpy(&m, out, sizeof m);
    CHECK(WRITTEN(rtlog_message_info, format) && m.callsite == 1 && m.level == RTLOG_LEVEL_WARN &&
              m.line == message_line && m.arg_count == 2 && m.known == 1 && strcmp(m.file, __FILE__) == 0 &&
              strcmp(m.function, "main") == 0 && strcmp(m.format, "canary %u %s") == 0,
          "rtlog_message_info: callsite %u level %u line %u args %u known %u", (unsigned)m.callsite,
          (unsigned)m.level, (unsigned)m.line, (unsigned)m.arg_count, (unsigned)m.known);
}

static void check_message_arg(const void *out, size_t written)
{
    rtlog_message_arg a;
    memcpy(&a, out, sizeof a);
    CHECK(WRITTEN(rtlog_message_arg, is_null) && a.type == RTLOG_ARG_STR && a.length == 2 &&
              strcmp(a.value.p, "hi") == 0 && a.truncated == 0 && a.is_null == 0,
          "rtlog_message_arg: type %u length %llu", (unsigned)a.type, (unsigned long long)a.length);
}

/* Every byte of buf outside [PAD + from, PAD + to) is still the canary. */
static void check_canaries(const char *what, const struct versioned *v, size_t from, size_t to)
{
    for (size_t i = 0; i < sizeof buf; i++) {
        if (i >= PAD + from && i < PAD + to)
            continue;
        CHECK(buf[i] == CANARY, "%s %s: byte %zd (from the struct's start) was written (0x%02x)", v->name, what,
              (ptrdiff_t)i - PAD, buf[i]);
    }
}

static void fill_with(const struct versioned *v, uint32_t struct_size, rtlog_status want)
{
    char what[64];
    snprintf(what, sizeof what, "struct_size %u", (unsigned)struct_size);
    memset(buf, CANARY, sizeof buf);
    memcpy(buf + PAD, &struct_size, sizeof struct_size);
    rtlog_status s = v->fill(buf + PAD);
    CHECK(s == want, "%s %s: %s, expected %s", v->name, what, tu_status_name(s), tu_status_name(want));
    uint32_t after;
    memcpy(&after, buf + PAD, sizeof after);
    CHECK(after == struct_size, "%s %s: struct_size became %u", v->name, what, (unsigned)after);
    if (want != RTLOG_OK) {
        check_canaries(what, v, 0, sizeof struct_size); /* nothing written */
        return;
    }
    size_t written = struct_size < v->size ? struct_size : v->size;
    check_canaries(what, v, 0, written);
    v->check(buf + PAD, written);
}

static void check_struct(const struct versioned *v)
{
    CHECK(v->size >= v->first, "%s: sizeof %zu is smaller than the first version's %u", v->name, v->size,
          (unsigned)v->first);
    CHECK(v->size + 64 <= ROOM, "%s: sizeof %zu does not fit the test's buffer", v->name, v->size);
    /* An older (or this) caller: exactly its bytes. */
    fill_with(v, v->first, RTLOG_OK);
    /* This library's own size, and a newer caller's larger struct: the library's bytes only. */
    fill_with(v, (uint32_t)v->size, RTLOG_OK);
    fill_with(v, (uint32_t)v->size + 64, RTLOG_OK);
    /* Too small, or ending inside a field: refused, nothing written. */
    const uint32_t small[] = {0, 4, 8, v->first - 1, v->first - 4};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        fill_with(v, small[i], RTLOG_ERR_INVALID_ARGUMENT);

    /* The _init function writes the size it is given (zeros, struct_size), nothing past it. */
    const size_t sizes[] = {v->first, v->size, v->size + 64};
    for (size_t i = 0; i < 3; i++) {
        memset(buf, CANARY, sizeof buf);
        v->init(buf + PAD, sizes[i]);
        uint32_t ss;
        memcpy(&ss, buf + PAD, sizeof ss);
        CHECK(ss == sizes[i], "%s_init(p, %zu): struct_size %u", v->name, sizes[i], (unsigned)ss);
        for (size_t b = sizeof ss; b < sizes[i]; b++)
            CHECK(buf[PAD + b] == 0, "%s_init(p, %zu): byte %zu not zeroed", v->name, sizes[i], b);
        check_canaries("init", v, 0, sizes[i]);
    }
    memset(buf, CANARY, sizeof buf);
    v->init(buf + PAD, 3); /* no room for struct_size */
    check_canaries("init(p, 3)", v, 0, 0);
    printf("%-22s sizeof %3zu, first version %3u: ok\n", v->name, v->size, (unsigned)v->first);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    dir = tu_path("log");

    /* One record in a log; the logger stays open for the statistics. */
    rtlog_config cfg;
    tu_config(&cfg, dir);
    cfg.manual = 1;
    lg = tu_logger_new(&cfg);
    prod = tu_producer_new(lg, "canary");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_publish(prod, RTLOG_STREAM_CRITICAL, 9, "abcd", 4), RTLOG_OK);
    CHECK_STATUS(rtlog_tick(lg, NULL), RTLOG_OK);
    message_line = __LINE__; CHECK_STATUS(RTLOG_WARN(prod, "canary %u %s", 7u, "hi"), RTLOG_OK);
    CHECK_STATUS(rtlog_tick(lg, NULL), RTLOG_OK);
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_open(dir, &reader), RTLOG_OK);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    CHECK_STATUS(rtlog_reader_next(reader, &rec), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_next(reader, &rec), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_next(reader, &rec), RTLOG_END);
    CHECK_STATUS(rtlog_reader_open(dir, &message_reader), RTLOG_OK);
    rtlog_record_init(&message_rec);
    CHECK_STATUS(rtlog_reader_next(message_reader, &message_rec), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_next(message_reader, &message_rec), RTLOG_OK);
    CHECK(message_rec.kind == RTLOG_FRAME_MESSAGE, "the second record is the message: kind %u",
          (unsigned)message_rec.kind);

    const struct versioned all[] = {
        {"rtlog_stats", sizeof(rtlog_stats), FIRST_STATS, fill_stats, check_stats, init_stats},
        {"rtlog_producer_stats", sizeof(rtlog_producer_stats), FIRST_PRODUCER_STATS, fill_producer_stats,
         check_producer_stats, init_producer_stats},
        {"rtlog_dlt_stats", sizeof(rtlog_dlt_stats), FIRST_DLT_STATS, fill_dlt_stats, check_dlt_stats,
         init_dlt_stats},
        {"rtlog_reader_counts", sizeof(rtlog_reader_counts), FIRST_READER_COUNTS, fill_reader_counts,
         check_reader_counts, init_reader_counts},
        {"rtlog_record", sizeof(rtlog_record), FIRST_RECORD, fill_record, check_record, init_record},
        {"rtlog_message_info", sizeof(rtlog_message_info), FIRST_MESSAGE_INFO, fill_message_info,
         check_message_info, init_message_info},
        {"rtlog_message_arg", sizeof(rtlog_message_arg), FIRST_MESSAGE_ARG, fill_message_arg,
         check_message_arg, init_message_arg},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        check_struct(&all[i]);

    rtlog_reader_close(reader);
    rtlog_reader_close(record_reader);
    rtlog_reader_close(message_reader);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
    tu_cleanup();
    printf("test_struct_size: ok\n");
    return 0;
}
