/*
 * fault_workload.c - rtlog on failing storage: the program that
 * ffi-tests/faults/fault_run.sh runs under libfiu (fiu-run -x), under
 * RLIMIT_FSIZE and on a full file system.
 *
 * For each of --epochs epochs it opens the log directory (recovering what
 * the previous epoch left), starts --producers RT threads that publish
 * --records self-checking records each (test_util.h's tu_payload_*), while
 * the main thread asks for flushes and clears CRITICAL as an operator
 * would. Every status must be one the header documents for the call. Then
 * it shuts down and notes each producer's durable counts.
 *
 * At the end the faults are switched off (fiu_counter_stop) and the whole
 * log is read back: no record may come back damaged, twice, out of order or
 * under another producer, and every record that rtlog reported durable must
 * be there. The exit status is 0 only if all of that holds; a crash, a
 * hang (fault_run.sh's timeout) or a wrong status fails.
 *
 * Usage: fault_workload DIR [--epochs N] [--producers N] [--records N]
 *          [--durability none|flush|fsync|batch] [--segment-bytes N]
 *          [--preallocate] [--fsize BYTES] [--filler PATH]
 *          [--expect-errors EFBIG|ENOSPC|any] [--fresh]
 *   --fsize    sets RLIMIT_FSIZE (SIGXFSZ keeps its default action: the
 *              library's threads must not be killed by it)
 *   --filler   a file that fills the log's file system; it is deleted when
 *              the publishers are half-way (they wait for it) and the
 *              writer has met the full disk, and the logger must then write
 *              every record of the second half
 *   --expect-errors  the run must see storage failures (with that errno):
 *              write or sync errors, or a failed rtlog_init/rtlog_start
 *   --fresh    remove DIR first
 */
#include "../c/test_util.h"
#include "fiu_counter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

enum { MAXREC = 200, MAX_EPOCHS = 8, MAX_PRODUCERS = 8 };

static struct options {
    const char *dir;
    int epochs, producers;
    uint32_t records;
    rtlog_durability durability;
    uint64_t segment_bytes;
    int preallocate;
    uint64_t fsize;
    const char *filler;
    const char *expect_errors;
} opt = {NULL, 2, 4, 20000, RTLOG_DURABILITY_FSYNC_BATCH, 256 * 1024, 0, 0, NULL, NULL};

/* --filler: the publishers wait at half-way until the space is back. */
static atomic_int at_half, space_back;

struct publisher {
    pthread_t thread;
    rtlog_producer *p;
    atomic_int *go;
    atomic_uint_fast64_t done; /* publish calls made */
    uint64_t ok[2], full[2];
    uint64_t max_ns;            /* longest publish call (reported, not asserted) */
    rtlog_status bad;
};

/* What one epoch left: its number and what rtlog reported durable. */
struct epoch_result {
    uint32_t epoch;
    uint64_t published[MAX_PRODUCERS][2];
    uint64_t durable[MAX_PRODUCERS][2];
};

static struct epoch_result results[MAX_EPOCHS];
static int epochs_run;
static uint64_t total_write_errors, total_sync_errors, total_lost, total_published, total_persisted;
static uint64_t max_publish_ns, flush_status_count[16], start_failures;
static int errnos_seen[256];

/* A failed rtlog_init or rtlog_start counts as a storage failure seen; its
 * errno is in rtlog_last_error()'s "(os error N)". */
static void note_failed_call(void)
{
    const char *e = strstr(tu_last_error(), "(os error ");
    int n = e ? atoi(e + 10) : 0;
    start_failures++;
    if (n > 0 && n < 256)
        errnos_seen[n] = 1;
}

static void *publisher_main(void *arg)
{
    struct publisher *w = arg;
    uint8_t buf[MAXREC];
    uint16_t id = rtlog_producer_id(w->p);
    while (!atomic_load(w->go))
        sched_yield();
    for (uint64_t i = 0; i < 2ull * opt.records; i++) {
        int s = (int)(i % 2);
        if (opt.filler && i == opt.records) {
            atomic_fetch_add(&at_half, 1);
            while (!atomic_load(&space_back))
                sched_yield();
        }
        uint32_t len = tu_payload_make(buf, MAXREC, id, (uint8_t)s, w->ok[s]);
        uint64_t t0 = tu_now_ns();
        rtlog_status st = rtlog_publish(w->p, (rtlog_stream)s, 3, buf, len);
        uint64_t dt = tu_now_ns() - t0;
        if (dt > w->max_ns)
            w->max_ns = dt;
        if (st == RTLOG_OK)
            w->ok[s]++;
        else if (st == RTLOG_ERR_FULL)
            w->full[s]++;
        else if (w->bad == RTLOG_OK)
            w->bad = st; /* the RUN phase allows only OK and FULL here */
        atomic_store_explicit(&w->done, i + 1, memory_order_release);
        if ((i & 255) == 255) {
            struct timespec ts = {0, 200000}; /* a control loop's period, roughly */
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* Waits (up to 20 s) until the writer is done with every accepted record. */
static void wait_settled(rtlog_logger *lg)
{
    for (int i = 0; i < 2000 && tu_stats(lg).lag > 0; i++) {
        struct timespec ts = {0, 10000000};
        (void)rtlog_flush(lg, 0);
        nanosleep(&ts, NULL);
    }
    CHECK(tu_stats(lg).lag == 0, "the writer still holds %llu records after 20 s",
          (unsigned long long)tu_stats(lg).lag);
}

static uint64_t published_calls(struct publisher *w, int n)
{
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += atomic_load_explicit(&w[i].done, memory_order_acquire);
    return sum;
}

/* One epoch; returns 0 when rtlog_init or rtlog_start failed (allowed under
 * injected faults: the epoch is skipped), 1 otherwise. */
static int run_epoch(int index)
{
    rtlog_config cfg;
    rtlog_logger *lg = NULL;
    struct publisher w[MAX_PRODUCERS];
    atomic_int go = 0;
    char name[16];
    rtlog_status st;

    tu_config(&cfg, opt.dir);
    cfg.max_producers = (uint32_t)opt.producers;
    cfg.max_record_size = MAXREC;
    cfg.critical_depth = 256;
    cfg.normal_depth = 512;
    cfg.dispatch_period_us = 500;
    cfg.durability = opt.durability;
    cfg.batch_records = 256;
    cfg.batch_interval_us = 2000;
    cfg.segment_bytes = opt.segment_bytes;
    cfg.preallocate = (uint32_t)opt.preallocate;
    cfg.supervisor_period_us = 1000;
    cfg.degraded_quiet_ms = 20;

    st = rtlog_init(&cfg, &lg);
    if (st != RTLOG_OK) {
        CHECK(st == RTLOG_ERR_IO && lg == NULL, "rtlog_init: %s (%s), *out %p", tu_status_name(st), tu_last_error(),
              (void *)lg);
        fprintf(stderr, "attempt %d: rtlog_init failed: %s (%s)\n", index + 1, tu_status_name(st), tu_last_error());
        note_failed_call();
        return 0;
    }
    memset(w, 0, sizeof w);
    for (int i = 0; i < opt.producers; i++) {
        snprintf(name, sizeof name, "rt%d", i);
        w[i].p = tu_producer_new(lg, name);
        w[i].go = &go;
    }
    st = rtlog_start(lg);
    if (st != RTLOG_OK) {
        CHECK(st == RTLOG_ERR_IO, "rtlog_start: %s (%s)", tu_status_name(st), tu_last_error());
        fprintf(stderr, "attempt %d: rtlog_start failed: %s (%s)\n", index + 1, tu_status_name(st),
                tu_last_error());
        note_failed_call();
        rtlog_destroy(lg);
        return 0;
    }
    struct epoch_result *r = &results[epochs_run];
    r->epoch = tu_stats(lg).epoch;
    for (int i = 0; i < opt.producers; i++)
        CHECK(pthread_create(&w[i].thread, NULL, publisher_main, &w[i]) == 0, "pthread_create");
    atomic_store(&go, 1);

    /* The operator: flush now and then, clear CRITICAL, free space once. */
    uint64_t total = 2ull * opt.records * (uint64_t)opt.producers;
    int filler_gone = opt.filler == NULL;
    uint64_t persisted_at_free = 0, accepted_at_free = 0, lost_at_free = 0;
    while (published_calls(w, opt.producers) < total) {
        st = rtlog_flush(lg, 20);
        CHECK(st == RTLOG_OK || st == RTLOG_ERR_TIMEOUT || st == RTLOG_ERR_IO, "rtlog_flush: %s (%s)",
              tu_status_name(st), tu_last_error());
        flush_status_count[st]++;
        rtlog_state state = rtlog_get_state(lg);
        CHECK(state >= RTLOG_STATE_NORMAL && state <= RTLOG_STATE_SAFE, "state %d while running", (int)state);
        if (state == RTLOG_STATE_CRITICAL)
            CHECK_STATUS(rtlog_clear_fault(lg), RTLOG_OK);
        if (!filler_gone && atomic_load(&at_half) == opt.producers) {
            /* Free the space once the writer has met the full disk (the first half is far more
             * than the 64 KiB left), then give it time past its reopen backoff (at most 1 s:
             * records arriving while it waits to retry are lost) before the second half. */
            for (int i = 0; i < 2000 && tu_stats(lg).write_errors == 0; i++)
                (void)rtlog_flush(lg, 10);
            CHECK(tu_stats(lg).write_errors > 0, "the writer met no full disk in the first half");
            CHECK(unlink(opt.filler) == 0, "unlink %s: %s", opt.filler, strerror(errno));
            filler_gone = 1;
            struct timespec backoff = {2, 0};
            nanosleep(&backoff, NULL);
            wait_settled(lg);
            rtlog_stats at = tu_stats(lg);
            persisted_at_free = at.persisted;
            lost_at_free = at.lost;
            for (int i = 0; i < opt.producers; i++)
                accepted_at_free += w[i].ok[0] + w[i].ok[1];
            atomic_store(&space_back, 1);
        }
    }
    for (int i = 0; i < opt.producers; i++) {
        CHECK(pthread_join(w[i].thread, NULL) == 0, "pthread_join");
        CHECK(w[i].bad == RTLOG_OK, "rtlog_publish returned %s while running", tu_status_name(w[i].bad));
        if (w[i].max_ns > max_publish_ns)
            max_publish_ns = w[i].max_ns;
    }
    if (opt.filler) {
        /* every record accepted after the space came back is written, none lost */
        wait_settled(lg);
        uint64_t accepted_after = 0;
        for (int i = 0; i < opt.producers; i++)
            accepted_after += w[i].ok[0] + w[i].ok[1];
        accepted_after -= accepted_at_free;
        rtlog_stats end = tu_stats(lg);
        uint64_t persisted_after = end.persisted - persisted_at_free;
        CHECK(accepted_after > 0 && persisted_after == accepted_after && end.lost == lost_at_free,
              "after the space came back: %llu records accepted, %llu persisted, %llu lost",
              (unsigned long long)accepted_after, (unsigned long long)persisted_after,
              (unsigned long long)(end.lost - lost_at_free));
        printf("space back: %llu records accepted, %llu persisted\n", (unsigned long long)accepted_after,
               (unsigned long long)persisted_after);
    }
    st = rtlog_shutdown(lg);
    CHECK(st == RTLOG_OK || st == RTLOG_ERR_IO, "rtlog_shutdown: %s (%s)", tu_status_name(st), tu_last_error());
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_STOPPED, "state %d after shutdown", (int)rtlog_get_state(lg));
    rtlog_stats stats = tu_stats(lg);
    CHECK(stats.lag == 0, "lag %llu after shutdown: every accepted record is persisted or lost by then",
          (unsigned long long)stats.lag);
    CHECK(stats.persisted + stats.lost >= stats.published[0] + stats.published[1],
          "persisted %llu + lost %llu < published %llu", (unsigned long long)stats.persisted,
          (unsigned long long)stats.lost, (unsigned long long)(stats.published[0] + stats.published[1]));
    for (int i = 0; i < opt.producers; i++) {
        rtlog_producer_stats ps;
        rtlog_producer_stats_init(&ps, sizeof ps);
        CHECK_STATUS(rtlog_producer_get_stats(w[i].p, &ps), RTLOG_OK);
        for (int s = 0; s < 2; s++) {
            CHECK(ps.published[s] == w[i].ok[s], "producer %d stream %d: stats say %llu published, threads %llu", i,
                  s, (unsigned long long)ps.published[s], (unsigned long long)w[i].ok[s]);
            CHECK(ps.durable[s] <= ps.published[s], "durable %llu > published %llu",
                  (unsigned long long)ps.durable[s], (unsigned long long)ps.published[s]);
            r->published[i][s] = ps.published[s];
            r->durable[i][s] = ps.durable[s];
        }
    }
    if (stats.last_errno > 0 && stats.last_errno < 256)
        errnos_seen[stats.last_errno] = 1;
    total_write_errors += stats.write_errors;
    total_sync_errors += stats.sync_errors;
    total_lost += stats.lost;
    total_published += stats.published[0] + stats.published[1];
    total_persisted += stats.persisted;
    printf("epoch %u: published %llu, persisted %llu, lost %llu, write errors %llu, sync errors %llu, "
           "last errno %d, shutdown %s\n",
           (unsigned)r->epoch, (unsigned long long)(stats.published[0] + stats.published[1]),
           (unsigned long long)stats.persisted, (unsigned long long)stats.lost,
           (unsigned long long)stats.write_errors, (unsigned long long)stats.sync_errors, (int)stats.last_errno,
           tu_status_name(st));
    rtlog_destroy(lg);
    epochs_run++;
    return 1;
}

/* ---- reading back -------------------------------------------------------------- */

static struct epoch_result *result_of(uint32_t epoch)
{
    for (int i = 0; i < epochs_run; i++)
        if (results[i].epoch == epoch)
            return &results[i];
    return NULL;
}

static uint64_t seen[MAX_EPOCHS][MAX_PRODUCERS][2];  /* records read per epoch, producer, stream */
static uint64_t prefix[MAX_EPOCHS][MAX_PRODUCERS][2]; /* seqs 0..prefix-1 all read */

static void check_record(const rtlog_record *rec, void *ctx)
{
    uint64_t seq = 0;
    (void)ctx;
    CHECK(rec->producer < opt.producers, "record of producer %u", (unsigned)rec->producer);
    CHECK(tu_payload_check(rec->payload, rec->len, MAXREC, rec->producer, rec->stream, &seq) && seq == rec->seq,
          "epoch %u producer %u stream %u seq %llu: payload damaged, or of another record (seq %llu)",
          (unsigned)rec->epoch, (unsigned)rec->producer, (unsigned)rec->stream, (unsigned long long)rec->seq,
          (unsigned long long)seq);
    struct epoch_result *r = result_of(rec->epoch);
    if (r == NULL)
        return; /* an epoch whose shutdown we never saw (none here, but harmless) */
    int e = (int)(r - results);
    CHECK(rec->seq < r->published[rec->producer][rec->stream], "epoch %u: seq %llu was never accepted",
          (unsigned)rec->epoch, (unsigned long long)rec->seq);
    seen[e][rec->producer][rec->stream]++;
    if (rec->seq == prefix[e][rec->producer][rec->stream])
        prefix[e][rec->producer][rec->stream]++;
}

static uint64_t verify(void)
{
    uint64_t n = tu_walk_log(opt.dir, check_record, NULL);
    for (int e = 0; e < epochs_run; e++)
        for (int p = 0; p < opt.producers; p++)
            for (int s = 0; s < 2; s++)
                CHECK(prefix[e][p][s] >= results[e].durable[p][s],
                      "epoch %u producer %d stream %d: reported durable up to seq %llu, but the log has only "
                      "seqs 0..%llu without a gap",
                      (unsigned)results[e].epoch, p, s, (unsigned long long)results[e].durable[p][s],
                      (unsigned long long)prefix[e][p][s]);
    return n;
}

static int errno_named(const char *name)
{
    if (strcmp(name, "EFBIG") == 0)
        return EFBIG;
    if (strcmp(name, "ENOSPC") == 0)
        return ENOSPC;
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2, "usage: fault_workload DIR [options] (see the source)");
    opt.dir = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--epochs") == 0)
            opt.epochs = atoi(v), i++;
        else if (strcmp(a, "--producers") == 0)
            opt.producers = atoi(v), i++;
        else if (strcmp(a, "--records") == 0)
            opt.records = (uint32_t)strtoul(v, NULL, 0), i++;
        else if (strcmp(a, "--segment-bytes") == 0)
            opt.segment_bytes = strtoull(v, NULL, 0), i++;
        else if (strcmp(a, "--fsize") == 0)
            opt.fsize = strtoull(v, NULL, 0), i++;
        else if (strcmp(a, "--filler") == 0)
            opt.filler = v, i++;
        else if (strcmp(a, "--expect-errors") == 0)
            opt.expect_errors = v, i++;
        else if (strcmp(a, "--preallocate") == 0)
            opt.preallocate = 1;
        else if (strcmp(a, "--fresh") == 0) {
            fiu_counter_hold(1); /* our own clean-up is not under test */
            CHECK(tu_rm_rf(opt.dir) == 0, "cannot remove %s", opt.dir);
            fiu_counter_hold(0);
        }
        else if (strcmp(a, "--durability") == 0) {
            static const char *const names[] = {"none", "flush", "fsync", "batch"};
            int d = -1;
            for (int k = 0; k < 4; k++)
                if (strcmp(v, names[k]) == 0)
                    d = k;
            CHECK(d >= 0, "unknown durability %s", v);
            opt.durability = (rtlog_durability)d;
            i++;
        } else {
            CHECK(0, "unknown option %s", a);
        }
    }
    CHECK(opt.epochs >= 1 && opt.epochs <= MAX_EPOCHS && opt.producers >= 1 && opt.producers <= MAX_PRODUCERS,
          "--epochs 1..%d, --producers 1..%d", MAX_EPOCHS, MAX_PRODUCERS);
    if (opt.fsize) {
        struct rlimit rl = {opt.fsize, opt.fsize};
        CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit(RLIMIT_FSIZE): %s", strerror(errno));
    }

    uint64_t t0 = tu_now_ns();
    for (int e = 0; e < opt.epochs; e++)
        run_epoch(e);
    fiu_counter_stop(); /* faults off: from here on every failure is a finding */

    uint64_t n = verify();
    printf("fault_workload: %d of %d epochs ran; %llu records published, %llu persisted, %llu lost, %llu read back "
           "intact; write errors %llu, sync errors %llu; flush OK/TIMEOUT/IO %llu/%llu/%llu; longest publish "
           "%llu ns; %.1f s\n",
           epochs_run, opt.epochs, (unsigned long long)total_published, (unsigned long long)total_persisted,
           (unsigned long long)total_lost, (unsigned long long)n, (unsigned long long)total_write_errors,
           (unsigned long long)total_sync_errors, (unsigned long long)flush_status_count[RTLOG_OK],
           (unsigned long long)flush_status_count[RTLOG_ERR_TIMEOUT], (unsigned long long)flush_status_count[RTLOG_ERR_IO],
           (unsigned long long)max_publish_ns, (double)(tu_now_ns() - t0) / 1e9);
    if (opt.expect_errors) {
        CHECK(total_write_errors + total_sync_errors + start_failures > 0,
              "expected write or sync errors (or a failed rtlog_init/rtlog_start), saw none");
        int want = errno_named(opt.expect_errors);
        CHECK(want == 0 || errnos_seen[want], "expected errno %s (%d) among the failures", opt.expect_errors, want);
    }
    return 0;
}
