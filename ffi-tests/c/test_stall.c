/*
 * test_stall.c - the backend stalls for 2 s while 4 producers publish at
 * full rate: every publish returns (OK or FULL), none waits on the stall,
 * the counts add up, and after the stall everything accepted is persisted.
 *
 * Threaded mode (internal ticker at 1 kHz, writer and supervisor threads)
 * over the dummy backend, durability FLUSH. rtlog_dummy_stall(lg, 2000) right
 * after rtlog_start makes the writer's next write - the first batch of
 * records - block for 2 s. Meanwhile the rings fill and publish must refuse
 * (RTLOG_ERR_FULL) instead of waiting. Four threads publish on both streams
 * as fast as they can for about 2.5 s, timing every call.
 *
 * The only timing assertion is the bound on the slowest publish (see
 * MAX_PUBLISH_NS); everything else is exact. Runs in about 3 s.
 *
 * Usage: test_stall [base-scratch-dir]
 */
#include "test_util.h"
#include "rtlog_testing.h" /* rtlog_dummy_* */

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 4
#define STALL_MS 2000u
#define PUBLISH_FOR_NS 2500000000ull /* from the stall request */

/*
 * The slowest single rtlog_publish allowed: 1000 ms, half the stall. publish
 * is wait-free (a copy into a ring and a counter update; a few hundred ns), so
 * what this bounds is how long a thread can be descheduled inside one call. A
 * publish that waited on the stalled write would block until the stall ends:
 * the first refusals come within milliseconds of the stall's start, so such a
 * publish would take close to STALL_MS, twice this bound. The bound was 200 ms
 * until a TSan run next to other builds on a loaded 2-core machine measured a
 * 222 ms preemption: with 4 publishing threads plus the logger's ticker, writer
 * and supervisor threads, a preemption of a few hundred ms is load, not a
 * wait, and a flaky bound proves nothing.
 */
#define MAX_PUBLISH_NS 1000000000ull

static atomic_int go;
static atomic_int stop;
static atomic_int saw_critical, saw_degraded, transitions_seen;

static void on_state(void *user, rtlog_state from, rtlog_state to, const char *cause)
{
    (void)user;
    (void)from;
    (void)cause;
    if (to == RTLOG_STATE_CRITICAL)
        atomic_store(&saw_critical, 1);
    if (to == RTLOG_STATE_DEGRADED)
        atomic_store(&saw_degraded, 1);
    atomic_fetch_add(&transitions_seen, 1);
}

struct worker {
    pthread_t thread;
    rtlog_producer *p;
    uint32_t index;
    uint64_t ok[2], full[2];
    uint64_t max_ns;
};

static void *publish_main(void *arg)
{
    struct worker *w = arg;
    uint64_t n = 0;
    uint8_t payload[8];

    while (!atomic_load(&go)) {
    }
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        rtlog_stream stream = (n & 1) ? RTLOG_STREAM_NORMAL : RTLOG_STREAM_CRITICAL;
        memcpy(payload, &n, sizeof payload);
        uint64_t t0 = tu_now_ns();
        rtlog_status s = rtlog_publish(w->p, stream, (uint16_t)w->index, payload, sizeof payload);
        uint64_t dt = tu_now_ns() - t0;
        if (dt > w->max_ns)
            w->max_ns = dt;
        if (s == RTLOG_OK)
            w->ok[stream]++;
        else if (s == RTLOG_ERR_FULL)
            w->full[stream]++;
        else
            CHECK(0, "thread %u: publish %llu returned %d (%s), expected OK or FULL", (unsigned)w->index,
                  (unsigned long long)n, (int)s, tu_status_name(s));
        n++;
    }
    return NULL;
}

static void sleep_until(uint64_t t_ns)
{
    for (;;) {
        uint64_t now = tu_now_ns();
        if (now >= t_ns)
            return;
        uint64_t left = t_ns - now;
        struct timespec ts = {.tv_sec = (time_t)(left / 1000000000u), .tv_nsec = (long)(left % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}

static void test_publish_never_waits_on_a_stalled_backend(void)
{
    rtlog_config cfg;
    rtlog_logger *lg = NULL;
    struct worker w[THREADS];
    char name[16];
    uint64_t t_begin = tu_now_ns();

    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = NULL;
    cfg.backend = RTLOG_BACKEND_DUMMY;
    cfg.dispatch_period_us = 1000;
    cfg.durability = RTLOG_DURABILITY_FLUSH;
    cfg.on_state_change = on_state;
    CHECK_STATUS(rtlog_init(&cfg, &lg), RTLOG_OK);
    memset(w, 0, sizeof w);
    for (uint32_t i = 0; i < THREADS; i++) {
        snprintf(name, sizeof name, "pub%u", (unsigned)i);
        CHECK_STATUS(rtlog_producer_create(lg, name, &w[i].p), RTLOG_OK);
        w[i].index = i;
    }
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    CHECK_STATUS(rtlog_dummy_stall(lg, STALL_MS), RTLOG_OK);
    uint64_t t_stall = tu_now_ns();

    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&w[i].thread, NULL, publish_main, &w[i]) == 0, "pthread_create");
    atomic_store(&go, 1);

    /* Halfway through the stall: nothing can have been persisted yet (the
     * first write of records is the one that stalls), so the stall is real. */
    sleep_until(t_stall + STALL_MS * 1000000ull / 2);
    rtlog_stats mid = tu_stats(lg);
    uint64_t t_mid = tu_now_ns();
    CHECK(t_mid - t_stall >= STALL_MS * 1000000ull || mid.persisted == 0,
          "%llu records persisted %.3f s into a %u ms stall", (unsigned long long)mid.persisted,
          (double)(t_mid - t_stall) / 1e9, (unsigned)STALL_MS);

    sleep_until(t_stall + PUBLISH_FOR_NS);
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_join(w[i].thread, NULL) == 0, "pthread_join");
    uint64_t t_stop = tu_now_ns();

    /* Per thread: what the thread counted is what its producer counted. */
    uint64_t ok[2] = {0, 0}, full[2] = {0, 0}, max_ns = 0;
    for (int i = 0; i < THREADS; i++) {
        rtlog_producer_stats ps;
        rtlog_producer_stats_init(&ps, sizeof ps);
        CHECK_STATUS(rtlog_producer_get_stats(w[i].p, &ps), RTLOG_OK);
        for (int s = 0; s < 2; s++) {
            CHECK(ps.published[s] == w[i].ok[s] && ps.dropped[s] == w[i].full[s],
                  "thread %d stream %d: counted %llu OK %llu FULL, producer stats published %llu dropped %llu", i,
                  s, (unsigned long long)w[i].ok[s], (unsigned long long)w[i].full[s],
                  (unsigned long long)ps.published[s], (unsigned long long)ps.dropped[s]);
            ok[s] += w[i].ok[s];
            full[s] += w[i].full[s];
        }
        if (w[i].max_ns > max_ns)
            max_ns = w[i].max_ns;
    }
    printf("published: critical %llu OK %llu FULL, normal %llu OK %llu FULL; slowest publish %.3f ms\n",
           (unsigned long long)ok[0], (unsigned long long)full[0], (unsigned long long)ok[1],
           (unsigned long long)full[1], (double)max_ns / 1e6);
    CHECK(max_ns < MAX_PUBLISH_NS, "the slowest publish took %.3f ms (bound %.0f ms): it waited on the stall?",
          (double)max_ns / 1e6, (double)MAX_PUBLISH_NS / 1e6);
    CHECK(full[0] > 0 && full[1] > 0, "no refusals during a %u ms stall (critical %llu, normal %llu)",
          (unsigned)STALL_MS, (unsigned long long)full[0], (unsigned long long)full[1]);
    CHECK(ok[0] > 0 && ok[1] > 0, "nothing accepted (critical %llu, normal %llu)", (unsigned long long)ok[0],
          (unsigned long long)ok[1]);

    rtlog_stats st = tu_stats(lg);
    for (int s = 0; s < 2; s++)
        CHECK(st.published[s] == ok[s] && st.dropped[s] == full[s],
              "stream %d: rtlog_get_stats published %llu dropped %llu, threads counted %llu OK %llu FULL", s,
              (unsigned long long)st.published[s], (unsigned long long)st.dropped[s], (unsigned long long)ok[s],
              (unsigned long long)full[s]);

    /* After the stall, everything accepted is persisted. */
    CHECK_STATUS(rtlog_flush(lg, 30000), RTLOG_OK);
    uint64_t t_flushed = tu_now_ns();
    st = tu_stats(lg);
    CHECK(st.persisted == ok[0] + ok[1], "persisted %llu, accepted %llu", (unsigned long long)st.persisted,
          (unsigned long long)(ok[0] + ok[1]));
    CHECK(st.persisted_stream[0] == ok[0] && st.persisted_stream[1] == ok[1],
          "persisted per stream %llu %llu, accepted %llu %llu", (unsigned long long)st.persisted_stream[0],
          (unsigned long long)st.persisted_stream[1], (unsigned long long)ok[0], (unsigned long long)ok[1]);
    CHECK(st.lost == 0 && st.write_errors == 0 && st.sync_errors == 0 && st.lag == 0,
          "lost %llu write_errors %llu sync_errors %llu lag %llu, expected all 0", (unsigned long long)st.lost,
          (unsigned long long)st.write_errors, (unsigned long long)st.sync_errors, (unsigned long long)st.lag);

    /* And the backend holds exactly those records: per producer and stream,
     * seqs 0, 1, 2... up to what was published, each once. */
    uint64_t next_seq[THREADS][2];
    uint64_t data = 0;
    uint8_t buf[16];
    rtlog_record r;
    rtlog_record_init(&r, sizeof r);
    memset(next_seq, 0, sizeof next_seq);
    for (uint64_t i = 0;; i++) {
        rtlog_status s = rtlog_dummy_frame(lg, i, &r, buf, sizeof buf);
        if (s == RTLOG_END)
            break;
        CHECK_STATUS(s, RTLOG_OK);
        if (r.kind != RTLOG_FRAME_DATA)
            continue;
        CHECK(r.producer < THREADS && r.stream < 2, "frame %llu: producer %u stream %u", (unsigned long long)i,
              (unsigned)r.producer, (unsigned)r.stream);
        CHECK(r.seq == next_seq[r.producer][r.stream], "frame %llu: producer %u stream %u seq %llu, expected %llu",
              (unsigned long long)i, (unsigned)r.producer, (unsigned)r.stream, (unsigned long long)r.seq,
              (unsigned long long)next_seq[r.producer][r.stream]);
        CHECK(r.len == 8 && r.type == r.producer, "frame %llu: len %u type %u", (unsigned long long)i,
              (unsigned)r.len, (unsigned)r.type);
        next_seq[r.producer][r.stream]++;
        data++;
    }
    CHECK(data == st.persisted, "%llu data frames in the dummy backend, %llu persisted", (unsigned long long)data,
          (unsigned long long)st.persisted);
    for (int i = 0; i < THREADS; i++)
        for (int s = 0; s < 2; s++)
            CHECK(next_seq[i][s] == w[i].ok[s], "producer %d stream %d: %llu records in the log, %llu accepted", i,
                  s, (unsigned long long)next_seq[i][s], (unsigned long long)w[i].ok[s]);

    /* Critical records were refused: the supervisor must have escalated. Its
     * thread steps every millisecond; the refusals are 0.5 s old or more, but
     * give it up to 1 s more before calling it a failure. */
    if (full[0] > 0) {
        uint64_t deadline = tu_now_ns() + 1000000000ull;
        while (!atomic_load(&saw_critical) && tu_now_ns() < deadline)
            sleep_until(tu_now_ns() + 1000000u);
        CHECK(atomic_load(&saw_critical), "%llu critical records refused, but the supervisor never entered CRITICAL",
              (unsigned long long)full[0]);
        CHECK(rtlog_get_state(lg) == RTLOG_STATE_CRITICAL, "state %d, expected CRITICAL (only clear_fault leaves it)",
              (int)rtlog_get_state(lg));
    }

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    st = tu_stats(lg);
    CHECK(st.transitions == (uint32_t)atomic_load(&transitions_seen), "stats.transitions %u, callback saw %d",
          (unsigned)st.transitions, atomic_load(&transitions_seen));
    rtlog_destroy(lg);

    printf("stall %u ms; publishing %.2f s; flush %.3f s; data frames %llu; total %.2f s\n", (unsigned)STALL_MS,
           (double)(t_stop - t_stall) / 1e9, (double)(t_flushed - t_stop) / 1e9, (unsigned long long)data,
           (double)(tu_now_ns() - t_begin) / 1e9);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    test_publish_never_waits_on_a_stalled_backend();
    tu_cleanup();
    printf("test_stall: ok\n");
    return 0;
}
