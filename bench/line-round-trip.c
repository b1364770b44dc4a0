/* line-round-trip.c - how long one cache line takes to go from the benchmark's producer CPU to
 * its consumer CPU and back: two threads, pinned to the two CPUs, pass a counter back and forth
 * through one line, and the mean round trip is the figure.
 *
 * On a VM the host moves the two virtual CPUs between its cores: on the machine of
 * docs/PERFORMANCE.md the figure moves between ~90 ns (near) and ~470 ns (far) within minutes,
 * and every tail figure that involves the consumer's CPU moves with it. The benchmark measures
 * it before each latency run (bench/build.rs compiles this file into rtlog-bench), and
 * bench/msg-ab.sh before each round, as a program:
 *
 *   cc -O2 -pthread -DLINE_ROUND_TRIP_MAIN bench/line-round-trip.c -o /tmp/line-round-trip
 *   /tmp/line-round-trip          # CPUs 0 and 1; prints the round trip in ns
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define ROUND_TRIPS 100000L

struct table {
    _Alignas(64) _Atomic long ball;
    int cpu;
    int pinned;
};

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/* The second CPU: sends back every odd value as the next even one (unpinned if pinning fails,
 * so that the first thread is never left waiting; the failure is reported after). */
static void *returner(void *arg)
{
    struct table *t = arg;
    t->pinned = pin(t->cpu);
    for (long i = 1; i < 2 * ROUND_TRIPS; i += 2) {
        while (atomic_load_explicit(&t->ball, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&t->ball, i + 1, memory_order_release);
    }
    return NULL;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The mean round trip in ns of a line between CPU `a` (the calling thread, pinned there for the
 * time of the call) and CPU `b` (a thread of its own), or -1 when the thread cannot be started
 * or either cannot be pinned. It spins on both CPUs for ROUND_TRIPS trips (20-100 ms); one call
 * at a time (the line is a static). */
double bench_line_round_trip_ns(int a, int b)
{
    static struct table t;
    pthread_t other;
    atomic_store(&t.ball, 0);
    t.cpu = b;
    t.pinned = 0;
    if (pthread_create(&other, NULL, returner, &t) != 0)
        return -1;
    /* The calling thread plays CPU a, and gets its own affinity back after. */
    cpu_set_t saved;
    int have_saved = pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) == 0;
    int pinned = pin(a);
    double start = now_ns();
    for (long i = 0; i < 2 * ROUND_TRIPS; i += 2) {
        atomic_store_explicit(&t.ball, i + 1, memory_order_release);
        while (atomic_load_explicit(&t.ball, memory_order_acquire) != i + 2)
            ;
    }
    double elapsed = now_ns() - start;
    pthread_join(other, NULL);
    if (have_saved)
        pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
    if (!pinned || !t.pinned)
        return -1;
    return elapsed / ROUND_TRIPS;
}

#ifdef LINE_ROUND_TRIP_MAIN
int main(void)
{
    double ns = bench_line_round_trip_ns(0, 1);
    if (ns < 0) {
        fprintf(stderr, "line-round-trip: needs threads on CPUs 0 and 1\n");
        return 1;
    }
    printf("%.0f\n", ns);
    return 0;
}
#endif
