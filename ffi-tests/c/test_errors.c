/*
 * test_errors.c - C tests for each error: publish/tick before start,
 * oversize, NULLs, unknown stream, full ring with dropped equal to the
 * refused count, producer creation after start, double shutdown, bad config
 * fields (each with a rtlog_last_error text).
 *
 * Each case is one small function that prints its name; the first failed
 * CHECK prints file:line and exits 1. Expectations come from
 * notes/contract.md ("Error semantics"). Where the contract is silent about a
 * NULL argument the test expects the house convention (STYLE.md: a NULL
 * pointer becomes RTLOG_ERR_INVALID_ARGUMENT); those checks are marked
 * "convention".
 *
 * Usage: test_errors [base-scratch-dir]
 */
#include "test_util.h"

#include <pthread.h>
#include <stddef.h>

/*
 * Non-RT failures must set rtlog_last_error(). To be sure the text comes from
 * the failing call and not from an earlier one, such calls run in a fresh
 * thread (the text is thread-local and starts as "").
 */
enum call_op { OP_INIT, OP_PRODUCER_CREATE, OP_START, OP_SHUTDOWN, OP_READER_OPEN };

struct call {
    enum call_op op;
    const rtlog_config *cfg; /* OP_INIT */
    rtlog_logger *lg;        /* OP_PRODUCER_CREATE, OP_START, OP_SHUTDOWN */
    const char *name;        /* OP_PRODUCER_CREATE */
    const char *dir;         /* OP_READER_OPEN */
    rtlog_status status;     /* out */
    char err[512];           /* out: rtlog_last_error() right after the call */
};

static void copy_last_error(struct call *c)
{
    const char *e = rtlog_last_error();
    snprintf(c->err, sizeof c->err, "%s", e ? e : "(NULL)");
}

static void *call_main(void *arg)
{
    struct call *c = arg;
    const char *e0 = rtlog_last_error();
    rtlog_logger *lg = NULL;
    rtlog_producer *p = NULL;
    rtlog_reader *r = NULL;

    CHECK(e0 != NULL && e0[0] == '\0', "a fresh thread's rtlog_last_error() is \"%s\", expected \"\"",
          e0 ? e0 : "(NULL)");
    switch (c->op) {
    case OP_INIT:
        c->status = rtlog_init(c->cfg, &lg);
        copy_last_error(c);
        if (c->status == RTLOG_OK)
            rtlog_destroy(lg);
        return NULL;
    case OP_PRODUCER_CREATE:
        c->status = rtlog_producer_create(c->lg, c->name, &p);
        break;
    case OP_START:
        c->status = rtlog_start(c->lg);
        break;
    case OP_SHUTDOWN:
        c->status = rtlog_shutdown(c->lg);
        break;
    case OP_READER_OPEN:
        c->status = rtlog_reader_open(c->dir, &r);
        copy_last_error(c);
        if (c->status == RTLOG_OK)
            rtlog_reader_close(r);
        return NULL;
    }
    copy_last_error(c);
    return NULL;
}

/* Run the call in a fresh thread; it must return `want` and leave a last
 * error text that is non-empty and, if `must_name` is given, contains it. */
static void expect_failure(struct call c, rtlog_status want, const char *must_name, const char *what)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, call_main, &c) == 0, "pthread_create");
    CHECK(pthread_join(t, NULL) == 0, "pthread_join");
    CHECK(c.status == want, "%s: returned %d (%s), expected %d (%s); rtlog_last_error: \"%s\"", what,
          (int)c.status, tu_status_name(c.status), (int)want, tu_status_name(want), c.err);
    CHECK(c.err[0] != '\0', "%s: rtlog_last_error() is empty after this non-RT failure", what);
    if (must_name)
        CHECK(strstr(c.err, must_name) != NULL, "%s: rtlog_last_error() = \"%s\" does not name \"%s\"", what,
              c.err, must_name);
}

static void expect_create_failure(rtlog_logger *lg, const char *name, rtlog_status want, const char *what)
{
    struct call c = {.op = OP_PRODUCER_CREATE, .lg = lg, .name = name};
    expect_failure(c, want, NULL, what);
}

/* ---- helpers --------------------------------------------------------------- */

/* A record copied out of the reader (payload is only valid until the next call). */
struct rec_copy {
    uint64_t lsn, seq;
    uint16_t producer, type;
    uint8_t stream;
    uint32_t len;
    uint8_t payload[64];
};

/* Read a whole log; checks the generic invariants (LSN ascending, per
 * producer+stream seq = 0,1,2..., END repeats) and returns the count. */
static size_t read_all(const char *dir, struct rec_copy *out, size_t cap)
{
    rtlog_reader *r = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint64_t next_seq[256][2];
    size_t n = 0;

    memset(next_seq, 0, sizeof next_seq);
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    CHECK(r != NULL, "rtlog_reader_open returned OK but *out is NULL");
    for (;;) {
        rtlog_status s = rtlog_reader_next(r, &rec);
        if (s == RTLOG_END)
            break;
        CHECK_STATUS(s, RTLOG_OK);
        CHECK(n < cap, "more than %zu records in %s", cap, dir);
        CHECK(rec.producer < 256 && rec.stream < 2, "record %zu: producer %u stream %u", n,
              (unsigned)rec.producer, (unsigned)rec.stream);
        CHECK(n == 0 || rec.lsn > out[n - 1].lsn, "record %zu: lsn not ascending", n);
        CHECK(rec.seq == next_seq[rec.producer][rec.stream],
              "record %zu: producer %u stream %u seq %llu, expected %llu", n, (unsigned)rec.producer,
              (unsigned)rec.stream, (unsigned long long)rec.seq,
              (unsigned long long)next_seq[rec.producer][rec.stream]);
        next_seq[rec.producer][rec.stream]++;
        CHECK(rec.len == 0 || rec.payload != NULL, "record %zu: NULL payload with len %u", n,
              (unsigned)rec.len);
        out[n].lsn = rec.lsn;
        out[n].seq = rec.seq;
        out[n].producer = rec.producer;
        out[n].type = rec.type;
        out[n].stream = rec.stream;
        out[n].len = rec.len;
        memset(out[n].payload, 0, sizeof out[n].payload);
        if (rec.len > 0)
            memcpy(out[n].payload, rec.payload, rec.len < 64 ? rec.len : 64);
        n++;
    }
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END);
    rtlog_reader_close(r);
    return n;
}

static const struct rec_copy *find_rec(const struct rec_copy *v, size_t n, unsigned stream, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].stream == stream && v[i].seq == seq)
            return &v[i];
    CHECK(0, "no record with stream %u seq %llu", stream, (unsigned long long)seq);
    return NULL;
}

/* ---- static text -------------------------------------------------------- */

static void test_status_str(void)
{
    for (int s = RTLOG_OK; s <= RTLOG_ERR_INTERNAL; s++) {
        const char *t = rtlog_status_str((rtlog_status)s);
        CHECK(t != NULL && t[0] != '\0', "rtlog_status_str(%d) is NULL or empty", s);
    }
    const int out_of_range[] = {11, 99, 0x7fffffff, -1};
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++) {
        const char *t = rtlog_status_str((rtlog_status)out_of_range[i]);
        CHECK(t != NULL && t[0] != '\0', "rtlog_status_str(%d) is NULL or empty", out_of_range[i]);
    }
}

static void test_version(void)
{
    char want[64];
    const char *v = rtlog_version();
    snprintf(want, sizeof want, "%d.%d.%d", (int)RTLOG_VERSION_MAJOR, (int)RTLOG_VERSION_MINOR,
             (int)RTLOG_VERSION_PATCH);
    CHECK(v != NULL, "rtlog_version() is NULL");
    CHECK(strcmp(v, want) == 0, "rtlog_version() = \"%s\", macros say \"%s\"", v, want);
}

static void test_config_defaults(void)
{
    rtlog_config c;
    memset(&c, 0xab, sizeof c);
    rtlog_config_init(&c, sizeof c);
    CHECK(c.struct_size == sizeof(rtlog_config), "struct_size %u, sizeof %zu", (unsigned)c.struct_size,
          sizeof(rtlog_config));
    CHECK(c.max_producers == 8, "max_producers default %u", (unsigned)c.max_producers);
    CHECK(c.max_record_size == 256, "max_record_size default %u", (unsigned)c.max_record_size);
    CHECK(c.critical_depth == 1024, "critical_depth default %u", (unsigned)c.critical_depth);
    CHECK(c.normal_depth == 4096, "normal_depth default %u", (unsigned)c.normal_depth);
    CHECK(c.dispatch_budget == 256, "dispatch_budget default %u", (unsigned)c.dispatch_budget);
    CHECK(c.dispatch_period_us == 1000, "dispatch_period_us default %u", (unsigned)c.dispatch_period_us);
    CHECK(c.durability == RTLOG_DURABILITY_FSYNC_BATCH, "durability default %d", (int)c.durability);
    CHECK(c.batch_records == 512, "batch_records default %u", (unsigned)c.batch_records);
    CHECK(c.batch_interval_us == 1000, "batch_interval_us default %u", (unsigned)c.batch_interval_us);
    CHECK(c.segment_bytes == 64ull << 20, "segment_bytes default %llu", (unsigned long long)c.segment_bytes);
}

/* Copies the text: it is thread-local, so it dies with the thread. */
static void *last_error_in_new_thread(void *arg)
{
    char *out = arg;
    const char *e = rtlog_last_error();
    snprintf(out, 256, "%s", e ? e : "(NULL)");
    return NULL;
}

static void test_last_error_thread_local(void)
{
    rtlog_config cfg;
    rtlog_logger *lg = NULL;
    pthread_t t;
    char other[256];

    tu_config(&cfg, tu_path("lasterr"));
    cfg.max_producers = 0;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_ERR_CONFIG);
    CHECK(rtlog_last_error() != NULL && rtlog_last_error()[0] != '\0', "no last error after a CONFIG failure");
    CHECK(pthread_create(&t, NULL, last_error_in_new_thread, other) == 0, "pthread_create");
    CHECK(pthread_join(t, NULL) == 0, "pthread_join");
    CHECK(other[0] == '\0', "a fresh thread's rtlog_last_error() is \"%s\", expected \"\"", other);
}

/* ---- rtlog_init ------------------------------------------------------------ */

static void test_init_null_args(void)
{
    rtlog_config cfg;
    rtlog_logger *lg = NULL;
    tu_config(&cfg, tu_path("initnull"));
    CHECK_STATUS(rtlog_init(NULL, &lg), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_init(&cfg, NULL), RTLOG_ERR_INVALID_ARGUMENT);
}

/* Init must fail with RTLOG_ERR_CONFIG and the last error must name `field`. */
static void expect_config_error(const rtlog_config *cfg, const char *field, const char *what)
{
    struct call c = {.op = OP_INIT, .cfg = cfg};
    expect_failure(c, RTLOG_ERR_CONFIG, field, what);
}

struct u32_case {
    const char *field;
    size_t offset;
    uint32_t value;
};

#define U32CASE(f, v) {#f, offsetof(rtlog_config, f), (v)}

static void test_bad_config_fields(void)
{
    static const struct u32_case u32_cases[] = {
        U32CASE(max_producers, 0),     U32CASE(max_producers, 4097),
        U32CASE(max_record_size, 0),   U32CASE(max_record_size, 1048577),
        U32CASE(critical_depth, 0),    U32CASE(critical_depth, 16777217),
        U32CASE(normal_depth, 0),      U32CASE(normal_depth, 16777217),
        U32CASE(dispatch_budget, 0),   U32CASE(dispatch_budget, 1048577),
        U32CASE(dispatch_period_us, 1000001),
        U32CASE(struct_size, 0),       U32CASE(struct_size, 0xFFFFFFFFu),
        U32CASE(struct_size, 1u << 20),
    };
    const char *dir = tu_path("badcfg");
    rtlog_config cfg;
    char what[128];

    for (size_t i = 0; i < sizeof u32_cases / sizeof u32_cases[0]; i++) {
        tu_config(&cfg, dir);
        memcpy((char *)&cfg + u32_cases[i].offset, &u32_cases[i].value, sizeof(uint32_t));
        snprintf(what, sizeof what, "%s = %u", u32_cases[i].field, (unsigned)u32_cases[i].value);
        expect_config_error(&cfg, u32_cases[i].field, what);
    }

    const uint64_t bad_segment[] = {0, 65535, (1ull << 40) + 1};
    for (size_t i = 0; i < 3; i++) {
        tu_config(&cfg, dir);
        cfg.segment_bytes = bad_segment[i];
        snprintf(what, sizeof what, "segment_bytes = %llu", (unsigned long long)bad_segment[i]);
        expect_config_error(&cfg, "segment_bytes", what);
    }

    tu_config(&cfg, dir);
    cfg.durability = (rtlog_durability)4;
    expect_config_error(&cfg, "durability", "durability = 4");
    tu_config(&cfg, dir);
    cfg.durability = (rtlog_durability)-1;
    expect_config_error(&cfg, "durability", "durability = -1");

    tu_config(&cfg, dir);
    cfg.durability = RTLOG_DURABILITY_FSYNC_BATCH;
    cfg.batch_records = 0;
    expect_config_error(&cfg, "batch_records", "FSYNC_BATCH with batch_records = 0");
    tu_config(&cfg, dir);
    cfg.durability = RTLOG_DURABILITY_FSYNC_BATCH;
    cfg.batch_interval_us = 0;
    expect_config_error(&cfg, "batch_interval_us", "FSYNC_BATCH with batch_interval_us = 0");

    tu_config(&cfg, NULL);
    expect_config_error(&cfg, "dir", "dir = NULL");
    tu_config(&cfg, "");
    expect_config_error(&cfg, "dir", "dir = \"\"");
}

/* The edges of the valid ranges are accepted (cheap ones only: no huge rings). */
static void test_config_boundaries_accepted(void)
{
    rtlog_config cfg;
    const char *dir = tu_path("okcfg");

    tu_config(&cfg, dir);
    cfg.max_producers = 1;
    cfg.max_record_size = 1;
    cfg.critical_depth = 1;
    cfg.normal_depth = 1;
    cfg.dispatch_budget = 1;
    cfg.segment_bytes = 65536;
    cfg.dispatch_period_us = 1000000;
    rtlog_destroy(tu_logger_new(&cfg));

    tu_config(&cfg, dir);
    cfg.max_producers = 4096;
    cfg.dispatch_budget = 1048576;
    cfg.segment_bytes = 1ull << 40;
    rtlog_destroy(tu_logger_new(&cfg));

    /* batch_* only matter for FSYNC_BATCH */
    const rtlog_durability others[] = {RTLOG_DURABILITY_NONE, RTLOG_DURABILITY_FLUSH, RTLOG_DURABILITY_FSYNC};
    for (size_t i = 0; i < 3; i++) {
        tu_config(&cfg, dir);
        cfg.durability = others[i];
        cfg.batch_records = 0;
        cfg.batch_interval_us = 0;
        rtlog_destroy(tu_logger_new(&cfg));
    }
}

static void test_init_creates_missing_dir(void)
{
    rtlog_config cfg;
    struct stat st;
    const char *dir = tu_path("created");
    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "rtlog_init did not create %s", dir);
    rtlog_destroy(lg);
}

static void test_init_dir_parent_is_file(void)
{
    rtlog_config cfg;
    char dir[4200];
    const char *file = tu_path("plainfile");
    FILE *f = fopen(file, "w");
    CHECK(f != NULL, "cannot create %s", file);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/log", file);
    tu_config(&cfg, dir);
    struct call c = {.op = OP_INIT, .cfg = &cfg};
    expect_failure(c, RTLOG_ERR_IO, NULL, "rtlog_init with a dir below a regular file");
}

static void test_reader_open_missing_dir(void)
{
    struct call c = {.op = OP_READER_OPEN, .dir = tu_path("missing")};
    expect_failure(c, RTLOG_ERR_IO, NULL, "rtlog_reader_open on a missing dir");
}

/* ---- NULL arguments everywhere ----------------------------------------------- */

static void test_null_arguments(void)
{
    rtlog_config cfg;
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    rtlog_producer *p = NULL;
    rtlog_reader *r = NULL;
    uint32_t n = 0;
    const char *dir = tu_path("nulls");

    rtlog_config_init(NULL, sizeof(rtlog_config)); /* must not crash (contract silent: no-op) */
    rtlog_destroy(NULL);     /* contract: no-op */
    rtlog_reader_close(NULL); /* contract: no-op */
    CHECK(rtlog_producer_id(NULL) == 0xFFFF, "rtlog_producer_id(NULL) = %u", (unsigned)rtlog_producer_id(NULL));
    CHECK(rtlog_get_state(NULL) == RTLOG_STATE_STOPPED, "rtlog_get_state(NULL) = %d", (int)rtlog_get_state(NULL));
    CHECK(rtlog_producer_durable_count(NULL, RTLOG_STREAM_CRITICAL) == 0, "durable_count(NULL) != 0");

    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    CHECK_STATUS(rtlog_producer_create(NULL, "x", &p), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_producer_create(lg, NULL, &p), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_producer_create(lg, "x", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    p = tu_producer_new(lg, "x"); /* the failures above used no slot and no name */

    CHECK_STATUS(rtlog_start(NULL), RTLOG_ERR_INVALID_ARGUMENT); /* convention */
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_publish(NULL, RTLOG_STREAM_CRITICAL, 1, "a", 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(NULL, RTLOG_STREAM_NORMAL, 1, NULL, 0), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_tick(NULL, &n), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_tick(NULL, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_tick(lg, NULL), RTLOG_OK); /* dispatched may be NULL */
    CHECK_STATUS(rtlog_get_stats(NULL, &st), RTLOG_ERR_INVALID_ARGUMENT); /* convention */
    CHECK_STATUS(rtlog_get_stats(lg, NULL), RTLOG_ERR_INVALID_ARGUMENT);  /* convention */
    CHECK_STATUS(rtlog_flush(NULL, 0), RTLOG_ERR_INVALID_ARGUMENT);       /* convention */
    CHECK_STATUS(rtlog_shutdown(NULL), RTLOG_ERR_INVALID_ARGUMENT);       /* convention */
    st = tu_stats(lg);
    CHECK(st.published[0] + st.published[1] == 0, "refused publishes were counted as published");
    CHECK(st.dropped[0] + st.dropped[1] == 0, "non-FULL refusals were counted as dropped");
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);

    CHECK_STATUS(rtlog_reader_open(NULL, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_open(dir, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_next(NULL, &rec), RTLOG_ERR_INVALID_ARGUMENT); /* convention */
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    CHECK_STATUS(rtlog_reader_next(r, NULL), RTLOG_ERR_INVALID_ARGUMENT); /* convention */
    rtlog_reader_close(r);
}

/* ---- lifecycle ----------------------------------------------------------------- */

static void test_state_lifecycle(void)
{
    rtlog_config cfg;
    tu_config(&cfg, tu_path("state"));
    rtlog_logger *lg = tu_logger_new(&cfg);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_INIT, "state before start: %d", (int)rtlog_get_state(lg));
    tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_NORMAL, "state after start: %d", (int)rtlog_get_state(lg));
    CHECK(tu_stats(lg).state == RTLOG_STATE_NORMAL, "stats.state after start: %d", (int)tu_stats(lg).state);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_STOPPED, "state after shutdown: %d", (int)rtlog_get_state(lg));
    CHECK(tu_stats(lg).state == RTLOG_STATE_STOPPED, "stats.state after shutdown: %d", (int)tu_stats(lg).state);
    rtlog_destroy(lg);
    CHECK(rtlog_get_state(NULL) == RTLOG_STATE_STOPPED, "rtlog_get_state(NULL) = %d", (int)rtlog_get_state(NULL));
}

static void test_before_start(void)
{
    rtlog_config cfg;
    uint32_t n = 123;
    tu_config(&cfg, tu_path("prestart"));
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, "abc", 3), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, "abc", 3), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_flush(lg, 100), RTLOG_ERR_INVALID_STATE);
    rtlog_stats st = tu_stats(lg);
    CHECK(st.published[0] == 0 && st.published[1] == 0, "refused publishes were counted as published");
    CHECK(st.dropped[0] == 0 && st.dropped[1] == 0, "INVALID_STATE refusals were counted as dropped");
    rtlog_destroy(lg); /* never started */
}

static void test_producer_create_errors(void)
{
    rtlog_config cfg;
    char name64[65], name65[66];
    memset(name64, 'b', 64);
    name64[64] = '\0';
    memset(name65, 'a', 65);
    name65[65] = '\0';

    tu_config(&cfg, tu_path("prodcreate"));
    cfg.max_producers = 3;
    rtlog_logger *lg = tu_logger_new(&cfg);

    expect_create_failure(lg, "", RTLOG_ERR_INVALID_ARGUMENT, "empty name");
    expect_create_failure(lg, name65, RTLOG_ERR_INVALID_ARGUMENT, "65-byte name");
    rtlog_producer *a = tu_producer_new(lg, name64); /* exactly 64 bytes is allowed */
    rtlog_producer *b = tu_producer_new(lg, "dup");
    expect_create_failure(lg, "dup", RTLOG_ERR_INVALID_ARGUMENT, "duplicate name");
    rtlog_producer *c = tu_producer_new(lg, "third");
    expect_create_failure(lg, "fourth", RTLOG_ERR_FULL, "more than max_producers");

    CHECK(rtlog_producer_id(a) == 0 && rtlog_producer_id(b) == 1 && rtlog_producer_id(c) == 2,
          "producer ids %u %u %u, expected 0 1 2 (creation order)", (unsigned)rtlog_producer_id(a),
          (unsigned)rtlog_producer_id(b), (unsigned)rtlog_producer_id(c));
    rtlog_destroy(lg);
}

static void test_producer_create_after_start(void)
{
    rtlog_config cfg;
    rtlog_producer *p = NULL;
    tu_config(&cfg, tu_path("prodlate"));
    rtlog_logger *lg = tu_logger_new(&cfg);
    tu_producer_new(lg, "early");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    expect_create_failure(lg, "late", RTLOG_ERR_INVALID_STATE, "producer_create after start");
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "later", &p), RTLOG_ERR_INVALID_STATE);
    rtlog_destroy(lg);
}

/* ---- publish -------------------------------------------------------------------- */

static void test_publish_arguments(void)
{
    enum { MAX = 64 };
    rtlog_config cfg;
    uint8_t buf[MAX + 1];
    struct rec_copy recs[8];
    const char *dir = tu_path("publish");

    for (int i = 0; i <= MAX; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    tu_config(&cfg, dir);
    cfg.max_record_size = MAX;
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);

    /* unknown streams */
    CHECK_STATUS(rtlog_publish(p, (rtlog_stream)2, 1, buf, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(p, (rtlog_stream)7, 1, buf, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(p, (rtlog_stream)-1, 1, buf, 1), RTLOG_ERR_INVALID_ARGUMENT);
    /* NULL payload: only with len 0 */
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 2, NULL, 0), RTLOG_OK); /* crit seq 0 */
    /* size limit */
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 3, buf, MAX + 1), RTLOG_ERR_TOO_LARGE);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 3, buf, MAX + 1), RTLOG_ERR_TOO_LARGE);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 4, buf, UINT32_MAX), RTLOG_ERR_TOO_LARGE);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 5, buf, MAX), RTLOG_OK); /* crit seq 1 */
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 6, buf, 0), RTLOG_OK);     /* normal seq 0 */

    rtlog_stats st = tu_stats(lg);
    CHECK(st.published[RTLOG_STREAM_CRITICAL] == 2 && st.published[RTLOG_STREAM_NORMAL] == 1,
          "published = {%llu, %llu}, expected {2, 1}", (unsigned long long)st.published[0],
          (unsigned long long)st.published[1]);
    CHECK(st.dropped[0] == 0 && st.dropped[1] == 0, "dropped = {%llu, %llu}: only FULL counts as dropped",
          (unsigned long long)st.dropped[0], (unsigned long long)st.dropped[1]);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);

    /* refused records took no sequence number and left no trace */
    size_t n = read_all(dir, recs, 8);
    CHECK(n == 3, "reader returned %zu records, expected 3", n);
    const struct rec_copy *r0 = find_rec(recs, n, RTLOG_STREAM_CRITICAL, 0);
    const struct rec_copy *r1 = find_rec(recs, n, RTLOG_STREAM_CRITICAL, 1);
    const struct rec_copy *r2 = find_rec(recs, n, RTLOG_STREAM_NORMAL, 0);
    CHECK(r0->type == 2 && r0->len == 0, "critical seq 0: type %u len %u, expected 2 0", (unsigned)r0->type,
          (unsigned)r0->len);
    CHECK(r1->type == 5 && r1->len == MAX, "critical seq 1: type %u len %u, expected 5 %d", (unsigned)r1->type,
          (unsigned)r1->len, MAX);
    CHECK(memcmp(r1->payload, buf, MAX) == 0, "critical seq 1: payload bytes differ");
    CHECK(r2->type == 6 && r2->len == 0, "normal seq 0: type %u len %u, expected 6 0", (unsigned)r2->type,
          (unsigned)r2->len);
}

static void test_full_ring(void)
{
    rtlog_config cfg;
    struct rec_copy recs[32];
    uint32_t moved = 0;
    const char *dir = tu_path("full");

    tu_config(&cfg, dir);
    cfg.critical_depth = 8;
    cfg.dispatch_period_us = 0; /* nobody ticks unless we do */
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);

    for (uint8_t i = 0; i < 8; i++)
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, &i, 1), RTLOG_OK);
    for (uint8_t i = 0; i < 5; i++)
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, &i, 1), RTLOG_ERR_FULL);
    /* the normal stream has its own ring */
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, "n", 1), RTLOG_OK);

    rtlog_stats st = tu_stats(lg);
    CHECK(st.published[RTLOG_STREAM_CRITICAL] == 8, "published[CRITICAL] = %llu, expected 8",
          (unsigned long long)st.published[RTLOG_STREAM_CRITICAL]);
    CHECK(st.dropped[RTLOG_STREAM_CRITICAL] == 5, "dropped[CRITICAL] = %llu, expected 5 (the FULL refusals)",
          (unsigned long long)st.dropped[RTLOG_STREAM_CRITICAL]);
    CHECK(st.dropped[RTLOG_STREAM_NORMAL] == 0 && st.published[RTLOG_STREAM_NORMAL] == 1,
          "normal stream: published %llu dropped %llu, expected 1 0",
          (unsigned long long)st.published[RTLOG_STREAM_NORMAL], (unsigned long long)st.dropped[RTLOG_STREAM_NORMAL]);

    /* tick until all 9 are dispatched, then the ring accepts again */
    for (int i = 0; i < 1000 && moved < 9; i++) {
        uint32_t n = 0;
        CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_OK);
        moved += n;
    }
    CHECK(moved == 9, "ticks dispatched %u records, expected 9", (unsigned)moved);
    st = tu_stats(lg);
    CHECK(st.dispatched[RTLOG_STREAM_CRITICAL] == 8 && st.dispatched[RTLOG_STREAM_NORMAL] == 1,
          "dispatched = {%llu, %llu}, expected {8, 1}", (unsigned long long)st.dispatched[0],
          (unsigned long long)st.dispatched[1]);
    CHECK_STATUS(rtlog_flush(lg, 10000), RTLOG_OK);

    for (uint8_t i = 8; i < 16; i++)
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, &i, 1), RTLOG_OK);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, "x", 1), RTLOG_ERR_FULL);
    st = tu_stats(lg);
    CHECK(st.published[RTLOG_STREAM_CRITICAL] == 16 && st.dropped[RTLOG_STREAM_CRITICAL] == 6,
          "after refill: published %llu dropped %llu, expected 16 6",
          (unsigned long long)st.published[RTLOG_STREAM_CRITICAL], (unsigned long long)st.dropped[RTLOG_STREAM_CRITICAL]);

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    st = tu_stats(lg);
    CHECK(st.dispatched[RTLOG_STREAM_CRITICAL] == 16 && st.persisted == 17,
          "after shutdown: dispatched[CRITICAL] %llu persisted %llu, expected 16 17",
          (unsigned long long)st.dispatched[RTLOG_STREAM_CRITICAL], (unsigned long long)st.persisted);
    rtlog_destroy(lg);

    size_t n = read_all(dir, recs, 32);
    CHECK(n == 17, "reader returned %zu records, expected 17", n);
    for (uint64_t seq = 0; seq < 16; seq++) {
        const struct rec_copy *r = find_rec(recs, n, RTLOG_STREAM_CRITICAL, seq);
        CHECK(r->len == 1 && r->payload[0] == seq, "critical seq %llu: payload %u, expected %llu",
              (unsigned long long)seq, (unsigned)r->payload[0], (unsigned long long)seq);
    }
}

/* ---- start / shutdown / destroy ------------------------------------------------- */

static void test_start_twice(void)
{
    rtlog_config cfg;
    tu_config(&cfg, tu_path("start2"));
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    struct call again = {.op = OP_START, .lg = lg};
    expect_failure(again, RTLOG_ERR_INVALID_STATE, NULL, "second rtlog_start");
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_NORMAL, "state after refused start: %d", (int)rtlog_get_state(lg));
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, "ok", 2), RTLOG_OK);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

static void test_shutdown_twice_and_after(void)
{
    rtlog_config cfg;
    struct rec_copy recs[4];
    uint32_t n = 0;
    const char *dir = tu_path("shutdown2");

    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 9, "last", 4), RTLOG_OK);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    struct call again = {.op = OP_SHUTDOWN, .lg = lg};
    expect_failure(again, RTLOG_ERR_INVALID_STATE, NULL, "second rtlog_shutdown");
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 9, "late", 4), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 9, "late", 4), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_flush(lg, 100), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_start(lg), RTLOG_ERR_INVALID_STATE);
    rtlog_stats st = tu_stats(lg);
    CHECK(st.published[RTLOG_STREAM_NORMAL] == 1 && st.persisted == 1, "published %llu persisted %llu, expected 1 1",
          (unsigned long long)st.published[RTLOG_STREAM_NORMAL], (unsigned long long)st.persisted);
    CHECK(st.dropped[0] == 0 && st.dropped[1] == 0, "refusals after shutdown counted as dropped");
    rtlog_destroy(lg);

    CHECK(read_all(dir, recs, 4) == 1, "reader: expected exactly the one record published before shutdown");
    CHECK(recs[0].type == 9 && recs[0].len == 4 && memcmp(recs[0].payload, "last", 4) == 0,
          "the record read back is not the one published");
}

static void test_destroy_without_shutdown(void)
{
    rtlog_config cfg;
    struct rec_copy recs[8];
    const char *dir = tu_path("destroy");

    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint8_t i = 0; i < 3; i++)
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, &i, 1), RTLOG_OK);
    rtlog_destroy(lg); /* shuts down first: a clean shutdown loses nothing */
    size_t n = read_all(dir, recs, 8);
    CHECK(n == 3, "reader returned %zu records after destroy without shutdown, expected 3", n);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);

    TU_RUN(test_status_str);
    TU_RUN(test_version);
    TU_RUN(test_config_defaults);
    TU_RUN(test_last_error_thread_local);
    TU_RUN(test_init_null_args);
    TU_RUN(test_bad_config_fields);
    TU_RUN(test_config_boundaries_accepted);
    TU_RUN(test_init_creates_missing_dir);
    TU_RUN(test_init_dir_parent_is_file);
    TU_RUN(test_reader_open_missing_dir);
    TU_RUN(test_null_arguments);
    TU_RUN(test_state_lifecycle);
    TU_RUN(test_before_start);
    TU_RUN(test_producer_create_errors);
    TU_RUN(test_producer_create_after_start);
    TU_RUN(test_publish_arguments);
    TU_RUN(test_full_ring);
    TU_RUN(test_start_twice);
    TU_RUN(test_shutdown_twice_and_after);
    TU_RUN(test_destroy_without_shutdown);

    printf("test_errors: %d passed, 0 failed\n", tu_cases_run);
    tu_cleanup();
    return 0;
}
