/* line-round-trip.c - how long one cache line takes to go from the benchmark's producer CPU to
 * its consumer CPU and back: two threads, pinned to CPU 0 and CPU 1 (the benchmark's pcpu and
 * ccpu), pass a counter back and forth through one line, and the mean round trip is printed.
 *
 * On a VM the host moves the two virtual CPUs between its cores: on the machine of
 * docs/PERFORMANCE.md the figure moves between ~90 ns (near) and ~450 ns (far) within minutes,
 * and every tail figure that involves the consumer's CPU moves with it. bench/msg-ab.sh prints
 * it before each round.
 *
 *   cc -O2 -pthread bench/line-round-trip.c -o /tmp/line-round-trip && /tmp/line-round-trip
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define ROUND_TRIPS 200000L

static _Alignas(64) _Atomic long ball;

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* CPU 1: sends back every odd value as the next even one (unpinned if pinning fails, so that
 * the main thread is never left waiting; the failure is reported after). */
static void *returner(void *unused)
{
    (void)unused;
    int pinned = pin(1) == 0;
    for (long i = 1; i < 2 * ROUND_TRIPS; i += 2) {
        while (atomic_load_explicit(&ball, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&ball, i + 1, memory_order_release);
    }
    return pinned ? NULL : (void *)1;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, returner, NULL) != 0 || pin(0) != 0) {
        fprintf(stderr, "line-round-trip: needs two threads on CPUs 0 and 1\n");
        return 1;
    }
    double start = now_ns();
    for (long i = 0; i < 2 * ROUND_TRIPS; i += 2) {
        atomic_store_explicit(&ball, i + 1, memory_order_release);
        while (atomic_load_explicit(&ball, memory_order_acquire) != i + 2)
            ;
    }
    double elapsed = now_ns() - start;
    void *failed;
    pthread_join(t, &failed);
    if (failed != NULL) {
        fprintf(stderr, "line-round-trip: could not pin to CPU 1\n");
        return 1;
    }
    printf("%.0f\n", elapsed / ROUND_TRIPS);
    return 0;
}
