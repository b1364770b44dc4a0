/*
 * test_misuse.c - the C API used wrongly: every public function with NULL
 * for each pointer argument, enum values out of range, calls after
 * shutdown, tick from two threads at once, one producer handle used by two
 * threads, destroy without shutdown, shutdown while RT threads publish, two
 * loggers on one directory. Each must give the status include/rtlog.h
 * documents for it, and nothing may crash; where the log is written, it is
 * read back and must hold exactly the records that were accepted, intact.
 *
 * (test_errors.c covers the ordinary error cases: bad config fields, full
 * rings, oversize records, calls before start.) tu_misuse_names below lists
 * every function of the header; the ctest test misuse_covers_the_header
 * fails when the header gains a function that this file does not call.
 *
 * Usage: test_misuse [base-scratch-dir]
 * Env: RTLOG_TEST_RECORDS scales the multi-threaded cases (default 20000
 * records per thread; the sanitizer builds run fewer).
 */
#include "test_util.h"
#include "rtlog_testing.h" /* rtlog_dummy_* */

#include <pthread.h>
#include <stdatomic.h>

static uint32_t records_per_thread = 20000;

#if defined(__SANITIZE_THREAD__)
#define TU_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_UNDER_TSAN 1
#endif
#endif

/* A non-RT call that failed must leave a description naming what was wrong. */
#define CHECK_LAST_ERROR_NAMES(word)                                                              \
    CHECK(strstr(tu_last_error(), (word)) != NULL, "rtlog_last_error() = \"%s\" does not name %s", \
          tu_last_error(), (word))

/* A pointer value that is not NULL and that the library must overwrite. */
#define SENTINEL(type) ((type *)(uintptr_t)0x5a5a5a50)

enum { MAXREC = 64 };

static void publish_checked(rtlog_producer *p, rtlog_stream stream, uint64_t seq)
{
    uint8_t buf[MAXREC];
    uint32_t len = tu_payload_make(buf, MAXREC, rtlog_producer_id(p), (uint8_t)stream, seq);
    CHECK_STATUS(rtlog_publish(p, stream, 7, buf, len), RTLOG_OK);
}

/* A manual-mode logger from cfg, started, with one record of `stream` written (seq 0). */
static rtlog_logger *started_with_one_record(rtlog_config *cfg, const char *producer, rtlog_stream stream,
                                             rtlog_producer **out)
{
    cfg->manual = 1;
    rtlog_logger *lg = tu_logger_new(cfg);
    rtlog_producer *p = tu_producer_new(lg, producer);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    publish_checked(p, stream, 0);
    CHECK_STATUS(rtlog_tick(lg, NULL), RTLOG_OK);
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK);
    *out = p;
    return lg;
}

/* ---- NULL for every pointer argument -------------------------------------- */

static void null_logger_functions(void)
{
    uint32_t n = 77;
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    rtlog_producer *p = SENTINEL(rtlog_producer);
    rtlog_logger *lg = SENTINEL(rtlog_logger);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint8_t buf[8];

    rtlog_config_init(NULL, sizeof(rtlog_config));
    rtlog_destroy(NULL);
    CHECK_STATUS(rtlog_init(NULL, &lg), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("cfg");
    CHECK(lg == NULL, "rtlog_init(NULL, &lg) left *out = %p, documented NULL", (void *)lg);
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.backend = RTLOG_BACKEND_NULL;
    CHECK_STATUS(rtlog_init(&cfg, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    CHECK_STATUS(rtlog_producer_create(NULL, "x", &p), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK(p == NULL, "rtlog_producer_create(NULL, ..) left *out = %p, documented NULL", (void *)p);
    CHECK_STATUS(rtlog_start(NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_tick(NULL, &n), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(n == 77, "rtlog_tick(NULL, &n) wrote *dispatched = %u", (unsigned)n);
    CHECK(rtlog_get_state(NULL) == RTLOG_STATE_STOPPED, "rtlog_get_state(NULL) = %d", (int)rtlog_get_state(NULL));
    CHECK_STATUS(rtlog_get_stats(NULL, &st), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_flush(NULL, 10), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_shutdown(NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_step_writer(NULL, &n), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_step_supervisor(NULL, 1000), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_enter_safe_mode(NULL, "why"), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_shutdown_timeout(NULL, 1000), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_set_level(NULL, RTLOG_LEVEL_WARN), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_set_level(NULL, 1, RTLOG_LEVEL_WARN), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_enter_safe_mode(NULL, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_clear_fault(NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_type_register(NULL, 1, "t", "u32 a"), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    CHECK_STATUS(rtlog_type_size(NULL, 1, &n), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_layout_size(NULL, &n), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_layout_size("u32 a", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_set_level(NULL, RTLOG_LEVEL_WARN), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_set_level(NULL, 1, RTLOG_LEVEL_WARN), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("lg");
    rtlog_dlt_stats ds;
    rtlog_dlt_stats_init(&ds, sizeof ds);
    CHECK_STATUS(rtlog_dlt_get_stats(NULL, &ds), RTLOG_ERR_INVALID_ARGUMENT);

    CHECK_STATUS(rtlog_dummy_fail_write(NULL, 1, EIO), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dummy_fail_sync(NULL, 1, EIO), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dummy_set_latency(NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dummy_stall(NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dummy_disk_full_at(NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(rtlog_dummy_frame_count(NULL) == 0, "rtlog_dummy_frame_count(NULL) != 0");
    CHECK_STATUS(rtlog_dummy_frame(NULL, 0, &rec, buf, sizeof buf), RTLOG_ERR_INVALID_ARGUMENT);
}

static void null_producer_functions(void)
{
    rtlog_producer_stats ps;
    rtlog_producer_stats_init(&ps, sizeof ps);
    CHECK_STATUS(rtlog_publish(NULL, RTLOG_STREAM_CRITICAL, 1, "a", 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(NULL, RTLOG_STREAM_NORMAL, 1, NULL, 0), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_signal_fault(NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_wait(NULL, RTLOG_STREAM_NORMAL, 1, "a", 1, 10), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(rtlog_producer_id(NULL) == 0xFFFF, "rtlog_producer_id(NULL) = %u", (unsigned)rtlog_producer_id(NULL));
    CHECK(rtlog_producer_durable_count(NULL, RTLOG_STREAM_CRITICAL) == 0, "durable_count(NULL) != 0");
    CHECK(rtlog_producer_durable_count(NULL, RTLOG_STREAM_NORMAL) == 0, "durable_count(NULL) != 0");
    CHECK_STATUS(rtlog_producer_get_stats(NULL, &ps), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message(NULL, NULL, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(NULL, NULL, NULL, 0), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_words(NULL, NULL, 0, 0, 0, 0), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_producer_set_level(NULL, RTLOG_LEVEL_WARN), RTLOG_ERR_INVALID_ARGUMENT);
}

/* A hand-made call site (the macros make valid ones): `count` u32 arguments at `level`. */
static rtlog_callsite bad_site(uint8_t level, uint8_t count, uint8_t type)
{
    rtlog_callsite s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    s.line = 1;
    s.level = level;
    s.arg_count = count;
    for (unsigned i = 0; i < 16; i++)
        s.arg_types[i] = type;
    s.format = "%u";
    s.file = "misuse.c";
    s.function = "bad_site";
    return s;
}

/* Messages with call sites or arguments the library cannot take are refused, never published. */
static void bad_messages(rtlog_producer *p)
{
    static rtlog_callsite no_args, too_many, bad_type, bad_level, one_str, five;
    rtlog_arg args[17];
    unsigned char values[17 * 8];
    memset(args, 0, sizeof args);
    memset(values, 0, sizeof values);
    no_args = bad_site(RTLOG_LEVEL_WARN, 1, RTLOG_ARG_U32);
    too_many = bad_site(RTLOG_LEVEL_WARN, 17, RTLOG_ARG_U32);
    bad_type = bad_site(RTLOG_LEVEL_WARN, 1, 0);
    bad_level = bad_site(6, 1, RTLOG_ARG_U32);
    CHECK_STATUS(rtlog_publish_message(p, NULL, args), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message(p, &no_args, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message(p, &too_many, args), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message(p, &bad_type, args), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message(p, &bad_level, args), RTLOG_ERR_INVALID_ARGUMENT);
    /* The packed entry point: the values must be the call site's (1 u32: 4 bytes), and a
     * string has no packed form. */
    one_str = bad_site(RTLOG_LEVEL_WARN, 1, RTLOG_ARG_STR);
    CHECK_STATUS(rtlog_publish_message_packed(p, NULL, values, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &no_args, NULL, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &no_args, values, 3), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &no_args, values, 8), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &too_many, values, 68), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &bad_type, values, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &bad_level, values, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_packed(p, &one_str, values, 2), RTLOG_ERR_INVALID_ARGUMENT);
    /* The entry point in registers: at most four arguments, none a string. */
    five = bad_site(RTLOG_LEVEL_WARN, 5, RTLOG_ARG_U32);
    CHECK_STATUS(rtlog_publish_message_words(p, NULL, 1, 2, 3, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_words(p, &five, 1, 2, 3, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_words(p, &bad_type, 1, 2, 3, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_words(p, &bad_level, 1, 2, 3, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish_message_words(p, &one_str, 1, 2, 3, 4), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_producer_set_level(p, (rtlog_level)6), RTLOG_ERR_INVALID_ARGUMENT);
}

static void null_reader_functions(void)
{
    rtlog_reader *r = SENTINEL(rtlog_reader);
    rtlog_reader_options opts;
    rtlog_reader_counts counts;
    rtlog_reader_counts_init(&counts, sizeof counts);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);

    rtlog_reader_options_init(NULL, sizeof(rtlog_reader_options));
    rtlog_reader_close(NULL);
    rtlog_reader_options_init(&opts, sizeof opts);
    CHECK_STATUS(rtlog_reader_open(NULL, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("dir");
    CHECK(r == NULL, "rtlog_reader_open(NULL, &r) left *out = %p, documented NULL", (void *)r);
    CHECK_STATUS(rtlog_reader_open(".", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    r = SENTINEL(rtlog_reader);
    CHECK_STATUS(rtlog_reader_open_opts(NULL, &opts, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("dir");
    CHECK(r == NULL, "rtlog_reader_open_opts(NULL, ..) left *out = %p, documented NULL", (void *)r);
    CHECK_STATUS(rtlog_reader_open_opts(".", &opts, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    CHECK_STATUS(rtlog_reader_open_opts(NULL, NULL, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_stats(NULL, &counts), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_next(NULL, &rec), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_next_frame(NULL, &rec), RTLOG_ERR_INVALID_ARGUMENT);
    const rtlog_type_info *info = NULL;
    char text[16];
    size_t len = 0;
    CHECK_STATUS(rtlog_reader_schema(NULL, 1, &info), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_format(NULL, &rec, 0, text, sizeof text, &len), RTLOG_ERR_INVALID_ARGUMENT);
    rtlog_message_info mi;
    rtlog_message_arg ma;
    rtlog_message_info_init(NULL, sizeof mi);
    rtlog_message_arg_init(NULL, sizeof ma);
    rtlog_message_info_init(&mi, sizeof mi);
    rtlog_message_arg_init(&ma, sizeof ma);
    CHECK_STATUS(rtlog_reader_message(NULL, &rec, &mi), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("r");
    CHECK_STATUS(rtlog_reader_message_arg(NULL, &rec, 0, &ma), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("r");
}

/* The NULL arguments that need a live object beside them. */
static void null_with_live_objects(void)
{
    rtlog_config cfg;
    uint32_t n;
    const char *dir = tu_path("nulls");
    rtlog_producer *p = SENTINEL(rtlog_producer);
    rtlog_reader *r = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint8_t buf[8];

    tu_config(&cfg, dir);
    cfg.manual = 1;
    rtlog_logger *lg = tu_logger_new(&cfg);
    CHECK_STATUS(rtlog_producer_create(lg, NULL, &p), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("name");
    CHECK(p == NULL, "rtlog_producer_create(lg, NULL, ..) left *out = %p, documented NULL", (void *)p);
    CHECK_STATUS(rtlog_producer_create(lg, "x", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    p = tu_producer_new(lg, "x"); /* the failures used neither the name nor a slot */
    CHECK(rtlog_producer_id(p) == 0, "first producer after failed creations has id %u", rtlog_producer_id(p));
    CHECK_STATUS(rtlog_get_stats(lg, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    CHECK_STATUS(rtlog_producer_get_stats(p, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_register(lg, 1, NULL, "u32 a"), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("name");
    CHECK_STATUS(rtlog_type_register(lg, 1, "t", NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("layout");
    CHECK_STATUS(rtlog_type_size(lg, 1, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dlt_get_stats(lg, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_set_level(lg, (rtlog_level)6), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_type_set_level(lg, 1, (rtlog_level)-1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("level");
    CHECK_STATUS(rtlog_producer_set_level(p, (rtlog_level)99), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_type_set_level(lg, 1, RTLOG_LEVEL_WARN), RTLOG_ERR_INVALID_STATE);
    bad_messages(p);

    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, NULL, 0), RTLOG_OK); /* seq 0, empty */
    CHECK_STATUS(rtlog_tick(lg, NULL), RTLOG_OK);
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_OK);   /* taken may be NULL */
    CHECK_STATUS(rtlog_enter_safe_mode(lg, NULL), RTLOG_OK); /* reason may be NULL */
    CHECK_STATUS(rtlog_step_supervisor(lg, 1000), RTLOG_OK);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_SAFE, "enter_safe_mode(lg, NULL): state %d", (int)rtlog_get_state(lg));
    CHECK_STATUS(rtlog_clear_fault(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_step_supervisor(lg, 1000), RTLOG_OK);
    CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_OK);
    CHECK_STATUS(rtlog_dummy_frame(lg, 0, &rec, buf, sizeof buf), RTLOG_ERR_INVALID_STATE); /* file backend */
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);

    CHECK_STATUS(rtlog_reader_open_opts(dir, NULL, &r), RTLOG_OK); /* NULL opts: no filter */
    CHECK_STATUS(rtlog_reader_next(r, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    CHECK_STATUS(rtlog_reader_next_frame(r, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_stats(r, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_schema(r, 1, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_format(r, NULL, 0, (char *)buf, sizeof buf, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    rtlog_message_info mi;
    rtlog_message_arg ma;
    rtlog_message_info_init(&mi, sizeof mi);
    rtlog_message_arg_init(&ma, sizeof ma);
    CHECK_STATUS(rtlog_reader_message(r, NULL, &mi), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("rec");
    CHECK_STATUS(rtlog_reader_message(r, &rec, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("out");
    CHECK_STATUS(rtlog_reader_message_arg(r, NULL, 0, &ma), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_message_arg(r, &rec, 0, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    /* the failed calls consumed nothing: the one record is still next */
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK);
    /* a data record is not a message */
    CHECK_STATUS(rtlog_reader_message(r, &rec, &mi), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_reader_message_arg(r, &rec, 0, &ma), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(rec.seq == 0 && rec.len == 0 && rec.payload == NULL, "record: seq %llu len %u payload %p",
          (unsigned long long)rec.seq, (unsigned)rec.len, (const void *)rec.payload);
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END);
    rtlog_reader_close(r);
}

/* ---- struct_size misuse ---------------------------------------------------- */

/* The _init functions with NULL or no room for struct_size do nothing; every function that
 * writes a versioned struct refuses one that was never initialised (struct_size 0), one
 * smaller than the first version's, and one ending inside a field, writing nothing; a reader
 * that refused a record struct consumed no record. */
static void bad_struct_sizes(void)
{
    rtlog_config cfg;
    const char *dir = tu_path("sizes");
    rtlog_stats st;
    rtlog_producer_stats ps;
    rtlog_dlt_stats ds;
    rtlog_reader_counts counts;
    rtlog_record rec;
    rtlog_reader *r = NULL;
    uint8_t buf[8];
    const uint32_t bad[] = {0, 4, 8, 12};

    rtlog_stats_init(NULL, sizeof st);
    rtlog_producer_stats_init(NULL, sizeof ps);
    rtlog_dlt_stats_init(NULL, sizeof ds);
    rtlog_reader_counts_init(NULL, sizeof counts);
    rtlog_record_init(NULL, sizeof rec);
    CHECK(rtlog_type_info_field(NULL, 0) == NULL, "rtlog_type_info_field(NULL, 0) is not NULL");
    memset(&st, 0x5a, sizeof st);
    rtlog_stats_init(&st, 3); /* no room for struct_size: nothing written */
    CHECK(st.struct_size == 0x5a5a5a5a, "rtlog_stats_init(&st, 3) wrote struct_size %u", (unsigned)st.struct_size);

    tu_config(&cfg, dir);
    rtlog_producer *p;
    rtlog_logger *lg = started_with_one_record(&cfg, "x", RTLOG_STREAM_CRITICAL, &p);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&st, 0, sizeof st);
        st.struct_size = bad[i];
        CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_NAMES("struct_size");
        CHECK(st.struct_size == bad[i] && st.epoch == 0, "a refused rtlog_stats was written");
        memset(&ps, 0, sizeof ps);
        ps.struct_size = bad[i];
        CHECK_STATUS(rtlog_producer_get_stats(p, &ps), RTLOG_ERR_INVALID_ARGUMENT); /* no last error */
        CHECK(ps.published[0] == 0, "a refused rtlog_producer_stats was written");
        memset(&ds, 0, sizeof ds);
        ds.struct_size = bad[i];
        CHECK_STATUS(rtlog_dlt_get_stats(lg, &ds), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_NAMES("struct_size");
    }
    /* One byte short of this version's size ends inside its last field. */
    rtlog_stats_init(&st, sizeof st);
    st.struct_size = (uint32_t)sizeof st - 1;
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);

    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&rec, 0, sizeof rec);
        rec.struct_size = bad[i];
        CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_NAMES("struct_size");
        CHECK(rec.lsn == 0 && rec.len == 0, "a refused rtlog_record was written");
        CHECK_STATUS(rtlog_reader_next_frame(r, &rec), RTLOG_ERR_INVALID_ARGUMENT);
        memset(&counts, 0, sizeof counts);
        counts.struct_size = bad[i];
        CHECK_STATUS(rtlog_reader_stats(r, &counts), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_NAMES("struct_size");
    }
    /* the refusals consumed nothing: the one record is still next */
    rtlog_record_init(&rec, sizeof rec);
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK);
    CHECK(rec.seq == 0 && rec.struct_size == sizeof rec, "record seq %llu, struct_size %u",
          (unsigned long long)rec.seq, (unsigned)rec.struct_size);
    rec.struct_size = 0; /* rtlog_reader_format reads a record: its struct_size too */
    CHECK_STATUS(rtlog_reader_format(r, &rec, 0, (char *)buf, sizeof buf, NULL), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("struct_size");
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_ERR_INVALID_ARGUMENT);
    rtlog_record_init(&rec, sizeof rec);
    CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_END);
    rtlog_reader_close(r);
}

/* The dummy backend's functions with NULL buffers. */
static void null_dummy_buffers(void)
{
    rtlog_config cfg;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint8_t buf[MAXREC];

    rtlog_config_init(&cfg, sizeof cfg);
    cfg.backend = RTLOG_BACKEND_DUMMY; /* dir may stay NULL */
    rtlog_producer *p;
    rtlog_logger *lg = started_with_one_record(&cfg, "d", RTLOG_STREAM_NORMAL, &p);
    uint64_t frames = rtlog_dummy_frame_count(lg);
    CHECK(frames >= 2, "dummy backend stored %llu frames, expected epoch begin and a record",
          (unsigned long long)frames);
    CHECK_STATUS(rtlog_dummy_frame(lg, 0, NULL, buf, sizeof buf), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dummy_frame(lg, 0, &rec, NULL, 1), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(rtlog_dummy_frame(lg, 0, &rec, NULL, 0), RTLOG_OK); /* a NULL buffer of 0 bytes */
    rec.struct_size = 4; /* not set by rtlog_record_init */
    CHECK_STATUS(rtlog_dummy_frame(lg, 0, &rec, buf, sizeof buf), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("struct_size");
    rtlog_record_init(&rec, sizeof rec);
    CHECK_STATUS(rtlog_dummy_frame(lg, frames, &rec, buf, sizeof buf), RTLOG_END);
    CHECK_STATUS(rtlog_dummy_frame(lg, UINT64_MAX, &rec, buf, sizeof buf), RTLOG_END);
    /* a 1-byte buffer gets 1 byte; len still says the full length */
    for (uint64_t i = 0; i < frames; i++) {
        CHECK_STATUS(rtlog_dummy_frame(lg, i, &rec, buf, 1), RTLOG_OK);
        if (rec.kind == RTLOG_FRAME_DATA)
            CHECK(rec.len >= TU_PAYLOAD_HEAD && rec.payload == buf, "data frame: len %u payload %p",
                  (unsigned)rec.len, (const void *)rec.payload);
    }
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

/* ---- enum values out of range ------------------------------------------------ */

static void init_must_refuse(const rtlog_config *cfg, const char *field)
{
    rtlog_logger *lg = SENTINEL(rtlog_logger);
    CHECK_STATUS(rtlog_init(cfg, &lg), RTLOG_ERR_CONFIG);
    CHECK_LAST_ERROR_NAMES(field);
    CHECK(lg == NULL, "failed rtlog_init left *out = %p", (void *)lg);
}

static void invalid_enums(void)
{
    static const int bad[] = {-1, 3, 4, 99, 0x7fffffff, (int)0x80000000u};
    rtlog_config cfg;
    rtlog_reader_options opts;
    rtlog_reader *r = SENTINEL(rtlog_reader);
    const char *dir = tu_path("enums");
    uint8_t buf[MAXREC];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i] != 3) { /* 3 is RTLOG_OVERFLOW_DISABLE; backends end at 2 */
            tu_config(&cfg, dir);
            cfg.normal_overflow = (rtlog_overflow)bad[i];
            init_must_refuse(&cfg, "normal_overflow");
        }
        tu_config(&cfg, dir);
        cfg.backend = (rtlog_backend)bad[i];
        init_must_refuse(&cfg, "backend");
    }
    /* the 0/1 flags */
    const uint32_t flags[] = {2, 0xFFFFFFFFu};
    for (size_t i = 0; i < 2; i++) {
        tu_config(&cfg, dir);
        cfg.preallocate = flags[i];
        init_must_refuse(&cfg, "preallocate");
        tu_config(&cfg, dir);
        cfg.manual = flags[i];
        init_must_refuse(&cfg, "manual");
        tu_config(&cfg, dir);
        cfg.safe_on_critical = flags[i];
        init_must_refuse(&cfg, "safe_on_critical");
    }

    /* streams out of range take no sequence number and count nowhere */
    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    uint32_t len = tu_payload_make(buf, MAXREC, 0, 0, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS(rtlog_publish(p, (rtlog_stream)bad[i], 1, buf, len), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK(rtlog_producer_durable_count(p, (rtlog_stream)bad[i]) == 0, "durable_count(stream %d) != 0", bad[i]);
    }
    CHECK_STATUS(rtlog_publish(p, (rtlog_stream)2, 1, buf, len), RTLOG_ERR_INVALID_ARGUMENT);
    publish_checked(p, RTLOG_STREAM_CRITICAL, 0);
    rtlog_producer_stats ps;
    rtlog_producer_stats_init(&ps, sizeof ps);
    CHECK_STATUS(rtlog_producer_get_stats(p, &ps), RTLOG_OK);
    CHECK(ps.published[0] == 1 && ps.published[1] == 0 && ps.dropped[0] == 0 && ps.dropped[1] == 0,
          "after refused streams: published {%llu, %llu} dropped {%llu, %llu}, expected {1, 0} {0, 0}",
          (unsigned long long)ps.published[0], (unsigned long long)ps.published[1],
          (unsigned long long)ps.dropped[0], (unsigned long long)ps.dropped[1]);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
    CHECK(tu_walk_log(dir, NULL, NULL) == 1, "expected the one valid record in the log");

    /* reader filters */
    const int32_t bad_stream[] = {2, -2, 0x7fffffff, INT32_MIN};
    for (size_t i = 0; i < 4; i++) {
        rtlog_reader_options_init(&opts, sizeof opts);
        opts.stream = bad_stream[i];
        CHECK_STATUS(rtlog_reader_open_opts(dir, &opts, &r), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_NAMES("stream");
        CHECK(r == NULL, "failed rtlog_reader_open_opts left *out = %p", (void *)r);
    }
    const int32_t bad_type[] = {65536, -2, INT32_MIN, 0x7fffffff};
    for (size_t i = 0; i < 4; i++) {
        rtlog_reader_options_init(&opts, sizeof opts);
        opts.type = bad_type[i];
        CHECK_STATUS(rtlog_reader_open_opts(dir, &opts, &r), RTLOG_ERR_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_NAMES("type");
    }
    rtlog_reader_options_init(&opts, sizeof opts);
    opts.struct_size = 8;
    CHECK_STATUS(rtlog_reader_open_opts(dir, &opts, &r), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_NAMES("struct_size");
    /* status and state texts for values outside the enums */
    CHECK(strcmp(rtlog_status_str((rtlog_status)-7), "unknown status") == 0, "status_str(-7) = \"%s\"",
          rtlog_status_str((rtlog_status)-7));
    CHECK(rtlog_version() != NULL && rtlog_last_error() != NULL, "static strings are NULL");
}

/* ---- after shutdown ----------------------------------------------------------- */

static void calls_after_shutdown(void)
{
    rtlog_config cfg;
    rtlog_producer *late = SENTINEL(rtlog_producer);
    rtlog_producer_stats ps;
    rtlog_producer_stats_init(&ps, sizeof ps);
    uint32_t n = 55;
    const char *dir = tu_path("after");

    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    cfg.dispatch_period_us = 500; /* a ticker thread too: it must be stopped as well */
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint64_t i = 0; i < 100; i++)
        publish_checked(p, RTLOG_STREAM_NORMAL, i);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);

    for (int s = 0; s < 2; s++) {
        CHECK_STATUS(rtlog_publish(p, (rtlog_stream)s, 1, "x", 1), RTLOG_ERR_INVALID_STATE);
        CHECK_STATUS(rtlog_publish(p, (rtlog_stream)s, 1, NULL, 0), RTLOG_ERR_INVALID_STATE);
    }
    CHECK_STATUS(rtlog_tick(lg, &n), RTLOG_ERR_INVALID_STATE);
    CHECK(n == 55, "a refused tick wrote *dispatched = %u", (unsigned)n);
    CHECK_STATUS(rtlog_flush(lg, 10), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_start(lg), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_producer_create(lg, "late", &late), RTLOG_ERR_INVALID_STATE);
    CHECK(late == NULL, "refused producer_create left *out = %p", (void *)late);
    CHECK_STATUS(rtlog_step_writer(lg, NULL), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_step_supervisor(lg, 1), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_enter_safe_mode(lg, "late"), RTLOG_ERR_INVALID_STATE);
    CHECK_STATUS(rtlog_clear_fault(lg), RTLOG_ERR_INVALID_STATE);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_STOPPED, "state after shutdown %d", (int)rtlog_get_state(lg));
    rtlog_stats st = tu_stats(lg);
    CHECK(st.state == RTLOG_STATE_STOPPED && st.published[1] == 100 && st.persisted == 100 && st.lag == 0,
          "after shutdown: state %d published %llu persisted %llu lag %llu", (int)st.state,
          (unsigned long long)st.published[1], (unsigned long long)st.persisted, (unsigned long long)st.lag);
    CHECK_STATUS(rtlog_producer_get_stats(p, &ps), RTLOG_OK);
    CHECK(ps.published[1] == 100 && ps.dropped[1] == 0 && ps.durable[1] == 100 && ps.in_ring[1] == 0,
          "producer after shutdown: published %llu dropped %llu durable %llu in ring %llu",
          (unsigned long long)ps.published[1], (unsigned long long)ps.dropped[1],
          (unsigned long long)ps.durable[1], (unsigned long long)ps.in_ring[1]);
    CHECK(rtlog_producer_durable_count(p, RTLOG_STREAM_NORMAL) == 100, "durable count after shutdown");
    rtlog_destroy(lg);
    CHECK(tu_walk_log(dir, NULL, NULL) == 100, "the log must hold the 100 records accepted before shutdown");
}

/* ---- two loggers, one directory ------------------------------------------------ */

static void two_loggers_one_directory(void)
{
    rtlog_config cfg;
    rtlog_logger *second = SENTINEL(rtlog_logger);
    const char *dir = tu_path("twice");

    tu_config(&cfg, dir);
    rtlog_logger *first = tu_logger_new(&cfg);
    CHECK_STATUS(rtlog_init(&cfg, &second), RTLOG_ERR_IO);
    CHECK(tu_last_error()[0] != '\0', "no rtlog_last_error text for a locked directory");
    CHECK(second == NULL, "refused rtlog_init left *out = %p", (void *)second);
    rtlog_producer *p = tu_producer_new(first, "p");
    CHECK_STATUS(rtlog_start(first), RTLOG_OK);
    publish_checked(p, RTLOG_STREAM_CRITICAL, 0);
    CHECK_STATUS(rtlog_init(&cfg, &second), RTLOG_ERR_IO); /* still locked while running */
    CHECK_STATUS(rtlog_shutdown(first), RTLOG_OK);
    /* the lock goes with shutdown, before destroy */
    second = tu_logger_new(&cfg);
    rtlog_destroy(second);
    rtlog_destroy(first);
    CHECK(tu_walk_log(dir, NULL, NULL) == 1, "the record of the first logger is not in the log");
}

/* ---- threads -------------------------------------------------------------------------- */

/* What each of the threads below does and saw. */
struct worker {
    pthread_t thread;
    rtlog_logger *lg;
    rtlog_producer *p;
    atomic_int *go;     /* start together */
    atomic_int *stop;   /* for loops that run until told */
    uint32_t records;   /* how many to publish (0: until *stop or INVALID_STATE) */
    uint64_t ok[2], full[2], other, ticks, moved, invalid_state;
    int ok_after_invalid_state; /* an OK after an INVALID_STATE: the gate reopened */
    rtlog_status bad;           /* first status outside the documented set, or RTLOG_OK */
};

static void wait_go(const struct worker *w)
{
    while (!atomic_load(w->go))
        sched_yield();
}

/* Publishes `records` self-checking records per stream (or until stopped
 * or refused with INVALID_STATE). Payload seq = the records accepted so far
 * on that stream, which is the record's own seq for a correctly used handle. */
static void *publisher_main(void *arg)
{
    struct worker *w = arg;
    uint8_t buf[MAXREC];
    uint16_t id = rtlog_producer_id(w->p);
    wait_go(w);
    for (uint64_t i = 0; w->records == 0 || i < 2ull * w->records; i++) {
        if (w->records == 0 && atomic_load_explicit(w->stop, memory_order_relaxed))
            break;
        int s = (int)(i & 1);
        uint32_t len = tu_payload_make(buf, MAXREC, id, (uint8_t)s, w->ok[s]);
        rtlog_status st = rtlog_publish(w->p, (rtlog_stream)s, 5, buf, len);
        if (st == RTLOG_OK) {
            w->ok[s]++;
            if (w->invalid_state)
                w->ok_after_invalid_state = 1;
        } else if (st == RTLOG_ERR_FULL) {
            w->full[s]++;
            if ((w->full[s] & 63) == 0)
                sched_yield(); /* let a ticker run on a loaded machine */
        } else if (st == RTLOG_ERR_INVALID_STATE) {
            w->invalid_state++;
            if (w->records == 0 && w->invalid_state > 1000)
                break; /* shut down: refusals are steady */
        } else {
            w->other++;
            if (w->bad == RTLOG_OK)
                w->bad = st;
        }
    }
    return NULL;
}

/* Ticks until *stop; every tick in RUN must return OK. */
static void *ticker_main(void *arg)
{
    struct worker *w = arg;
    wait_go(w);
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        uint32_t n = UINT32_MAX;
        rtlog_status st = rtlog_tick(w->lg, &n);
        w->ticks++;
        if (st == RTLOG_OK) {
            w->moved += n;
        } else if (st == RTLOG_ERR_INVALID_STATE) {
            w->invalid_state++;
        } else if (w->bad == RTLOG_OK) {
            w->bad = st;
        }
        if (n == 0)
            sched_yield();
    }
    return NULL;
}

static void start_worker(struct worker *w, void *(*fn)(void *))
{
    CHECK(pthread_create(&w->thread, NULL, fn, w) == 0, "pthread_create");
}

static void join_worker(struct worker *w, const char *what)
{
    CHECK(pthread_join(w->thread, NULL) == 0, "pthread_join");
    CHECK(w->bad == RTLOG_OK, "%s: undocumented status %d (%s)", what, (int)w->bad, tu_status_name(w->bad));
}

/* Per producer, what the log must hold: every record 0..expect[s]-1, intact. */
struct expectation {
    uint32_t producers;
    uint64_t expect[TU_MAX_PRODUCERS][2];
    int exact[TU_MAX_PRODUCERS];   /* 0: a misused handle: only the producer tag is checked */
    uint64_t seen[TU_MAX_PRODUCERS][2];
};

static void check_record(const rtlog_record *rec, void *ctx)
{
    struct expectation *e = ctx;
    uint64_t seq = 0;
    CHECK(rec->producer < e->producers, "record of producer %u, only %u exist", (unsigned)rec->producer,
          (unsigned)e->producers);
    if (e->exact[rec->producer]) {
        CHECK(tu_payload_check(rec->payload, rec->len, MAXREC, rec->producer, rec->stream, &seq) && seq == rec->seq,
              "producer %u stream %u seq %llu: payload damaged or of seq %llu", (unsigned)rec->producer,
              (unsigned)rec->stream, (unsigned long long)rec->seq, (unsigned long long)seq);
    } else {
        uint16_t tag;
        CHECK(rec->len >= TU_PAYLOAD_HEAD, "misused producer %u: record of %u bytes", (unsigned)rec->producer,
              (unsigned)rec->len);
        memcpy(&tag, rec->payload, 2);
        CHECK(tag == rec->producer, "a record of producer %u carries producer %u's payload",
              (unsigned)rec->producer, (unsigned)tag);
    }
    e->seen[rec->producer][rec->stream]++;
}

static void check_log(const char *dir, struct expectation *e)
{
    uint64_t lax = 0;
    for (uint32_t p = 0; p < e->producers; p++)
        if (!e->exact[p])
            lax |= 1ull << p;
    memset(e->seen, 0, sizeof e->seen);
    tu_walk_log_lax(dir, lax, check_record, e);
    for (uint32_t p = 0; p < e->producers; p++)
        for (int s = 0; s < 2; s++)
            if (e->exact[p])
                CHECK(e->seen[p][s] == e->expect[p][s],
                      "producer %u stream %d: %llu records in the log, %llu accepted", (unsigned)p, s,
                      (unsigned long long)e->seen[p][s], (unsigned long long)e->expect[p][s]);
}

/* Producer i was used only by publisher w[i]: the log must hold exactly what
 * that thread saw accepted. Returns the records accepted in all. */
static uint64_t expect_exactly(struct expectation *e, const struct worker *w, int n)
{
    uint64_t accepted = 0;
    e->producers = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        e->exact[i] = 1;
        for (int s = 0; s < 2; s++) {
            e->expect[i][s] = w[i].ok[s];
            accepted += w[i].ok[s];
        }
    }
    return accepted;
}

/* Two application threads tick while the internal ticker does too and
 * three producers publish: each record is dispatched exactly once. */
static void tick_from_two_threads(void)
{
    enum { P = 3, T = 2 };
    rtlog_config cfg;
    atomic_int go = 0, stop = 0;
    struct worker pub[P], tick[T];
    struct expectation e;
    char name[16];
    const char *dir = tu_path("ticks");

    memset(pub, 0, sizeof pub);
    memset(tick, 0, sizeof tick);
    memset(&e, 0, sizeof e);
    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    cfg.critical_depth = 64; /* small rings: publishers meet FULL, ticks race for work */
    cfg.normal_depth = 64;
    cfg.dispatch_budget = 16;
    cfg.dispatch_period_us = 200;
    cfg.durability = RTLOG_DURABILITY_FLUSH;
    rtlog_logger *lg = tu_logger_new(&cfg);
    for (int i = 0; i < P; i++) {
        snprintf(name, sizeof name, "pub%d", i);
        pub[i] = (struct worker){.lg = lg, .p = tu_producer_new(lg, name), .go = &go, .stop = &stop,
                                 .records = records_per_thread};
    }
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (int i = 0; i < T; i++) {
        tick[i] = (struct worker){.lg = lg, .go = &go, .stop = &stop};
        start_worker(&tick[i], ticker_main);
    }
    for (int i = 0; i < P; i++)
        start_worker(&pub[i], publisher_main);
    atomic_store(&go, 1);
    for (int i = 0; i < P; i++)
        join_worker(&pub[i], "publisher");
    atomic_store(&stop, 1);
    uint64_t moved = 0;
    for (int i = 0; i < T; i++) {
        join_worker(&tick[i], "ticker");
        CHECK(tick[i].invalid_state == 0, "a tick in RUN returned INVALID_STATE");
        moved += tick[i].moved;
    }
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_stats st = tu_stats(lg);
    rtlog_destroy(lg);

    uint64_t accepted = expect_exactly(&e, pub, P);
    CHECK(moved <= st.dispatched[0] + st.dispatched[1], "ticks report %llu moved, stats %llu dispatched",
          (unsigned long long)moved, (unsigned long long)(st.dispatched[0] + st.dispatched[1]));
    CHECK(st.dispatched[0] + st.dispatched[1] == accepted && st.persisted == accepted,
          "accepted %llu, dispatched %llu, persisted %llu", (unsigned long long)accepted,
          (unsigned long long)(st.dispatched[0] + st.dispatched[1]), (unsigned long long)st.persisted);
    check_log(dir, &e);
}

/* Producer 0's handle is used by two threads at once, which the header
 * forbids. That garbles producer 0's own records (two may get the same seq,
 * the log may hold them out of order, some may be missing), but producers 1
 * and 2 (each used correctly) must come back complete and intact, no record
 * may carry another producer's id, and nothing may crash or hang. */
static void one_producer_two_threads(void)
{
#ifdef TU_UNDER_TSAN
    /* a deliberate data race inside the library: not for TSan */
    printf("(skipped under TSan) ");
#else
    enum { THREADS = 4 };
    rtlog_config cfg;
    atomic_int go = 0, stop = 0;
    struct worker w[THREADS + 1], ticker;
    struct expectation e;
    const char *dir = tu_path("shared");

    memset(w, 0, sizeof w);
    memset(&e, 0, sizeof e);
    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    cfg.critical_depth = 32;
    cfg.normal_depth = 32;
    cfg.durability = RTLOG_DURABILITY_NONE;
    rtlog_logger *lg = tu_logger_new(&cfg);
    char lax[4200];
    snprintf(lax, sizeof lax, "%s/%s", dir, TU_LAX_FILE);
    FILE *f = fopen(lax, "w");
    CHECK(f != NULL && fputs("1\n", f) >= 0 && fclose(f) == 0, "cannot write %s", lax);
    rtlog_producer *shared = tu_producer_new(lg, "shared");
    rtlog_producer *b = tu_producer_new(lg, "b");
    rtlog_producer *c = tu_producer_new(lg, "c");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    rtlog_producer *handles[THREADS] = {shared, shared, b, c};
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.lg = lg, .p = handles[i], .go = &go, .stop = &stop, .records = records_per_thread};
        start_worker(&w[i], publisher_main);
    }
    ticker = (struct worker){.lg = lg, .go = &go, .stop = &stop};
    start_worker(&ticker, ticker_main);
    atomic_store(&go, 1);
    for (int i = 0; i < THREADS; i++)
        join_worker(&w[i], "publisher");
    atomic_store(&stop, 1);
    join_worker(&ticker, "ticker");
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);

    e.producers = 3;
    e.exact[0] = 0;
    for (int s = 0; s < 2; s++) {
        e.exact[1] = e.exact[2] = 1;
        e.expect[1][s] = w[2].ok[s];
        e.expect[2][s] = w[3].ok[s];
    }
    check_log(dir, &e);
    printf("(shared handle: %llu records back of %llu accepted) ",
           (unsigned long long)(e.seen[0][0] + e.seen[0][1]),
           (unsigned long long)(w[0].ok[0] + w[0].ok[1] + w[1].ok[0] + w[1].ok[1]));

#endif
}

/* rtlog_shutdown while RT threads keep publishing: it returns OK, every
 * later publish is INVALID_STATE (never OK again), and the log holds exactly
 * the records that were accepted. */
static void shutdown_while_publishing(void)
{
    enum { P = 3 };
    rtlog_config cfg;
    atomic_int go = 0, stop = 0;
    struct worker w[P], ticker;
    struct expectation e;
    char name[16];
    const char *dir = tu_path("racing-shutdown");

    memset(w, 0, sizeof w);
    memset(&e, 0, sizeof e);
    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    cfg.dispatch_period_us = 300;
    rtlog_logger *lg = tu_logger_new(&cfg);
    for (int i = 0; i < P; i++) {
        snprintf(name, sizeof name, "rt%d", i);
        w[i] = (struct worker){.lg = lg, .p = tu_producer_new(lg, name), .go = &go, .stop = &stop};
    }
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (int i = 0; i < P; i++)
        start_worker(&w[i], publisher_main);
    ticker = (struct worker){.lg = lg, .go = &go, .stop = &stop};
    start_worker(&ticker, ticker_main); /* an application ticker as well: it sees the shutdown too */
    atomic_store(&go, 1);
    /* shut down once the publishers are well under way */
    for (;;) {
        rtlog_stats st = tu_stats(lg);
        if (st.published[0] + st.published[1] >= 3000ull * P)
            break;
        sched_yield();
    }
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    for (int i = 0; i < P; i++) {
        join_worker(&w[i], "publisher");
        CHECK(w[i].invalid_state > 0, "publisher %d never saw INVALID_STATE", i);
        CHECK(!w[i].ok_after_invalid_state, "publisher %d: OK after INVALID_STATE", i);
    }
    atomic_store(&stop, 1);
    join_worker(&ticker, "ticker");
    rtlog_stats st = tu_stats(lg);
    rtlog_destroy(lg);

    uint64_t accepted = expect_exactly(&e, w, P);
    CHECK(st.published[0] + st.published[1] == accepted && st.persisted == accepted,
          "threads saw %llu accepted; stats: published %llu persisted %llu", (unsigned long long)accepted,
          (unsigned long long)(st.published[0] + st.published[1]), (unsigned long long)st.persisted);
    check_log(dir, &e);
}

/* rtlog_shutdown from two threads at once: one OK, the other INVALID_STATE. */
struct shutdown_call {
    pthread_t thread;
    rtlog_logger *lg;
    atomic_int *go;
    rtlog_status status;
};

static void *shutdown_main(void *arg)
{
    struct shutdown_call *c = arg;
    while (!atomic_load(c->go))
        sched_yield();
    c->status = rtlog_shutdown(c->lg);
    return NULL;
}

static void shutdown_from_two_threads(void)
{
    rtlog_config cfg;
    atomic_int go = 0;
    struct shutdown_call c[2];
    const char *dir = tu_path("shutdown2");

    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint64_t i = 0; i < 500; i++)
        publish_checked(p, RTLOG_STREAM_CRITICAL, i);
    for (int i = 0; i < 2; i++) {
        c[i] = (struct shutdown_call){.lg = lg, .go = &go};
        CHECK(pthread_create(&c[i].thread, NULL, shutdown_main, &c[i]) == 0, "pthread_create");
    }
    atomic_store(&go, 1);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(c[i].thread, NULL) == 0, "pthread_join");
    CHECK((c[0].status == RTLOG_OK && c[1].status == RTLOG_ERR_INVALID_STATE) ||
              (c[1].status == RTLOG_OK && c[0].status == RTLOG_ERR_INVALID_STATE),
          "concurrent shutdowns returned %s and %s, expected one OK and one INVALID_STATE",
          tu_status_name(c[0].status), tu_status_name(c[1].status));
    rtlog_destroy(lg);
    CHECK(tu_walk_log(dir, NULL, NULL) == 500, "records lost by concurrent shutdowns");
}

/* ---- destroy without shutdown -------------------------------------------------- */

static void destroy_without_shutdown(void)
{
    rtlog_config cfg;
    const char *dir = tu_path("destroy");
    struct expectation e;

    /* never started, with producers */
    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    tu_producer_new(lg, "a");
    tu_producer_new(lg, "b");
    rtlog_destroy(lg);

    /* running, records still in the rings (no tick yet), manual mode */
    cfg.manual = 1;
    cfg.max_record_size = MAXREC;
    lg = tu_logger_new(&cfg); /* the directory lock went with the first destroy */
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint64_t i = 0; i < 300; i++)
        publish_checked(p, RTLOG_STREAM_CRITICAL, i);
    rtlog_destroy(lg);

    /* running with all threads (writer, supervisor, ticker) */
    cfg.manual = 0;
    cfg.dispatch_period_us = 1000;
    lg = tu_logger_new(&cfg);
    p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint64_t i = 0; i < 300; i++)
        publish_checked(p, RTLOG_STREAM_NORMAL, i);
    rtlog_destroy(lg);

    /* both epochs' records, each whole: the walk checks the seqs per epoch */
    memset(&e, 0, sizeof e);
    e.producers = 1;
    e.exact[0] = 1;
    e.expect[0][0] = 300;
    e.expect[0][1] = 300;
    check_log(dir, &e);
}

int main(int argc, char **argv)
{
    const char *env = getenv("RTLOG_TEST_RECORDS");
    if (env && atol(env) > 0)
        records_per_thread = (uint32_t)atol(env);
    if (records_per_thread > 20000)
        records_per_thread = 20000;
    tu_init(argc, argv);

    TU_RUN(null_logger_functions);
    TU_RUN(null_producer_functions);
    TU_RUN(null_reader_functions);
    TU_RUN(null_with_live_objects);
    TU_RUN(null_dummy_buffers);
    TU_RUN(bad_struct_sizes);
    TU_RUN(invalid_enums);
    TU_RUN(calls_after_shutdown);
    TU_RUN(two_loggers_one_directory);
    TU_RUN(tick_from_two_threads);
    TU_RUN(one_producer_two_threads);
    TU_RUN(shutdown_while_publishing);
    TU_RUN(shutdown_from_two_threads);
    TU_RUN(destroy_without_shutdown);

    printf("test_misuse: %d passed, 0 failed\n", tu_cases_run);
    tu_cleanup();
    return 0;
}
