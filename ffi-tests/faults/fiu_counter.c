/*
 * fiu_counter.c - counts the faults that libfiu injects into a program run
 * under `fiu-run -x`.
 *
 * fiu-run's own `-c 'enable_random ...'` cannot say how many calls it
 * failed. Linked into a program (the *_fiu executables of
 * cmake/reliability-c.cmake), this file instead enables each failure point
 * of RTLOG_FIU_POINTS with libfiu's external method: libfiu's POSIX preload
 * (fiu-run -x) asks our callback before every write, fdatasync, open...,
 * and the callback fails the call with probability RTLOG_FIU_PROBABILITY
 * and counts it. libfiu then picks an errno that the failing function may
 * return (EIO, ENOSPC, EINTR, EBADF...), or for the .../reduce points
 * shortens the transfer (a short write or read).
 *
 * Environment:
 *   RTLOG_FIU_PROBABILITY  probability of failing each call (unset: the
 *                          counter does nothing, the program runs as usual)
 *   RTLOG_FIU_POINTS       space-separated failure point names (default: the
 *                          file I/O points below); a name ending in '*' is
 *                          libfiu's wildcard and is counted as one
 *   RTLOG_FIU_SEED         seed of the per-thread random streams
 *   RTLOG_FIU_REPORT       file to append the report line to (else stderr)
 *
 * At exit (or at fiu_counter_stop) every point is disabled first, then one
 * line is written: "fiu: <faults> faults injected in <calls> calls (p=...,
 * seed=...): name=faults/calls ...".
 *
 * Built without RTLOG_WITH_FIU (no libfiu-dev), it injects nothing.
 */
#include "fiu_counter.h"

#ifndef RTLOG_WITH_FIU
void fiu_counter_stop(void) {}
int fiu_counter_active(void) { return 0; }
void fiu_counter_hold(int hold) { (void)hold; }
#else

#include <fiu-control.h>
#include <fiu.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The preload wraps these and Rust's std calls them for segment files, the
 * directory and the lock file (readdir64, mkdir, statx and fallocate are
 * not wrapped by libfiu 1.1). */
static const char *const default_points[] = {
    "posix/io/oc/open",        "posix/io/oc/close",         "posix/io/rw/write",
    "posix/io/rw/write/reduce", "posix/io/rw/writev",       "posix/io/rw/pwrite",
    "posix/io/rw/read",        "posix/io/rw/read/reduce",   "posix/io/rw/pread",
    "posix/io/rw/ftruncate",   "posix/io/sync/fdatasync",   "posix/io/sync/fsync",
    "posix/io/dir/opendir",    "posix/io/dir/rename",       "posix/io/dir/unlink",
};

enum { MAX_POINTS = 32 };

static struct point {
    char name[96];
    atomic_ulong calls, faults;
} points[MAX_POINTS];
static int npoints;
static atomic_int active, held;
static double probability;
static uint64_t seed;
static atomic_ulong thread_counter;

/* splitmix64: a per-thread stream from the seed and the thread's number */
static uint64_t next_random(void)
{
    static _Thread_local uint64_t state;
    static _Thread_local int seeded;
    if (!seeded) {
        state = seed ^ (0x9E3779B97F4A7C15ull * (atomic_fetch_add(&thread_counter, 1) + 1));
        seeded = 1;
    }
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* libfiu passes the name the point was enabled under. */
static int decide(const char *name, int *failnum, void **failinfo, unsigned int *flags)
{
    (void)failnum;
    (void)failinfo; /* NULL: libfiu picks a valid errno for the function */
    (void)flags;
    if (!atomic_load_explicit(&active, memory_order_relaxed) || atomic_load_explicit(&held, memory_order_relaxed))
        return 0;
    for (int i = 0; i < npoints; i++) {
        if (strcmp(points[i].name, name) != 0)
            continue;
        atomic_fetch_add_explicit(&points[i].calls, 1, memory_order_relaxed);
        if ((double)(next_random() >> 11) * 0x1.0p-53 < probability) {
            atomic_fetch_add_explicit(&points[i].faults, 1, memory_order_relaxed);
            return 1;
        }
        return 0;
    }
    return 0;
}

static void add_point(const char *name, size_t len)
{
    if (npoints == MAX_POINTS || len == 0 || len >= sizeof points[0].name)
        return;
    memcpy(points[npoints].name, name, len);
    points[npoints].name[len] = '\0';
    if (fiu_enable_external(points[npoints].name, 1, NULL, 0, decide) == 0)
        npoints++;
    else
        fprintf(stderr, "fiu_counter: cannot enable %s\n", points[npoints].name);
}

__attribute__((constructor)) static void fiu_counter_start(void)
{
    const char *p = getenv("RTLOG_FIU_PROBABILITY");
    const char *list = getenv("RTLOG_FIU_POINTS");
    const char *s = getenv("RTLOG_FIU_SEED");
    if (p == NULL || *p == '\0')
        return;
    probability = strtod(p, NULL);
    seed = s ? strtoull(s, NULL, 0) : (uint64_t)getpid() * 0x2545F4914F6CDD1Dull;
    if (fiu_init(0) != 0) {
        fprintf(stderr, "fiu_counter: fiu_init failed\n");
        return;
    }
    if (list && *list) {
        while (*list) {
            size_t n = strcspn(list, " ,");
            add_point(list, n);
            list += n;
            list += strspn(list, " ,");
        }
    } else {
        for (size_t i = 0; i < sizeof default_points / sizeof default_points[0]; i++)
            add_point(default_points[i], strlen(default_points[i]));
    }
    atomic_store(&active, 1);
}

void fiu_counter_stop(void)
{
    char line[4096];
    size_t used = 0;
    unsigned long total_faults = 0, total_calls = 0;

    if (!atomic_exchange(&active, 0))
        return;
    for (int i = 0; i < npoints; i++)
        fiu_disable(points[i].name); /* before any I/O of our own */
    for (int i = 0; i < npoints; i++) {
        total_faults += atomic_load(&points[i].faults);
        total_calls += atomic_load(&points[i].calls);
    }
    used += (size_t)snprintf(line + used, sizeof line - used,
                             "fiu: %lu faults injected in %lu calls (p=%g, seed=0x%llx):", total_faults,
                             total_calls, probability, (unsigned long long)seed);
    for (int i = 0; i < npoints && used < sizeof line; i++)
        if (atomic_load(&points[i].calls) > 0)
            used += (size_t)snprintf(line + used, sizeof line - used, " %s=%lu/%lu", points[i].name,
                                     atomic_load(&points[i].faults), atomic_load(&points[i].calls));
    const char *report = getenv("RTLOG_FIU_REPORT");
    FILE *f = report && *report ? fopen(report, "a") : NULL;
    fprintf(f ? f : stderr, "%s\n", line);
    if (f)
        fclose(f);
}

int fiu_counter_active(void)
{
    return atomic_load(&active);
}

void fiu_counter_hold(int hold)
{
    atomic_store(&held, hold);
}

__attribute__((destructor)) static void fiu_counter_at_exit(void)
{
    fiu_counter_stop();
}
#endif /* RTLOG_WITH_FIU */
