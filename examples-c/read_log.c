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
 * (CLOCK_MONOTONIC ns at publish), length, then the record's fields when its type is
 * registered (rtlog_reader_format: `joint_state{cycle=0 position_rad=0.1 ...}`) and otherwise
 * the payload's first bytes in hex. Before the first record of each type it prints the type
 * as the log describes it (rtlog_reader_schema): "type 1 joint_state, 24 bytes: cycle u64 @0,
 * ...". Then a summary line "read_log: N records ..." with the reader's counts. Exit status:
 * 0 read to the end, 1 the reader failed, 2 usage.
 *
 * Typed records carry their layout in the log (rtlog_type_register at INIT), so this program
 * decodes them without knowing the structs; other payloads are bytes, in hex.
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

static const char *field_type_name(rtlog_field_type t)
{
    switch (t) {
    case RTLOG_FIELD_I8: return "i8";
    case RTLOG_FIELD_I16: return "i16";
    case RTLOG_FIELD_I32: return "i32";
    case RTLOG_FIELD_I64: return "i64";
    case RTLOG_FIELD_U8: return "u8";
    case RTLOG_FIELD_U16: return "u16";
    case RTLOG_FIELD_U32: return "u32";
    case RTLOG_FIELD_U64: return "u64";
    case RTLOG_FIELD_F32: return "f32";
    case RTLOG_FIELD_F64: return "f64";
    case RTLOG_FIELD_BOOL: return "bool";
    case RTLOG_FIELD_CHAR: return "char";
    }
    return "?";
}

/* The type of a data record as the log describes it (rtlog_reader_schema), printed once per
 * type (the pointer stays the same for a type; another epoch may describe it anew). */
static void print_schema_once(const rtlog_reader *rd, const rtlog_record *r)
{
    static const rtlog_type_info *seen[64];
    static unsigned nseen;
    const rtlog_type_info *info = NULL;
    if (rtlog_reader_schema(rd, r->type, &info) != RTLOG_OK || info == NULL)
        return;
    for (unsigned i = 0; i < nseen; i++)
        if (seen[i] == info)
            return;
    if (nseen < sizeof seen / sizeof seen[0])
        seen[nseen++] = info;
    printf("type %u %s, %" PRIu32 " bytes:", (unsigned)info->type, info->name, info->size);
    for (uint32_t f = 0; f < info->field_count; f++) {
        const rtlog_field *fd = rtlog_type_info_field(info, f);
        printf("%s %s %s", f == 0 ? "" : ",", fd->name, field_type_name(fd->type));
        if (fd->array_len > 0)
            printf("[%" PRIu32 "]", fd->array_len);
        printf(" @%" PRIu32, fd->offset);
    }
    putchar('\n');
}

/* The control-frame payloads of docs/FORMAT.md, decoded; data payloads by field when their
 * type is registered (rtlog_reader_format), otherwise in hex. */
static void print_payload(const rtlog_reader *rd, const rtlog_record *r)
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
    char text[512];
    if (r->kind == RTLOG_FRAME_DATA && rtlog_reader_format(rd, r, 0, text, sizeof text, NULL) == RTLOG_OK) {
        printf(" %s", text); /* a longer text (RTLOG_ERR_TOO_LARGE) falls back to hex */
        return;
    }
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

    rtlog_reader_options_init(&opts, sizeof opts); /* matches everything */
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
    rtlog_record_init(&rec, sizeof rec);
    uint64_t n = 0;
    while ((st = frames ? rtlog_reader_next_frame(rd, &rec) : rtlog_reader_next(rd, &rec)) == RTLOG_OK) {
        if (n++ >= limit)
            continue;
        if (rec.kind == RTLOG_FRAME_DATA)
            print_schema_once(rd, &rec);
        printf("lsn=%" PRIu64 " epoch=%" PRIu32 " %s", rec.lsn, rec.epoch, kind_name(rec.kind));
        if (rec.kind == RTLOG_FRAME_DATA || rec.kind == RTLOG_FRAME_LOSS)
            printf(" producer=%u stream=%s", (unsigned)rec.producer,
                   rec.stream == RTLOG_STREAM_CRITICAL ? "critical" : "normal");
        if (rec.kind == RTLOG_FRAME_DATA)
            printf(" type=%u seq=%" PRIu64 " t=%" PRIu64, (unsigned)rec.type, rec.seq, rec.timestamp_ns);
        print_payload(rd, &rec);
        putchar('\n');
    }
    int rc = 0;
    if (st != RTLOG_END) {
        fprintf(stderr, "read_log: %s: %s (%s)\n", frames ? "rtlog_reader_next_frame" : "rtlog_reader_next",
                rtlog_status_str(st), rtlog_last_error());
        rc = 1;
    }

    rtlog_reader_counts c;
    rtlog_reader_counts_init(&c, sizeof c);
    if (rtlog_reader_stats(rd, &c) == RTLOG_OK)
        printf("read_log: %" PRIu64 " %s (segments %" PRIu64 ", epochs %" PRIu64 " of which crashed or open %" PRIu64
               ", damaged regions %" PRIu64 ", bad segments %" PRIu64 ", torn bytes %" PRIu64 ")\n",
               n, frames ? "frames" : "records", c.segments, c.epochs, c.crashed_epochs, c.corrupt_regions,
               c.bad_segments, c.torn_bytes);
    rtlog_reader_close(rd);
    return rc;
}
