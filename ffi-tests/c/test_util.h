/*
 * test_util.h - tiny helpers shared by the C tests in ffi-tests/c (and the
 * C++ tests in ffi-tests/cpp: keep it valid C++).
 *
 * Include this header FIRST in a test file: it sets the POSIX/XSI feature
 * macros that mkdtemp, nftw and clock_gettime need under -std=c11.
 *
 * Every test executable takes an optional argv[1]: a base scratch directory
 * under which it puts its log directories (created if missing). Without it,
 * a fresh mkdtemp directory under /tmp is used and removed on success.
 * On failure nothing is removed, so the log directories can be inspected.
 *
 * Not thread-safe except CHECK/CHECK_STATUS (which only print and exit),
 * the logger helpers and tu_now_ns; call the directory helpers from the main
 * thread.
 */
#ifndef RTLOG_TEST_UTIL_H
#define RTLOG_TEST_UTIL_H

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw, FTW_PHYS, mkdtemp, clock_gettime */
#endif

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rtlog.h"

/* ---- failure reporting ------------------------------------------------ */

static inline void tu_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", file, line, what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    exit(1);
}

/* CHECK(cond, fmt, ...): on failure print file:line, the condition and the
 * formatted message, then exit(1). */
#define CHECK(cond, ...)                                            \
    do {                                                            \
        if (!(cond))                                                \
            tu_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);        \
    } while (0)

/* Text for a status even if the library returns NULL (itself a bug). */
static inline const char *tu_status_name(rtlog_status s)
{
    const char *t = rtlog_status_str(s);
    return t ? t : "(NULL from rtlog_status_str)";
}

static inline const char *tu_last_error(void)
{
    const char *t = rtlog_last_error();
    return t ? t : "(NULL from rtlog_last_error)";
}

/* CHECK_STATUS(expr, expected): evaluate expr once; on mismatch print both
 * statuses (number and rtlog_status_str) and rtlog_last_error(), exit(1). */
#define CHECK_STATUS(expr, expected)                                            \
    do {                                                                        \
        rtlog_status tu_got_ = (expr);                                          \
        rtlog_status tu_want_ = (expected);                                     \
        if (tu_got_ != tu_want_)                                                \
            tu_fail(__FILE__, __LINE__, #expr,                                  \
                    "expected %d (%s), got %d (%s); rtlog_last_error: \"%s\"",  \
                    (int)tu_want_, tu_status_name(tu_want_), (int)tu_got_,      \
                    tu_status_name(tu_got_), tu_last_error());                  \
    } while (0)

/* TU_RUN(case): prints the case's name, runs it (a failed CHECK exits),
 * prints "ok" and counts it in tu_cases_run. */
static int tu_cases_run __attribute__((unused));
#define TU_RUN(fn)                  \
    do {                            \
        printf("%-60s", #fn);       \
        fflush(stdout);             \
        fn();                       \
        printf("ok\n");             \
        tu_cases_run++;             \
    } while (0)

/* ---- scratch directories ---------------------------------------------- */

static char tu_base_dir[4096];
static int tu_base_is_temp;  /* 1: we made it with mkdtemp, remove it whole */
static char *tu_made[256];   /* dirs made under a caller-given base */
static int tu_made_count;
static unsigned tu_dir_counter;

static inline int tu_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "warning: cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* rm -rf path (does not follow symlinks). Returns 0 on success or if the
 * path does not exist. */
static inline int tu_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Set up the base directory from argv[1] (created if missing) or mkdtemp. */
static inline void tu_init(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] != '\0') {
        CHECK(strlen(argv[1]) < sizeof tu_base_dir - 64, "base dir path too long");
        strcpy(tu_base_dir, argv[1]);
        if (mkdir(tu_base_dir, 0777) != 0)
            CHECK(errno == EEXIST, "mkdir %s: %s", tu_base_dir, strerror(errno));
        tu_base_is_temp = 0;
    } else {
        strcpy(tu_base_dir, "/tmp/rtlog-ctest-XXXXXX");
        CHECK(mkdtemp(tu_base_dir) != NULL, "mkdtemp: %s", strerror(errno));
        tu_base_is_temp = 1;
    }
}

/* A path "<base>/<name>-<pid>-<n>" that did not exist; not created.
 * Returned string is malloc'd and is removed by tu_cleanup. */
static inline char *tu_path(const char *name)
{
    size_t n = strlen(tu_base_dir) + strlen(name) + 64;
    char *p = (char *)malloc(n); /* cast: also included from C++ tests */
    CHECK(p != NULL, "out of memory");
    CHECK(tu_made_count < (int)(sizeof tu_made / sizeof tu_made[0]), "too many scratch dirs");
    snprintf(p, n, "%s/%s-%ld-%u", tu_base_dir, name, (long)getpid(), tu_dir_counter++);
    CHECK(tu_rm_rf(p) == 0, "cannot clear stale %s", p);
    tu_made[tu_made_count++] = p;
    return p;
}

/* A fresh, empty, existing directory under the base. */
static inline char *tu_fresh_dir(const char *name)
{
    char *p = tu_path(name);
    CHECK(mkdir(p, 0777) == 0, "mkdir %s: %s", p, strerror(errno));
    return p;
}

/* "<base>/<name>", cleared and not created: a path kept after the test (tu_cleanup leaves it,
 * unless the base itself is a temporary directory), for a later test to check (a fixture). */
static inline char *tu_kept_path(const char *name)
{
    static char p[sizeof tu_base_dir + 64];
    CHECK(strlen(name) < 48, "kept path name too long");
    snprintf(p, sizeof p, "%s/%s", tu_base_dir, name);
    CHECK(tu_rm_rf(p) == 0, "cannot clear %s", p);
    return p;
}

/* Remove everything this test made. Call only on success. */
static inline void tu_cleanup(void)
{
    for (int i = 0; i < tu_made_count; i++) {
        if (tu_made[i] == NULL)
            continue;
        tu_rm_rf(tu_made[i]);
        free(tu_made[i]);
    }
    tu_made_count = 0;
    if (tu_base_is_temp)
        tu_rm_rf(tu_base_dir);
}

/* ---- loggers ------------------------------------------------------------ */

/* rtlog_config_init, then dir. */
static inline void tu_config(rtlog_config *cfg, const char *dir)
{
    rtlog_config_init(cfg, sizeof *cfg);
    cfg->dir = dir;
}

/* rtlog_init that must succeed and give a non-NULL logger. */
static inline rtlog_logger *tu_logger_new(const rtlog_config *cfg)
{
    rtlog_logger *lg = NULL;
    CHECK_STATUS(rtlog_init(cfg, &lg), RTLOG_OK);
    CHECK(lg != NULL, "rtlog_init returned OK but *out is NULL");
    return lg;
}

/* rtlog_producer_create that must succeed and give a non-NULL handle. */
static inline rtlog_producer *tu_producer_new(rtlog_logger *lg, const char *name)
{
    rtlog_producer *p = NULL;
    CHECK_STATUS(rtlog_producer_create(lg, name, &p), RTLOG_OK);
    CHECK(p != NULL, "rtlog_producer_create(\"%s\") returned OK but *out is NULL", name);
    return p;
}

/* rtlog_get_stats that must succeed. */
static inline rtlog_stats tu_stats(const rtlog_logger *lg)
{
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    return st;
}

/* ---- self-checking payloads -------------------------------------------- */

/* A payload whose every byte is a function of (producer, stream, seq): 12
 * bytes of head (u16 producer, u8 stream, u8 0, u64 seq, little or big endian
 * as the host) then filler, for a length in 12..=cap that also depends on
 * seq. A reader can then tell a record that came back damaged, or under
 * another producer's name, from an intact one. */
enum { TU_PAYLOAD_HEAD = 12 };

static inline uint8_t tu_payload_byte(uint16_t producer, uint8_t stream, uint64_t seq, uint32_t i)
{
    uint64_t z = seq * 0x9E3779B97F4A7C15ull + ((uint64_t)producer << 8 | stream) + i * 0xBF58476D1CE4E5B9ull;
    return (uint8_t)(z >> 56);
}

/* Fills buf (cap >= TU_PAYLOAD_HEAD bytes) and returns the length used. */
static inline uint32_t tu_payload_make(uint8_t *buf, uint32_t cap, uint16_t producer, uint8_t stream, uint64_t seq)
{
    uint32_t len = TU_PAYLOAD_HEAD + (uint32_t)((seq * 7) % (cap - TU_PAYLOAD_HEAD + 1));
    memcpy(buf, &producer, 2);
    buf[2] = stream;
    buf[3] = 0;
    memcpy(buf + 4, &seq, 8);
    for (uint32_t i = TU_PAYLOAD_HEAD; i < len; i++)
        buf[i] = tu_payload_byte(producer, stream, seq, i);
    return len;
}

/* 1 if (buf, len) is exactly what tu_payload_make(.., cap, producer, stream,
 * seq) made; *seq_out (if not NULL) receives the seq found in the head. */
static inline int tu_payload_check(const uint8_t *buf, uint32_t len, uint32_t cap, uint16_t producer, uint8_t stream,
                                   uint64_t *seq_out)
{
    uint16_t pr;
    uint64_t seq;
    if (buf == NULL || len < TU_PAYLOAD_HEAD || len > cap)
        return 0;
    memcpy(&pr, buf, 2);
    memcpy(&seq, buf + 4, 8);
    if (seq_out)
        *seq_out = seq;
    if (pr != producer || buf[2] != stream || buf[3] != 0)
        return 0;
    if (len != TU_PAYLOAD_HEAD + (uint32_t)((seq * 7) % (cap - TU_PAYLOAD_HEAD + 1)))
        return 0;
    for (uint32_t i = TU_PAYLOAD_HEAD; i < len; i++)
        if (buf[i] != tu_payload_byte(producer, stream, seq, i))
            return 0;
    return 1;
}

/* ---- reading a log back ------------------------------------------------- */

/* Reads every data record of dir with rtlog_reader_next and calls fn on each
 * (fn may be NULL). Checks what holds for any log: only OK then END (which
 * repeats), non-NULL payload when len > 0, LSNs strictly ascending, producer
 * ids below TU_MAX_PRODUCERS, and per epoch, producer and stream, seqs
 * strictly ascending (no record twice) -- except for the producers whose bit
 * is set in `lax` (a handle used wrongly). Returns the record count. */
#define TU_MAX_PRODUCERS 64
static inline uint64_t tu_walk_log_lax(const char *dir, uint64_t lax, void (*fn)(const rtlog_record *, void *),
                                       void *ctx)
{
    static uint64_t next_seq[TU_MAX_PRODUCERS][2]; /* lowest seq the next record may have */
    rtlog_reader *r = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint64_t n = 0, last_lsn = 0;
    uint32_t epoch = 0;
    rtlog_status s;

    memset(next_seq, 0, sizeof next_seq);
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    CHECK(r != NULL, "rtlog_reader_open returned OK but *out is NULL");
    while ((s = rtlog_reader_next(r, &rec)) == RTLOG_OK) {
        CHECK(rec.lsn > last_lsn, "%s: record %llu: lsn %llu after %llu", dir, (unsigned long long)n,
              (unsigned long long)rec.lsn, (unsigned long long)last_lsn);
        CHECK(rec.epoch >= epoch, "%s: record %llu: epoch %u after %u", dir, (unsigned long long)n,
              (unsigned)rec.epoch, (unsigned)epoch);
        if (rec.epoch != epoch)
            memset(next_seq, 0, sizeof next_seq);
        epoch = rec.epoch;
        CHECK(rec.producer < TU_MAX_PRODUCERS && rec.stream < 2, "%s: record %llu: producer %u stream %u", dir,
              (unsigned long long)n, (unsigned)rec.producer, (unsigned)rec.stream);
        /* Published records and messages (RTLOG_INFO...: they take seqs like records). */
        CHECK(rec.kind == RTLOG_FRAME_DATA || rec.kind == RTLOG_FRAME_MESSAGE,
              "%s: rtlog_reader_next gave a record of kind %u", dir, (unsigned)rec.kind);
        CHECK(rec.seq >= next_seq[rec.producer][rec.stream] || (lax >> rec.producer & 1),
              "%s: epoch %u producer %u stream %u: seq %llu after %llu (twice, or out of order)", dir,
              (unsigned)rec.epoch, (unsigned)rec.producer, (unsigned)rec.stream, (unsigned long long)rec.seq,
              (unsigned long long)next_seq[rec.producer][rec.stream] - 1);
        CHECK(rec.len == 0 || rec.payload != NULL, "%s: record %llu: NULL payload with len %u", dir,
              (unsigned long long)n, (unsigned)rec.len);
        next_seq[rec.producer][rec.stream] = rec.seq + 1;
        last_lsn = rec.lsn;
        if (fn)
            fn(&rec, ctx);
        n++;
    }
    CHECK_STATUS(s, RTLOG_END);
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END);
    rtlog_reader_close(r);
    return n;
}

static inline uint64_t tu_walk_log(const char *dir, void (*fn)(const rtlog_record *, void *), void *ctx)
{
    return tu_walk_log_lax(dir, 0, fn, ctx);
}

/* A test that garbles some producers' records on purpose (a handle used by
 * two threads) leaves this file in the log directory, holding the lax mask,
 * so that ffi-tests/faults/log_check.c reads the log as tu_walk_log_lax
 * would, should the test fail (under injected faults) before removing it. */
#define TU_LAX_FILE "RTLOG_TEST_LAX"

/* ---- time ------------------------------------------------------------- */

static inline uint64_t tu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* RTLOG_TEST_UTIL_H */
