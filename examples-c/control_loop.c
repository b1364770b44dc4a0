/*
 * control_loop.c - rtlog in a 1 kHz control loop.
 *
 * Four joint-controller threads wake on absolute CLOCK_MONOTONIC deadlines
 * (clock_nanosleep with TIMER_ABSTIME, so lateness never accumulates). Every
 * cycle each thread publishes two records:
 *   CRITICAL  the joint state it computed (cycle, position, velocity)
 *   NORMAL    a diagnostic: how late the thread woke up
 * and log messages (printf-style, with a level) when something happens:
 *   INFO   the controller starts
 *   WARN   the joint's speed goes over its limit (once per excursion)
 *   ERROR  a simulated encoder fault (joint 2, cycle 250), ERROR goes on the
 *          critical stream
 *   DEBUG  the state every 100 cycles: filtered (counted, not published) unless
 *          the third argument lowers the level to debug
 * rtlog_publish and the RTLOG_* macros are RT-safe: they copy into the thread's
 * own ring and never block, allocate, format or enter the kernel (the text is
 * formatted by whoever reads the log: `rtlog dump --level warn LOGDIR`). The
 * main thread calls rtlog_tick every 1 ms to move records from the rings to
 * the writer thread, which persists them with the default durability,
 * FSYNC_BATCH.
 *
 * Build and run: `cmake --workflow --preset demo`, or by hand from the
 * repository root after `cargo build --release`:
 *   cc -std=c11 -O2 -Iinclude examples-c/control_loop.c target/release/librtlog.a \
 *      -lpthread -ldl -lm -o control_loop
 *   ./control_loop [seconds, default 5] [log dir, default ./rtlog-demo-log] [level, default info]
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtlog.h"

#define NUM_JOINTS 4
#define PERIOD_NS 1000000L /* 1 kHz */
#define RT_PRIORITY 80     /* SCHED_FIFO priority of the joint threads */
#define SPEED_LIMIT 2.0    /* rad/s: above it a joint is too fast (a WARN) */
#define FAULT_JOINT 2      /* the simulated encoder fault: this joint... */
#define FAULT_CYCLE 250    /* ...at this cycle */

/* The record type tells a reader how to decode the payload. */
enum { REC_JOINT_STATE = 1, REC_WAKEUP_LATENCY = 2 };

/* Payloads are plain structs, copied byte for byte into the log. */
struct joint_state { uint64_t cycle; double position_rad, velocity_rad_s; };
struct wakeup_latency { uint64_t cycle; int64_t late_ns; /* woke up this long after the deadline */ };

struct joint_thread {
    pthread_t thread;
    rtlog_producer *producer; /* one producer handle per thread */
    struct timespec first_deadline;
    uint64_t cycles;
    int joint;
    rtlog_status error; /* first unexpected status, RTLOG_OK if none */
};

static void timespec_add_ns(struct timespec *t, long ns) /* ns < 1 s */
{
    t->tv_nsec += ns;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

/* The status of a publish or a message from the RT thread. RTLOG_ERR_FULL is
 * not an error for a control loop, which must never wait for logging: the
 * record is dropped and counted in rtlog_stats.dropped. Any other failure
 * stops the thread. */
static int logged(struct joint_thread *jt, rtlog_status st)
{
    if (st != RTLOG_OK && st != RTLOG_ERR_FULL && jt->error == RTLOG_OK)
        jt->error = st;
    return jt->error == RTLOG_OK;
}

static int publish(struct joint_thread *jt, rtlog_stream stream, uint16_t type, const void *payload,
                   uint32_t len)
{
    return logged(jt, rtlog_publish(jt->producer, stream, type, payload, len));
}

/* The real-time thread: nothing in the loop allocates, locks or does I/O. */
static void *joint_main(void *arg)
{
    struct joint_thread *jt = arg;
    struct timespec deadline = jt->first_deadline, now;
    /* A simulated joint: a damped oscillator, one Euler step per cycle. */
    const double dt = PERIOD_NS / 1e9, stiffness = 40.0 * (jt->joint + 1), damping = 0.5;
    double pos = 0.1 * (jt->joint + 1), vel = 0.0;
    int too_fast = 0, encoder_ok = 1;
    rtlog_producer *p = jt->producer;

    /* Messages: the format is checked like printf's (-Wformat); the call
     * copies a reference to its static call site and the arguments, no text. */
    if (!logged(jt, RTLOG_INFO(p, "joint %d controller started: period %ld us, stiffness %.1f",
                               jt->joint, PERIOD_NS / 1000, stiffness)))
        return NULL;
    for (uint64_t cycle = 0; cycle < jt->cycles; cycle++) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
            ;
        clock_gettime(CLOCK_MONOTONIC, &now);

        if (encoder_ok) { /* after the fault, the joint holds its last position */
            vel += (-stiffness * pos - damping * vel) * dt;
            pos += vel * dt;
        }
        if (jt->joint == FAULT_JOINT && cycle == FAULT_CYCLE) {
            encoder_ok = 0;
            vel = 0.0;
            if (!logged(jt, RTLOG_ERROR(p, "joint %d encoder fault at cycle %lu: %s, holding %.4f rad",
                                        jt->joint, (unsigned long)cycle, "no reply from encoder", pos)))
                break;
        }
        if (fabs(vel) > SPEED_LIMIT && !too_fast &&
            !logged(jt, RTLOG_WARN(p, "joint %d over speed limit: %.3f rad/s > %.1f at cycle %lu",
                                   jt->joint, fabs(vel), SPEED_LIMIT, (unsigned long)cycle)))
            break;
        too_fast = fabs(vel) > SPEED_LIMIT;
        if (cycle % 100 == 0 &&
            !logged(jt, RTLOG_DEBUG(p, "joint %d cycle %lu pos %.4f vel %.4f", jt->joint,
                                    (unsigned long)cycle, pos, vel)))
            break;

        struct joint_state state = {cycle, pos, vel};
        struct wakeup_latency lat = {cycle, (int64_t)(now.tv_sec - deadline.tv_sec) * 1000000000 +
                                                (now.tv_nsec - deadline.tv_nsec)};
        if (!publish(jt, RTLOG_STREAM_CRITICAL, REC_JOINT_STATE, &state, sizeof state) ||
            !publish(jt, RTLOG_STREAM_NORMAL, REC_WAKEUP_LATENCY, &lat, sizeof lat))
            break;
        timespec_add_ns(&deadline, PERIOD_NS);
    }
    return NULL;
}

/* Start a thread with SCHED_FIFO if allowed, else with normal scheduling. */
static int start_joint_thread(struct joint_thread *jt, int *fifo_allowed)
{
    if (*fifo_allowed) {
        pthread_attr_t attr;
        struct sched_param param = {.sched_priority = RT_PRIORITY};
        pthread_attr_init(&attr);
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &param);
        int rc = pthread_create(&jt->thread, &attr, joint_main, jt);
        pthread_attr_destroy(&attr);
        if (rc != EPERM)
            return rc;
        printf("note: SCHED_FIFO not permitted (needs CAP_SYS_NICE or `ulimit -r`); "
               "running with normal scheduling\n");
        *fifo_allowed = 0;
    }
    return pthread_create(&jt->thread, NULL, joint_main, jt);
}

static int failed(const char *what, rtlog_status st)
{
    fprintf(stderr, "control_loop: %s: %s (%s)\n", what, rtlog_status_str(st), rtlog_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 5.0;
    const char *dir = argc > 2 ? argv[2] : "./rtlog-demo-log";
    const char *level = argc > 3 ? argv[3] : "info";
    struct joint_thread joints[NUM_JOINTS];
    rtlog_logger *lg = NULL;
    rtlog_config cfg;
    rtlog_stats stats;
    rtlog_stats_init(&stats, sizeof stats);
    rtlog_status st;
    int fifo_allowed = 1, rc = 0;

    static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "fatal"};
    int min_level = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(level, level_names[i]) == 0)
            min_level = i; /* RTLOG_LEVEL_TRACE + i */
    if (!(seconds > 0.0 && seconds <= 86400.0) || min_level < 0) {
        fprintf(stderr,
                "usage: %s [seconds > 0, default 5] [log dir, default ./rtlog-demo-log] "
                "[level: trace|debug|info|warn|error|fatal, default info]\n",
                argv[0]);
        return 2;
    }
    uint64_t cycles = seconds < 0.001 ? 1 : (uint64_t)(seconds * 1000.0 + 0.5);

    /* Defaults: FSYNC_BATCH durability, 1024 critical / 4096 normal slots per ring. */
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.max_producers = NUM_JOINTS;
    cfg.max_record_size = 64; /* our largest payload: records 24 bytes, messages up to ~50 */
    cfg.dispatch_period_us = 0; /* the main loop below ticks; no internal ticker */
    if ((st = rtlog_init(&cfg, &lg)) != RTLOG_OK)
        return failed("rtlog_init", st);
    /* Messages below this level are filtered: counted, not published. */
    if ((st = rtlog_set_level(lg, (rtlog_level)min_level)) != RTLOG_OK) {
        rc = failed("rtlog_set_level", st);
        goto out;
    }

    /* Producers are created before rtlog_start, one per RT thread. */
    memset(joints, 0, sizeof joints);
    for (int j = 0; j < NUM_JOINTS; j++) {
        char name[32];
        snprintf(name, sizeof name, "joint-%d", j);
        joints[j].joint = j;
        joints[j].cycles = cycles;
        if ((st = rtlog_producer_create(lg, name, &joints[j].producer)) != RTLOG_OK) {
            rc = failed("rtlog_producer_create", st);
            goto out;
        }
    }
    if ((st = rtlog_start(lg)) != RTLOG_OK) {
        rc = failed("rtlog_start", st);
        goto out;
    }

    /* All joints share one time base, starting 10 ms from now. */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    timespec_add_ns(&start, 10 * PERIOD_NS);
    for (int j = 0; j < NUM_JOINTS; j++) {
        joints[j].first_deadline = start;
        if (start_joint_thread(&joints[j], &fifo_allowed) != 0) {
            fprintf(stderr, "control_loop: cannot start thread %d\n", j);
            exit(1); /* exiting the process stops the threads already running */
        }
    }

    /* The main loop: tick every 1 ms, half a period after the joints run. */
    struct timespec next = start;
    timespec_add_ns(&next, PERIOD_NS / 2);
    for (uint64_t i = 0; i < cycles && rc == 0; i++) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
        if ((st = rtlog_tick(lg, NULL)) != RTLOG_OK)
            rc = failed("rtlog_tick", st);
        timespec_add_ns(&next, PERIOD_NS);
    }

    for (int j = 0; j < NUM_JOINTS; j++) {
        pthread_join(joints[j].thread, NULL);
        if (joints[j].error != RTLOG_OK)
            rc = failed("rtlog_publish or a message", joints[j].error);
    }

    /* Shutdown dispatches what is still in the rings and makes it durable. */
    if ((st = rtlog_shutdown(lg)) != RTLOG_OK)
        rc = failed("rtlog_shutdown", st);
    if ((st = rtlog_get_stats(lg, &stats)) != RTLOG_OK) {
        rc = failed("rtlog_get_stats", st);
        goto out;
    }
    printf("%d threads x %" PRIu64 " cycles at 1 kHz (%s)\n", NUM_JOINTS, cycles,
           fifo_allowed ? "SCHED_FIFO" : "normal scheduling");
    printf("published: %" PRIu64 " critical, %" PRIu64 " normal\n", stats.published[RTLOG_STREAM_CRITICAL],
           stats.published[RTLOG_STREAM_NORMAL]);
    printf("dropped:   %" PRIu64 " critical, %" PRIu64 " normal (ring full)\n", stats.dropped[RTLOG_STREAM_CRITICAL],
           stats.dropped[RTLOG_STREAM_NORMAL]);
    printf("filtered:  %" PRIu64 " messages below %s\n", stats.filtered, level);
    printf("persisted: %" PRIu64 " records, %" PRIu64 " bytes written\n", stats.persisted, stats.bytes_written);
    printf("failures:  %" PRIu64 " writes, %" PRIu64 " syncs (%" PRIu64 " records lost)\n", stats.write_errors,
           stats.sync_errors, stats.lost);
    printf("log directory: %s\n", dir);
out:
    rtlog_destroy(lg);
    return rc;
}
