/*
 * read_log.c - read an rtlog log with the C reader API and print its records.
 *
 * Works on any log directory, also one that is being written or whose writer crashed: the
 * reader returns every valid record in LSN order, skips damaged bytes (counted, never
 * returned) and says which epochs ended without a clean close.
 *
 * Usage: read_log DIR [--frames] [--producer NAME] [--stream critical|normal] [--type N]
 *                     [--limit N]
 *   --frames    every record kind (epoch begin, clean close, seal, loss marker, state
 *               change), decoded; filters do not apply (rtlog_reader_next_frame)
 *   --limit N   print at most N records (all are still counted)
 *
 * Prints one line per record: LSN, epoch, producer id, stream, type, sequence number, time
 * (CLOCK_MONOTONIC ns at publish), length and the payload's first bytes in hex. Then a summary
 * line "read_log: N records ..." with the reader's counts. Exit status: 0 read to the end,
 * 1 the reader failed, 2 usage.
 *
 * Payloads are printed in hex: rtlog stores bytes, and only the publishing program knows their
 * layout. (Typed records, which carry their layout in the log, will be decoded here by name
 * once the typed-records API is merged: see rtlog_reader_schema.)
 *
 * Build: the CMake build makes bin/read_log. By hand, after `cargo build --release`:
 *   cc -std=c99 -O2 -Iinclude examples-c/read_log.c target/release/librtlog.a \
 *      -lpthread -ldl -lm -o read_log
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtlog.h"

#define HEX_BYTES 32 /* payload bytes shown per record */

static const char *kind_name(uint8_t kind)
{
    switch (kind) {
    case RTLOG_FRAME_DATA: return "data";
    case RTLOG_FRAME_EPOCH_BEGIN: return "epoch-begin";
    case RTLOG_FRAME_CLEAN_CLOSE: return "clean-close";
    case RTLOG_FRAME_SEAL: return "seal";
    case RTLOG_FRAME_LOSS: return "loss";
    case RTLOG_FRAME_STATE: return "state";
    default: return "unknown";
    }
}

static const char *state_name(unsigned s)
{
    static const char *names[] = {"INIT", "NORMAL", "DEGRADED", "CRITICAL", "SAFE", "STOPPED"};
    return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* Little-endian integers from a payload (docs/FORMAT.md: all integers are little-endian). */
static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The control-frame payloads of docs/FORMAT.md, decoded; data payloads in hex. */
static void print_payload(const rtlog_record *r)
{
    const uint8_t *p = r->payload;
    if (r->kind == RTLOG_FRAME_LOSS && r->len >= 28) {
        static const char *reasons[] = {"?", "ring full", "write/sync failed", "overwritten"};
        uint64_t reason = le(p + 24, 4);
        printf(" lost=%" PRIu64 " seq=%" PRIu64 "..%" PRIu64 " reason=%s", le(p, 8), le(p + 8, 8),
               le(p + 16, 8), reason < 4 ? reasons[reason] : "?");
        return;
    }
    if (r->kind == RTLOG_FRAME_STATE && r->len >= 8) {
        uint64_t cause_len = le(p + 4, 4);
        if (cause_len > r->len - 8)
            cause_len = r->len - 8;
        printf(" %s -> %s cause=\"%.*s\"", state_name(p[0]), state_name(p[1]), (int)cause_len,
               (const char *)p + 8);
        return;
    }
    if (r->kind == RTLOG_FRAME_EPOCH_BEGIN && r->len >= 8) {
        printf(" pid=%" PRIu64 " durability=%" PRIu64, le(p, 4), le(p + 4, 4));
        return;
    }
    if ((r->kind == RTLOG_FRAME_CLEAN_CLOSE || r->kind == RTLOG_FRAME_SEAL) && r->len >= 8) {
        printf(" records=%" PRIu64, le(p, 8));
        if (r->kind == RTLOG_FRAME_SEAL && r->len >= 12 && (le(p + 8, 4) & 1))
            printf(" suspect");
        return;
    }
    printf(" len=%" PRIu32, r->len);
    if (r->len > 0) {
        printf(" payload=");
        for (uint32_t i = 0; i < r->len && i < HEX_BYTES; i++)
            printf("%02x", p[i]);
        if (r->len > HEX_BYTES)
            printf("...");
    }
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s DIR [--frames] [--producer NAME] [--stream critical|normal] [--type N] "
            "[--limit N]\n",
            argv0);
    return 2;
}

int main(int argc, char **argv)
{
    rtlog_reader_options opts;
    const char *dir = NULL;
    int frames = 0;
    uint64_t limit = UINT64_MAX;

    rtlog_reader_options_init(&opts); /* matches everything */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--frames") == 0) {
            frames = 1;
        } else if (strcmp(a, "--producer") == 0 && v) {
            opts.producer = v; /* copied by rtlog_reader_open_opts */
            i++;
        } else if (strcmp(a, "--stream") == 0 && v) {
            if (strcmp(v, "critical") == 0)
                opts.stream = RTLOG_STREAM_CRITICAL;
            else if (strcmp(v, "normal") == 0)
                opts.stream = RTLOG_STREAM_NORMAL;
            else
                return usage(argv[0]);
            i++;
        } else if (strcmp(a, "--type") == 0 && v) {
            opts.type = (int32_t)strtol(v, NULL, 10); /* the reader refuses values outside 0..65535 */
            i++;
        } else if (strcmp(a, "--limit") == 0 && v) {
            limit = strtoull(v, NULL, 10);
            i++;
        } else if (a[0] != '-' && dir == NULL) {
            dir = a;
        } else {
            return usage(argv[0]);
        }
    }
    if (dir == NULL)
        return usage(argv[0]);

    rtlog_reader *rd = NULL;
    rtlog_status st = rtlog_reader_open_opts(dir, &opts, &rd);
    if (st != RTLOG_OK) {
        fprintf(stderr, "read_log: cannot open %s: %s (%s)\n", dir, rtlog_status_str(st), rtlog_last_error());
        return 1;
    }

    rtlog_record rec;
    uint64_t n = 0;
    while ((st = frames ? rtlog_reader_next_frame(rd, &rec) : rtlog_reader_next(rd, &rec)) == RTLOG_OK) {
        if (n++ >= limit)
            continue;
        printf("lsn=%" PRIu64 " epoch=%" PRIu32 " %s", rec.lsn, rec.epoch, kind_name(rec.kind));
        if (rec.kind == RTLOG_FRAME_DATA || rec.kind == RTLOG_FRAME_LOSS)
            printf(" producer=%u stream=%s", (unsigned)rec.producer,
                   rec.stream == RTLOG_STREAM_CRITICAL ? "critical" : "normal");
        if (rec.kind == RTLOG_FRAME_DATA)
            printf(" type=%u seq=%" PRIu64 " t=%" PRIu64, (unsigned)rec.type, rec.seq, rec.timestamp_ns);
        print_payload(&rec);
        putchar('\n');
    }
    int rc = 0;
    if (st != RTLOG_END) {
        fprintf(stderr, "read_log: %s: %s (%s)\n", frames ? "rtlog_reader_next_frame" : "rtlog_reader_next",
                rtlog_status_str(st), rtlog_last_error());
        rc = 1;
    }

    rtlog_reader_counts c;
    if (rtlog_reader_stats(rd, &c) == RTLOG_OK)
        printf("read_log: %" PRIu64 " %s (segments %" PRIu64 ", epochs %" PRIu64 " of which crashed or open %" PRIu64
               ", damaged regions %" PRIu64 ", bad segments %" PRIu64 ", torn bytes %" PRIu64 ")\n",
               n, frames ? "frames" : "records", c.segments, c.epochs, c.crashed_epochs, c.corrupt_regions,
               c.bad_segments, c.torn_bytes);
    rtlog_reader_close(rd);
    return rc;
}
