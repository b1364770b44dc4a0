/*
 * test_rt_malloc.c - the RT contract, allocation part, seen from C: after
 * rtlog_start, rtlog_publish and rtlog_tick never call the allocator on an RT
 * thread — accepting path, full-ring path, refusals — with the shared library
 * as a C program loads it.
 *
 * How: alloc_count.h (shared with the C++ test test_cpp_rt.cpp) interposes
 * the whole malloc family and counts calls per thread; see its comment.
 *
 * Three RT threads publish 1,000,000 records each after rtlog_start (both
 * streams, payload lengths 0..MAX_RECORD, refusals: too large, unknown
 * stream, NULL payload), first with nobody ticking until every ring has
 * refused a record (the full-ring path), then ticking every 8th record
 * themselves (rtlog_tick is RT-safe and try-locked) while the main thread
 * ticks too, so that both paths keep running whatever the scheduling. Each RT
 * thread reads its counter right before and right after its loop; every
 * difference must be 0, and so must the main thread's during its tick loop.
 *
 * Each RT thread also logs a message after every record, with the RTLOG_* macros
 * (messages_kit.h: every argument kind, a NULL string, a string cut to fit,
 * ERROR on the critical stream, DEBUG filtered below the threshold); after
 * the run every accepted message is read back and its text compared with
 * snprintf's.
 *
 * The instrument is checked first: a malloc/free in a control thread is
 * counted in that thread only, and rtlog_init (which allocates inside
 * librtlog.so) is counted in the main thread. Otherwise a zero would prove
 * nothing.
 *
 * Usage: test_rt_malloc [base-scratch-dir]
 * RTLOG_TEST_RECORDS=<n> overrides the records per RT thread (default
 * 1,000,000).
 */
#include "test_util.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#if !defined(__GLIBC__)
int main(void)
{
    printf("test_rt_malloc: SKIP: the allocator interposition forwards to glibc's __libc_malloc family\n");
    return 0;
}
#else

#include "alloc_count.h"
#include "messages_kit.h"

/* ---- the test ----------------------------------------------------------- */

#define NRT 3
#define MAX_RECORD 64u
#define TIMEOUT_NS (120ull * 1000000000ull)

static uint64_t records = 1000000;
static rtlog_logger *lg;
static atomic_int filled;    /* RT threads whose both rings have refused a record */
static atomic_int rt_done;

struct rt_ctx {
    pthread_t thread;
    rtlog_producer *prod;
    int ticks;               /* this RT thread also calls rtlog_tick (1 for all) */
    uint64_t calls;          /* allocator calls during the loop: must be 0 */
    uint64_t ok[2], full[2], refused, other, tick_errors;
    uint64_t sink;
    struct mk_counts mk;     /* the log messages */
};

static void *rt_main(void *arg)
{
    struct rt_ctx *c = arg;
    uint8_t payload[MAX_RECORD + 1];
    int reported_filled = 0;
    memset(payload, 0x5a, sizeof payload);

    uint64_t before = ac_thread_calls();
    for (uint64_t i = 0; i < records; i++) {
        unsigned s = (i % 4 == 0) ? RTLOG_STREAM_CRITICAL : RTLOG_STREAM_NORMAL;
        uint32_t len = (uint32_t)(i % (MAX_RECORD + 1));
        rtlog_status st = rtlog_publish(c->prod, (rtlog_stream)s, (uint16_t)i, payload, len);
        if (st == RTLOG_OK)
            c->ok[s]++;
        else if (st == RTLOG_ERR_FULL)
            c->full[s]++;
        else
            c->other++;
        mk_publish(c->prod, i, &c->mk);
        if (!reported_filled && c->full[0] > 0 && c->full[1] > 0) {
            reported_filled = 1;
            atomic_fetch_add(&filled, 1);
        }
        if (i % 1000 == 500) {
            /* Refusals and the other RT-safe calls. */
            c->refused += rtlog_publish(c->prod, RTLOG_STREAM_NORMAL, 0, payload, MAX_RECORD + 1)
                          == RTLOG_ERR_TOO_LARGE;
            c->refused += rtlog_publish(c->prod, (rtlog_stream)7, 0, payload, 1)
                          == RTLOG_ERR_INVALID_ARGUMENT;
            c->refused += rtlog_publish(c->prod, RTLOG_STREAM_CRITICAL, 0, NULL, 4)
                          == RTLOG_ERR_INVALID_ARGUMENT;
            c->sink += (uint64_t)rtlog_get_state(lg);
            c->sink += rtlog_producer_durable_count(c->prod, RTLOG_STREAM_CRITICAL);
        }
        if (c->ticks && atomic_load_explicit(&filled, memory_order_relaxed) == NRT && i % 8 == 0) {
            uint32_t n = 0;
            if (rtlog_tick(lg, &n) != RTLOG_OK)
                c->tick_errors++;
        }
    }
    /* A fault raised from the RT thread (issue 17), last: SAFE would refuse the normal stream. */
    c->sink += (uint64_t)rtlog_signal_fault(c->prod, 1);
    c->calls = ac_thread_calls() - before;
    if (!reported_filled)
        atomic_fetch_add(&filled, 1); /* do not keep main waiting; checked below */
    atomic_fetch_add(&rt_done, 1);
    return NULL;
}

/* The instrument: calls in a control thread are counted there, and only there. */
struct control { uint64_t calls; };

static void *control_main(void *arg)
{
    struct control *c = arg;
    uint64_t before = ac_thread_calls();
    void *volatile p = malloc(64);
    free(p);
    void *q = NULL;
    CHECK(posix_memalign(&q, 128, 256) == 0, "posix_memalign");
    free(q);
    c->calls = ac_thread_calls() - before;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *env = getenv("RTLOG_TEST_RECORDS");
    tu_init(argc, argv);
    mk_init();
    if (env && *env)
        records = strtoull(env, NULL, 10);
    CHECK(records >= 1000, "RTLOG_TEST_RECORDS must be >= 1000");

    struct control ctl = {0};
    uint64_t main_before = ac_thread_calls();
    pthread_t ct;
    CHECK(pthread_create(&ct, NULL, control_main, &ctl) == 0, "pthread_create");
    CHECK(pthread_join(ct, NULL) == 0, "pthread_join");
    CHECK(ctl.calls == 4, "control thread: %" PRIu64 " allocator calls counted, expected 4 "
          "(malloc, free, posix_memalign, free): the interposition does not work", ctl.calls);

    char *dir = tu_fresh_dir("rt_malloc");
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.max_producers = NRT;
    cfg.max_record_size = MAX_RECORD;
    cfg.critical_depth = 64;
    cfg.normal_depth = 256;
    cfg.dispatch_budget = 64;
    cfg.dispatch_period_us = 0; /* the RT threads and the main thread tick */
    cfg.durability = RTLOG_DURABILITY_NONE;
    uint64_t init_before = ac_thread_calls();
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    uint64_t init_calls = ac_thread_calls() - init_before;
    CHECK(init_calls > 0, "rtlog_init made no allocator call that this program saw: the "
          "interposition does not reach librtlog.so");

    struct rt_ctx ctx[NRT];
    memset(ctx, 0, sizeof ctx);
    for (int i = 0; i < NRT; i++) {
        char name[16];
        snprintf(name, sizeof name, "rt-%d", i);
        CHECK_STATUS(rtlog_producer_create(lg, name, &ctx[i].prod), RTLOG_OK);
        ctx[i].ticks = 1;
    }
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (int i = 0; i < NRT; i++)
        CHECK(pthread_create(&ctx[i].thread, NULL, rt_main, &ctx[i]) == 0, "pthread_create");

    /* Nobody ticks until every RT thread has seen both of its rings full. */
    uint64_t t0 = tu_now_ns();
    while (atomic_load(&filled) < NRT) {
        CHECK(tu_now_ns() - t0 < TIMEOUT_NS, "the rings did not fill");
        sched_yield();
    }
    uint64_t ticks = 0, moved = 0, tick_errors = 0;
    uint64_t tick_before = ac_thread_calls();
    while (atomic_load(&rt_done) < NRT) {
        uint32_t n = 0;
        if (rtlog_tick(lg, &n) != RTLOG_OK)
            tick_errors++;
        ticks++;
        moved += n;
        if (n == 0)
            sched_yield();
        CHECK(tu_now_ns() - t0 < TIMEOUT_NS, "the RT threads did not finish");
    }
    uint64_t tick_calls = ac_thread_calls() - tick_before;
    for (int i = 0; i < NRT; i++)
        CHECK(pthread_join(ctx[i].thread, NULL) == 0, "pthread_join");
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);

    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    uint64_t ok[2] = {0, 0}, full[2] = {0, 0}, msg_ok = 0, filtered = 0;
    for (int i = 0; i < NRT; i++) {
        struct rt_ctx *c = &ctx[i];
        printf("rt-%d: %" PRIu64 " allocator calls in %" PRIu64 " publishes (critical ok %" PRIu64
               " full %" PRIu64 ", normal ok %" PRIu64 " full %" PRIu64 ")\n",
               i, c->calls, records, c->ok[0], c->full[0], c->ok[1], c->full[1]);
        CHECK(c->calls == 0, "RT thread %d made %" PRIu64 " allocator calls while publishing%s",
              i, c->calls, c->ticks ? " and ticking" : "");
        CHECK(c->other == 0, "RT thread %d: %" PRIu64 " unexpected statuses", i, c->other);
        CHECK(c->tick_errors == 0, "RT thread %d: %" PRIu64 " failed ticks", i, c->tick_errors);
        CHECK(c->refused == 3 * (records / 1000), "RT thread %d: %" PRIu64 " refusals, expected %" PRIu64,
              i, c->refused, 3 * (records / 1000));
        CHECK(c->full[0] > 0 && c->full[1] > 0, "RT thread %d: a ring never filled", i);
        CHECK(c->ok[0] > 0 && c->ok[1] > 0, "RT thread %d: nothing accepted", i);
        struct mk_counts *m = &c->mk;
        CHECK(m->published == records && m->other == 0 && m->filtered == mk_filtered_of(records),
              "RT thread %d: messages: %" PRIu64 " published, %" PRIu64 " filtered, %" PRIu64
              " unexpected statuses", i, m->published, m->filtered, m->other);
        CHECK(m->ok_critical > 0 && m->ok > m->ok_critical && m->full_critical > 0 &&
              m->full > m->full_critical, "RT thread %d: messages accepted %" PRIu64 " (%" PRIu64
              " critical), refused %" PRIu64 " (%" PRIu64 " critical): a path did not run", i,
              m->ok, m->ok_critical, m->full, m->full_critical);
        ok[0] += c->ok[0] + m->ok_critical;
        ok[1] += c->ok[1] + m->ok - m->ok_critical;
        full[0] += c->full[0] + m->full_critical;
        full[1] += c->full[1] + m->full - m->full_critical;
        msg_ok += m->ok;
        filtered += m->filtered;
    }
    CHECK(tick_calls == 0, "the main thread made %" PRIu64 " allocator calls in %" PRIu64 " ticks",
          tick_calls, ticks);
    CHECK(tick_errors == 0, "%" PRIu64 " failed ticks", tick_errors);
    for (int s = 0; s < 2; s++) {
        CHECK(st.published[s] == ok[s], "stats.published[%d] = %" PRIu64 ", accepted %" PRIu64,
              s, st.published[s], ok[s]);
        CHECK(st.dropped[s] == full[s], "stats.dropped[%d] = %" PRIu64 ", refused %" PRIu64,
              s, st.dropped[s], full[s]);
    }
    CHECK(st.persisted == ok[0] + ok[1], "stats.persisted = %" PRIu64 ", accepted %" PRIu64,
          st.persisted, ok[0] + ok[1]);
    CHECK(st.filtered == filtered, "stats.filtered = %" PRIu64 ", filtered %" PRIu64,
          st.filtered, filtered);
    rtlog_destroy(lg);
    uint64_t msg_read = mk_check_log(dir);
    CHECK(msg_read == msg_ok, "%" PRIu64 " messages read back, %" PRIu64 " accepted", msg_read,
          msg_ok);

    printf("test_rt_malloc: %d RT threads x %" PRIu64 " publishes, main thread %" PRIu64
           " ticks (%" PRIu64 " records): 0 allocator calls on the RT path; %" PRIu64
           " messages (every argument kind) read back and checked\n",
           NRT, records, ticks, moved, msg_read);
    printf("  instrument: control thread 4/4 calls seen; rtlog_init %" PRIu64 " calls; process "
           "total malloc %" PRIu64 ", calloc %" PRIu64 ", realloc %" PRIu64 ", free %" PRIu64
           ", aligned %" PRIu64 " (main thread before start: %" PRIu64 ")\n",
           init_calls, ac_total(AC_MALLOC), ac_total(AC_CALLOC),
           ac_total(AC_REALLOC), ac_total(AC_FREE), ac_total(AC_MEMALIGN),
           tick_before - main_before);
    tu_cleanup();
    return 0;
}

#endif /* __GLIBC__ */
