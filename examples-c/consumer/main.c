/*
 * main.c - the smallest complete use of rtlog: log 200 records, shut down,
 * read them back.
 *
 * Usage: app [logdir]
 *   logdir  where the log is written (created if missing) and left; it
 *           should be empty, as the record count is checked. Default: a
 *           fresh directory from mkdtemp under $TMPDIR or /tmp, removed
 *           when the program succeeds (kept, and named, when it fails).
 *
 * One producer publishes 100 records on each stream, and the main thread
 * calls rtlog_tick after each pair (dispatch_period_us is 0, so nothing
 * else moves records from the producer's rings to the writer). After
 * rtlog_shutdown every accepted record is on disk, and the reader must
 * return all 200. Prints "consumer ok: 200 records" and exits 0 on success;
 * any failure prints what failed and exits 1.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtlog.h"

#define PER_STREAM 100u

static int fail(const char *what, rtlog_status s)
{
    fprintf(stderr, "consumer: %s failed: %s (%d); last error: %s\n", what,
            rtlog_status_str(s), (int)s, rtlog_last_error());
    return 1;
}

/* Write PER_STREAM records per stream into dir; 0 on success. */
static int write_log(const char *dir)
{
    rtlog_config cfg;
    rtlog_logger *lg = NULL;
    rtlog_producer *prod = NULL;
    rtlog_status s;

    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    if ((s = rtlog_init(&cfg, &lg)) != RTLOG_OK)
        return fail("rtlog_init", s);
    if ((s = rtlog_producer_create(lg, "consumer", &prod)) != RTLOG_OK) {
        rtlog_destroy(lg);
        return fail("rtlog_producer_create", s);
    }
    if ((s = rtlog_start(lg)) != RTLOG_OK) {
        rtlog_destroy(lg);
        return fail("rtlog_start", s);
    }

    for (uint32_t i = 0; i < PER_STREAM; i++) {
        /* The payload is the record's index, so the reader can check it. */
        if ((s = rtlog_publish(prod, RTLOG_STREAM_CRITICAL, 1, &i, (uint32_t)sizeof i)) != RTLOG_OK ||
            (s = rtlog_publish(prod, RTLOG_STREAM_NORMAL, 2, &i, (uint32_t)sizeof i)) != RTLOG_OK) {
            rtlog_destroy(lg);
            return fail("rtlog_publish", s);
        }
        if ((s = rtlog_tick(lg, NULL)) != RTLOG_OK) {
            rtlog_destroy(lg);
            return fail("rtlog_tick", s);
        }
    }

    s = rtlog_shutdown(lg);
    rtlog_destroy(lg);
    return s == RTLOG_OK ? 0 : fail("rtlog_shutdown", s);
}

/* Read dir back and check every record; 0 on success. */
static int read_log(const char *dir)
{
    rtlog_reader *rd = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    rtlog_status s;
    uint32_t count[2] = {0, 0}; /* records seen per stream = next expected index */
    uint32_t total = 0;
    int bad = 0;

    if ((s = rtlog_reader_open(dir, &rd)) != RTLOG_OK)
        return fail("rtlog_reader_open", s);
    while ((s = rtlog_reader_next(rd, &rec)) == RTLOG_OK) {
        uint32_t idx;
        total++;
        if (rec.stream > 1 || rec.len != sizeof idx || rec.type != rec.stream + 1u) {
            fprintf(stderr, "consumer: record %u: stream %u, type %u, len %u\n",
                    (unsigned)total, (unsigned)rec.stream, (unsigned)rec.type,
                    (unsigned)rec.len);
            bad = 1;
            break;
        }
        memcpy(&idx, rec.payload, sizeof idx);
        if (idx != count[rec.stream] || rec.seq != count[rec.stream]) {
            fprintf(stderr, "consumer: stream %u: expected record %u, got payload %u seq %llu\n",
                    (unsigned)rec.stream, (unsigned)count[rec.stream], (unsigned)idx,
                    (unsigned long long)rec.seq);
            bad = 1;
            break;
        }
        count[rec.stream]++;
    }
    rtlog_reader_close(rd);

    if (bad)
        return 1;
    if (s != RTLOG_END)
        return fail("rtlog_reader_next", s);
    if (count[0] != PER_STREAM || count[1] != PER_STREAM) {
        fprintf(stderr, "consumer: read %u critical and %u normal records, expected %u each\n",
                (unsigned)count[0], (unsigned)count[1], PER_STREAM);
        return 1;
    }
    printf("consumer ok: %u records\n", (unsigned)total);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    char tmp[4096];
    const char *dir;
    int temporary = argc < 2;

    if (!temporary) {
        dir = argv[1];
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/rtlog-consumer-XXXXXX", base && *base ? base : "/tmp");
        if (mkdtemp(tmp) == NULL) {
            perror("consumer: mkdtemp");
            return 1;
        }
        dir = tmp;
    }
    printf("rtlog %s, log directory %s%s\n", rtlog_version(), dir,
           temporary ? " (temporary)" : "");

    if (write_log(dir) != 0 || read_log(dir) != 0) {
        if (temporary)
            fprintf(stderr, "consumer: the log is left in %s\n", dir);
        return 1;
    }
    /* The log and its directory; depth first, so each directory is empty when it goes. */
    if (temporary && nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0) {
        fprintf(stderr, "consumer: removing %s: %s\n", dir, strerror(errno));
        return 1;
    }
    return 0;
}
