/* cold_publish.c - cache lines a publish misses when the caches are cold, as in a control loop
 * that wakes, computes over a working set larger than the caches, then logs 8 records. Run it
 * under cachegrind: the misses of rtlog_publish (inclusive) per call are the figure. */
#include "rtlog.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLES 2000
#define PER_CYCLE 8
#define THRASH (8u << 20) /* 8 MiB: larger than cachegrind's simulated LL */

static unsigned char *thrash;

__attribute__((noinline)) static void compute(void)
{
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < THRASH; i += 64)
        thrash[i] += (unsigned char)i, sink ^= thrash[i];
}

__attribute__((noinline)) static rtlog_status publish_one(rtlog_producer *p, const void *rec)
{
    return rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, rec, 64);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/cold-log";
    thrash = calloc(THRASH, 1);
    rtlog_config c;
    rtlog_config_init(&c, sizeof c);
    c.dir = dir;
    c.backend = RTLOG_BACKEND_NULL;
    c.dispatch_period_us = 0; /* manual ticks: deterministic */
    rtlog_logger *lg;
    if (rtlog_init(&c, &lg) != RTLOG_OK) return 1;
    rtlog_producer *p;
    if (rtlog_producer_create(lg, "rt", &p) != RTLOG_OK) return 1;
    if (rtlog_start(lg) != RTLOG_OK) return 1;
    unsigned char rec[64];
    memset(rec, 7, sizeof rec);
    unsigned long ok = 0;
    for (int cyc = 0; cyc < CYCLES; cyc++) {
        compute();
        for (int k = 0; k < PER_CYCLE; k++)
            ok += publish_one(p, rec) == RTLOG_OK;
        rtlog_tick(lg, NULL);
    }
    rtlog_shutdown(lg);
    rtlog_destroy(lg);
    printf("%lu of %d accepted\n", ok, CYCLES * PER_CYCLE);
    return 0;
}
