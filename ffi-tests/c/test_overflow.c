/*
 * test_overflow.c - the normal stream's overflow policies (rtlog_config.
 * normal_overflow) and the critical stream's overflow, with exact counts.
 *
 * Every case runs its own logger in manual mode over the dummy backend and
 * fills a ring without ticking, so which publish is accepted is exact. Each
 * case checks the statuses, rtlog_get_stats and rtlog_producer_get_stats,
 * and - after rtlog_shutdown - what reached the log (rtlog_dummy_frame):
 * the data frames' seqs and payloads and the loss markers (docs/FORMAT.md,
 * kind 5: u64 count, u64 first_seq, u64 last_seq, u32 reason, u32 0).
 *
 * A stream's log is written as a compact string, e.g.
 *     "d0=0 d1=1 d2=2 d3=3 lost3@4"
 * dN=V: a data frame of seq N whose payload is the u32 V (the index of the
 * publish call that stored it); lostC@S: a loss marker of reason 1 (refused)
 * for C records refused just before seq S; other reasons are written
 * lostC[F..L]rR.
 *
 * The Rust counterparts, with the same numbers, are in tests/supervisor.rs.
 *
 * Usage: test_overflow [base-scratch-dir]
 */
#include "test_util.h"
#include "rtlog_testing.h" /* rtlog_dummy_* */

#include <stddef.h>

#define MS 1000u /* rtlog_step_supervisor takes microseconds */

/* ---- helpers --------------------------------------------------------------- */

struct recorder {
    int n;
    rtlog_state last_to;
    char first_cause[256];
};

static void on_state(void *user, rtlog_state from, rtlog_state to, const char *cause)
{
    struct recorder *r = user;
    (void)from;
    if (r->n == 0)
        snprintf(r->first_cause, sizeof r->first_cause, "%s", cause ? cause : "(NULL)");
    r->last_to = to;
    r->n++;
}

static void manual_cfg(rtlog_config *cfg, rtlog_overflow policy, struct recorder *rec)
{
    rtlog_config_init(cfg, sizeof *cfg);
    cfg->dir = NULL;
    cfg->backend = RTLOG_BACKEND_DUMMY;
    cfg->manual = 1;
    cfg->critical_depth = 4;
    cfg->normal_depth = 4;
    cfg->degraded_quiet_ms = 100;
    cfg->durability = RTLOG_DURABILITY_FSYNC;
    cfg->normal_overflow = policy;
    memset(rec, 0, sizeof *rec);
    cfg->on_state_change = on_state;
    cfg->on_state_change_user = rec;
}

static rtlog_logger *start_logger(const rtlog_config *cfg, rtlog_producer **p)
{
    rtlog_logger *lg = NULL;
    CHECK_STATUS(rtlog_init(cfg, &lg), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "p", p), RTLOG_OK);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    return lg;
}

/* Publish calls first..first+n-1 (payload: the call's index as a u32) and
 * return a string of their statuses, "O" accepted, "F" refused. */
static const char *publish_calls(rtlog_producer *p, rtlog_stream stream, uint32_t first, uint32_t n)
{
    static char out[256];
    CHECK(n < sizeof out, "too many calls");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = first + i;
        rtlog_status s = rtlog_publish(p, stream, 0, &v, sizeof v);
        CHECK(s == RTLOG_OK || s == RTLOG_ERR_FULL, "publish call %u: %s", (unsigned)v, tu_status_name(s));
        out[i] = s == RTLOG_OK ? 'O' : 'F';
    }
    out[n] = '\0';
    return out;
}

#define CHECK_CALLS(p, stream, first, n, want)                                                   \
    do {                                                                                         \
        const char *got_ = publish_calls(p, stream, first, n);                                   \
        CHECK(strcmp(got_, want) == 0, "calls %u..%u on stream %d: %s, expected %s (O ok, F full)", \
              (unsigned)(first), (unsigned)((first) + (n)-1), (int)(stream), got_, want);        \
    } while (0)

/* published/dropped of one stream agree in rtlog_get_stats (one producer)
 * and rtlog_producer_get_stats, and equal the expected values. */
static void check_counts(const rtlog_logger *lg, const rtlog_producer *p, rtlog_stream s, uint64_t published,
                         uint64_t dropped)
{
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    rtlog_producer_stats ps;
    rtlog_producer_stats_init(&ps, sizeof ps);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_get_stats(p, &ps), RTLOG_OK);
    CHECK(st.published[s] == published && st.dropped[s] == dropped,
          "stream %d: rtlog_get_stats published %llu dropped %llu, expected %llu %llu", (int)s,
          (unsigned long long)st.published[s], (unsigned long long)st.dropped[s], (unsigned long long)published,
          (unsigned long long)dropped);
    CHECK(ps.published[s] == published && ps.dropped[s] == dropped,
          "stream %d: rtlog_producer_get_stats published %llu dropped %llu, expected %llu %llu", (int)s,
          (unsigned long long)ps.published[s], (unsigned long long)ps.dropped[s], (unsigned long long)published,
          (unsigned long long)dropped);
    CHECK(ps.id == rtlog_producer_id(p), "producer stats id %u, rtlog_producer_id %u", (unsigned)ps.id,
          (unsigned)rtlog_producer_id(p));
}

static uint64_t in_ring(const rtlog_producer *p, rtlog_stream s)
{
    rtlog_producer_stats ps;
    rtlog_producer_stats_init(&ps, sizeof ps);
    CHECK_STATUS(rtlog_producer_get_stats(p, &ps), RTLOG_OK);
    return ps.in_ring[s];
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
    return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

/* One data frame or loss marker of a stream, from the dummy backend. */
struct event {
    int loss; /* 0: data frame */
    uint64_t seq; /* data: seq; loss: the frame's seq field */
    uint32_t value; /* data: the u32 payload */
    uint64_t count, first, last;
    uint32_t reason;
};

/* The data frames and loss markers of producer p's stream, in log order. */
static int stream_events(rtlog_logger *lg, const rtlog_producer *p, rtlog_stream stream, struct event *out,
                         int cap)
{
    uint8_t buf[64];
    rtlog_record r;
    rtlog_record_init(&r, sizeof r);
    int n = 0;

    for (uint64_t i = 0;; i++) {
        rtlog_status s = rtlog_dummy_frame(lg, i, &r, buf, sizeof buf);
        if (s == RTLOG_END)
            break;
        CHECK_STATUS(s, RTLOG_OK);
        if (r.producer != rtlog_producer_id(p) || r.stream != stream)
            continue;
        if (r.kind == RTLOG_FRAME_DATA) {
            CHECK(n < cap, "more than %d events", cap);
            CHECK(r.len == 4, "data frame %llu: %u bytes, expected 4", (unsigned long long)i, (unsigned)r.len);
            out[n] = (struct event){.loss = 0, .seq = r.seq, .value = le32(buf)};
            n++;
        } else if (r.kind == RTLOG_FRAME_LOSS) {
            CHECK(n < cap, "more than %d events", cap);
            CHECK(r.len == 32, "loss frame %llu: %u bytes, expected 32", (unsigned long long)i, (unsigned)r.len);
            CHECK(le32(buf + 28) == 0, "loss frame %llu: reserved u32 is not 0", (unsigned long long)i);
            out[n] = (struct event){.loss = 1,
                                    .seq = r.seq,
                                    .count = le64(buf),
                                    .first = le64(buf + 8),
                                    .last = le64(buf + 16),
                                    .reason = le32(buf + 24)};
            CHECK(out[n].seq == out[n].first, "loss frame %llu: frame seq %llu, first_seq %llu",
                  (unsigned long long)i, (unsigned long long)out[n].seq, (unsigned long long)out[n].first);
            n++;
        } else {
            CHECK(0, "frame %llu of kind %u belongs to producer %u stream %u", (unsigned long long)i,
                  (unsigned)r.kind, (unsigned)r.producer, (unsigned)r.stream);
        }
    }
    return n;
}

/* The events as a string (see the top of the file). */
static const char *events_str(const struct event *ev, int n)
{
    static char out[4096];
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const struct event *e = &ev[i];
        const char *sep = i ? " " : "";
        int w;
        if (!e->loss)
            w = snprintf(out + len, sizeof out - len, "%sd%llu=%u", sep, (unsigned long long)e->seq,
                         (unsigned)e->value);
        else if (e->reason == 1 && e->first == e->last)
            w = snprintf(out + len, sizeof out - len, "%slost%llu@%llu", sep, (unsigned long long)e->count,
                         (unsigned long long)e->first);
        else
            w = snprintf(out + len, sizeof out - len, "%slost%llu[%llu..%llu]r%u", sep,
                         (unsigned long long)e->count, (unsigned long long)e->first, (unsigned long long)e->last,
                         (unsigned)e->reason);
        CHECK(w > 0 && (size_t)w < sizeof out - len, "events string too long");
        len += (size_t)w;
    }
    return out;
}

#define CHECK_LOG(lg, p, stream, want)                                                       \
    do {                                                                                     \
        struct event ev_[128];                                                               \
        int n_ = stream_events(lg, p, stream, ev_, 128);                                     \
        const char *got_ = events_str(ev_, n_);                                              \
        CHECK(strcmp(got_, want) == 0, "stream %d in the log:\n  got      %s\n  expected %s", \
              (int)(stream), got_, want);                                                    \
    } while (0)

static uint32_t tick(rtlog_logger *lg)
{
    uint32_t moved = 0;
    CHECK_STATUS(rtlog_tick(lg, &moved), RTLOG_OK);
    return moved;
}

static const char *policy_name(rtlog_overflow o)
{
    switch (o) {
    case RTLOG_OVERFLOW_DROP_NEWEST: return "DROP_NEWEST";
    case RTLOG_OVERFLOW_OVERWRITE_OLDEST: return "OVERWRITE_OLDEST";
    case RTLOG_OVERFLOW_SAMPLE: return "SAMPLE";
    case RTLOG_OVERFLOW_DISABLE: return "DISABLE";
    }
    return "(unknown)";
}

/* ---- cases ----------------------------------------------------------------- */

static void test_drop_newest_keeps_the_oldest(void)
{
    rtlog_config cfg;
    struct recorder rec;
    rtlog_producer *p;

    manual_cfg(&cfg, RTLOG_OVERFLOW_DROP_NEWEST, &rec);
    rtlog_config def;
    rtlog_config_init(&def, sizeof def);
    CHECK(def.normal_overflow == RTLOG_OVERFLOW_DROP_NEWEST, "default normal_overflow is %d, expected DROP_NEWEST",
          (int)def.normal_overflow);
    rtlog_logger *lg = start_logger(&cfg, &p);

    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 0, 7, "OOOOFFF");
    check_counts(lg, p, RTLOG_STREAM_NORMAL, 4, 3);
    check_counts(lg, p, RTLOG_STREAM_CRITICAL, 0, 0);
    CHECK(in_ring(p, RTLOG_STREAM_NORMAL) == 4, "in_ring %llu, expected 4",
          (unsigned long long)in_ring(p, RTLOG_STREAM_NORMAL));
    CHECK_STATUS(rtlog_step_supervisor(lg, 1 * MS), RTLOG_OK);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_DEGRADED, "state %d, expected DEGRADED", (int)rtlog_get_state(lg));

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    CHECK_LOG(lg, p, RTLOG_STREAM_NORMAL, "d0=0 d1=1 d2=2 d3=3 lost3@4");
    CHECK_LOG(lg, p, RTLOG_STREAM_CRITICAL, "");
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    CHECK(st.persisted == 4 && st.lost == 0, "persisted %llu lost %llu, expected 4 0",
          (unsigned long long)st.persisted, (unsigned long long)st.lost);
    rtlog_destroy(lg);
}

static void test_sample_accepts_one_in_n_above_the_high_water_mark(void)
{
    rtlog_config cfg;
    struct recorder rec;
    rtlog_producer *p;

    manual_cfg(&cfg, RTLOG_OVERFLOW_SAMPLE, &rec);
    cfg.normal_depth = 8;
    cfg.sample_high_water_pct = 50;
    cfg.sample_one_in = 3;
    rtlog_logger *lg = start_logger(&cfg, &p);

    /* 4 accepted below the mark (8 * 50 %), then 1 in 3: of calls 4..15 the
     * 3rd, 6th, 9th and 12th above the mark (6, 9, 12, 15), and the ring is
     * then full (8). */
    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 0, 16, "OOOOFFOFFOFFOFFO");
    check_counts(lg, p, RTLOG_STREAM_NORMAL, 8, 8);
    CHECK(in_ring(p, RTLOG_STREAM_NORMAL) == 8, "in_ring %llu, expected 8",
          (unsigned long long)in_ring(p, RTLOG_STREAM_NORMAL));

    /* Drained below the mark, every record is accepted again. */
    CHECK(tick(lg) == 8, "tick did not move the 8 records");
    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 16, 4, "OOOO");
    check_counts(lg, p, RTLOG_STREAM_NORMAL, 12, 8);

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    CHECK_LOG(lg, p, RTLOG_STREAM_NORMAL,
              "d0=0 d1=1 d2=2 d3=3 lost2@4 d4=6 lost2@5 d5=9 lost2@6 d6=12 lost2@7 d7=15 "
              "d8=16 d9=17 d10=18 d11=19");
    rtlog_destroy(lg);
}

static void test_disable_refuses_until_drained_and_supervisor_stepped(void)
{
    rtlog_config cfg;
    struct recorder rec;
    rtlog_producer *p;
    uint8_t b = 0;

    manual_cfg(&cfg, RTLOG_OVERFLOW_DISABLE, &rec);
    cfg.dispatch_budget = 1; /* drain one record per tick */
    rtlog_logger *lg = start_logger(&cfg, &p);

    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 0, 5, "OOOOF"); /* call 4 overflows: disabled */
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 0, &b, 1), RTLOG_OK); /* critical goes on */
    CHECK(tick(lg) == 1, "tick moved != 1"); /* the critical record first */
    CHECK(tick(lg) == 1, "tick moved != 1");
    CHECK(in_ring(p, RTLOG_STREAM_NORMAL) == 3, "in_ring %llu, expected 3",
          (unsigned long long)in_ring(p, RTLOG_STREAM_NORMAL));
    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 5, 1, "F"); /* disabled although the ring has room */
    CHECK_STATUS(rtlog_step_supervisor(lg, 1 * MS), RTLOG_OK);
    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 6, 1, "F"); /* 3 in a ring of 4: not yet drained to half */
    CHECK(tick(lg) == 1, "tick moved != 1");
    CHECK(in_ring(p, RTLOG_STREAM_NORMAL) == 2, "in_ring %llu, expected 2",
          (unsigned long long)in_ring(p, RTLOG_STREAM_NORMAL));
    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 7, 1, "F"); /* drained to half, but the supervisor did not step */
    CHECK_STATUS(rtlog_step_supervisor(lg, 1 * MS), RTLOG_OK);
    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 8, 1, "O"); /* re-enabled */
    check_counts(lg, p, RTLOG_STREAM_NORMAL, 5, 4);
    check_counts(lg, p, RTLOG_STREAM_CRITICAL, 1, 0);

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    CHECK_LOG(lg, p, RTLOG_STREAM_NORMAL, "d0=0 d1=1 d2=2 d3=3 lost4@4 d4=8");
    rtlog_destroy(lg);
}

static void test_overwrite_oldest_keeps_the_newest(void)
{
    rtlog_config cfg;
    struct recorder rec;
    rtlog_logger *lg = NULL;
    rtlog_producer *p = NULL;

    manual_cfg(&cfg, RTLOG_OVERFLOW_OVERWRITE_OLDEST, &rec);
    rtlog_status s = rtlog_init(&cfg, &lg);
    if (s == RTLOG_ERR_CONFIG) {
        printf("skipped: OVERWRITE_OLDEST not available (%s) ", tu_last_error());
        return;
    }
    CHECK_STATUS(s, RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(lg, "p", &p), RTLOG_OK);
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);

    CHECK_CALLS(p, RTLOG_STREAM_NORMAL, 0, 10, "OOOOOOOOOO"); /* all accepted, the oldest 6 overwritten */
    check_counts(lg, p, RTLOG_STREAM_NORMAL, 10, 6);
    CHECK(in_ring(p, RTLOG_STREAM_NORMAL) == 4, "in_ring %llu, expected 4 (the newest 4)",
          (unsigned long long)in_ring(p, RTLOG_STREAM_NORMAL));
    CHECK_STATUS(rtlog_step_supervisor(lg, 1 * MS), RTLOG_OK);
    CHECK(rtlog_get_state(lg) == RTLOG_STATE_DEGRADED, "state %d after 6 overwritten records, expected DEGRADED",
          (int)rtlog_get_state(lg));

    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_stats st;
    rtlog_stats_init(&st, sizeof st);
    CHECK_STATUS(rtlog_get_stats(lg, &st), RTLOG_OK);
    CHECK(st.persisted == 4, "persisted %llu, expected 4", (unsigned long long)st.persisted);

    /* Data: seqs 6..9, the last four calls. Loss: seqs 0..5, reason 3
     * (overwritten). docs/FORMAT.md does not list reason 3 yet: this is the
     * value the brief for OVERWRITE_OLDEST gives; if the format documents
     * another, change it here. The markers may split the range; together
     * they must cover 0..5 exactly once. */
    struct event ev[64];
    int n = stream_events(lg, p, RTLOG_STREAM_NORMAL, ev, 64);
    const char *all = events_str(ev, n);
    uint64_t next_data = 6, next_lost = 0;
    for (int i = 0; i < n; i++) {
        if (!ev[i].loss) {
            CHECK(ev[i].seq == next_data && ev[i].value == next_data, "unexpected data frame %d: %s", i, all);
            next_data++;
        } else {
            CHECK(ev[i].reason == 3, "loss marker %d has reason %u, expected 3 (overwritten): %s", i,
                  (unsigned)ev[i].reason, all);
            CHECK(ev[i].first == next_lost && ev[i].last >= ev[i].first &&
                      ev[i].count == ev[i].last - ev[i].first + 1,
                  "loss marker %d does not continue the lost range at %llu: %s", i,
                  (unsigned long long)next_lost, all);
            next_lost = ev[i].last + 1;
        }
    }
    CHECK(next_data == 10 && next_lost == 6, "expected data 6..9 and losses 0..5: %s", all);
    rtlog_destroy(lg);
}

/* A full critical ring refuses (FULL), counts and escalates to CRITICAL
 * whatever the normal stream's policy; none of the policies applies to the
 * critical stream (no sampling, no disabling, no overwriting). */
static void test_critical_overflow_under_every_policy(void)
{
    static const rtlog_overflow policies[] = {RTLOG_OVERFLOW_DROP_NEWEST, RTLOG_OVERFLOW_OVERWRITE_OLDEST,
                                              RTLOG_OVERFLOW_SAMPLE, RTLOG_OVERFLOW_DISABLE};

    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        const char *name = policy_name(policies[i]);
        rtlog_config cfg;
        struct recorder rec;
        rtlog_logger *lg = NULL;
        rtlog_producer *p = NULL;

        manual_cfg(&cfg, policies[i], &rec);
        cfg.critical_depth = 8;
        cfg.normal_depth = 8;
        cfg.sample_high_water_pct = 50;
        cfg.sample_one_in = 2;
        rtlog_status s = rtlog_init(&cfg, &lg);
        if (s == RTLOG_ERR_CONFIG && policies[i] == RTLOG_OVERFLOW_OVERWRITE_OLDEST) {
            printf("(%s skipped: not available) ", name);
            continue;
        }
        CHECK(s == RTLOG_OK, "%s: rtlog_init: %s (%s)", name, tu_status_name(s), tu_last_error());
        CHECK_STATUS(rtlog_producer_create(lg, "p", &p), RTLOG_OK);
        CHECK_STATUS(rtlog_start(lg), RTLOG_OK);

        const char *got = publish_calls(p, RTLOG_STREAM_CRITICAL, 0, 10);
        CHECK(strcmp(got, "OOOOOOOOFF") == 0, "%s: critical calls 0..9: %s, expected OOOOOOOOFF", name, got);
        check_counts(lg, p, RTLOG_STREAM_CRITICAL, 8, 2);
        CHECK(rec.n == 0 && rtlog_get_state(lg) == RTLOG_STATE_NORMAL, "%s: state changed before the step", name);
        CHECK_STATUS(rtlog_step_supervisor(lg, 1 * MS), RTLOG_OK);
        CHECK(rtlog_get_state(lg) == RTLOG_STATE_CRITICAL, "%s: state %d, expected CRITICAL", name,
              (int)rtlog_get_state(lg));
        CHECK(rec.n == 1 && strstr(rec.first_cause, "critical") != NULL, "%s: %d transitions, cause \"%s\"", name,
              rec.n, rec.first_cause);

        /* The critical stream is not disabled by its overflow: drained, it
         * takes records again. The normal stream was never involved. */
        while (tick(lg) > 0) {
        }
        got = publish_calls(p, RTLOG_STREAM_CRITICAL, 10, 1);
        CHECK(strcmp(got, "O") == 0, "%s: critical publish after draining: %s", name, got);
        got = publish_calls(p, RTLOG_STREAM_NORMAL, 0, 1);
        CHECK(strcmp(got, "O") == 0, "%s: normal publish: %s", name, got);
        check_counts(lg, p, RTLOG_STREAM_CRITICAL, 9, 2);
        check_counts(lg, p, RTLOG_STREAM_NORMAL, 1, 0);

        CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
        CHECK_LOG(lg, p, RTLOG_STREAM_CRITICAL, "d0=0 d1=1 d2=2 d3=3 d4=4 d5=5 d6=6 d7=7 lost2@8 d8=10");
        CHECK_LOG(lg, p, RTLOG_STREAM_NORMAL, "d0=0");
        rtlog_destroy(lg);
    }
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);

    TU_RUN(test_drop_newest_keeps_the_oldest);
    TU_RUN(test_sample_accepts_one_in_n_above_the_high_water_mark);
    TU_RUN(test_disable_refuses_until_drained_and_supervisor_stepped);
    TU_RUN(test_overwrite_oldest_keeps_the_newest);
    TU_RUN(test_critical_overflow_under_every_policy);

    printf("test_overflow: %d cases\n", tu_cases_run);
    tu_cleanup();
    printf("test_overflow: ok\n");
    return 0;
}
