/*
 * log_check.c - reads back every rtlog log below a directory, after a
 * program ran there under injected faults (fault_run.sh --check-logs).
 *
 * A log is a directory holding seg-*.rtlog files. Each is read with the
 * reader API and test_util.h's tu_walk_log checks, which hold for any log
 * whatever was lost: only OK then END, LSNs ascending, per epoch, producer
 * and stream no seq twice or out of order. Every record of every kind
 * (rtlog_reader_next_frame) must also come back without a reader error.
 * A log holding the file TU_LAX_FILE is read with the seq checks relaxed
 * for the producers it names (see test_util.h).
 * Runs without fault injection, so any failure is a finding.
 *
 * Usage: log_check DIR   (exit 0: every log read back clean, or none found)
 */
#include "../c/test_util.h"

#include <inttypes.h>

enum { MAX_LOGS = 1024 };
static char found[MAX_LOGS][1024];
static int nfound;

static int visit(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    const char *base = path + ftw->base;
    if (flag != FTW_F || strncmp(base, "seg-", 4) != 0 || nfound == MAX_LOGS)
        return 0;
    size_t dirlen = (size_t)ftw->base > 0 ? (size_t)ftw->base - 1 : 0;
    for (int i = 0; i < nfound; i++)
        if (strlen(found[i]) == dirlen && strncmp(found[i], path, dirlen) == 0)
            return 0;
    snprintf(found[nfound++], sizeof found[0], "%.*s", (int)dirlen, path);
    return 0;
}

static uint64_t count_frames(const char *dir)
{
    rtlog_reader *r = NULL;
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    rtlog_status s;
    uint64_t n = 0;
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    while ((s = rtlog_reader_next_frame(r, &rec)) == RTLOG_OK) {
        CHECK(rec.kind >= RTLOG_FRAME_DATA && rec.kind <= RTLOG_FRAME_CALLSITE, "%s: frame of kind %u", dir,
              (unsigned)rec.kind);
        n++;
    }
    CHECK_STATUS(s, RTLOG_END);
    rtlog_reader_close(r);
    return n;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: log_check DIR");
    CHECK(nftw(argv[1], visit, 16, FTW_PHYS) == 0, "cannot walk %s: %s", argv[1], strerror(errno));
    for (int i = 0; i < nfound; i++) {
        rtlog_reader *r = NULL;
        rtlog_reader_counts c;
        rtlog_reader_counts_init(&c, sizeof c);
        char lax_path[1100];
        uint64_t lax = 0;
        snprintf(lax_path, sizeof lax_path, "%.1024s/%s", found[i], TU_LAX_FILE);
        FILE *f = fopen(lax_path, "r");
        if (f) {
            CHECK(fscanf(f, "%" SCNx64, &lax) == 1, "cannot read %s", lax_path);
            fclose(f);
            printf("log_check: %s: producers of mask 0x%" PRIx64 " garbled on purpose (" TU_LAX_FILE ")\n", found[i],
                   lax);
        }
        uint64_t records = tu_walk_log_lax(found[i], lax, NULL, NULL);
        uint64_t frames = count_frames(found[i]);
        CHECK_STATUS(rtlog_reader_open(found[i], &r), RTLOG_OK);
        rtlog_record rec;
        rtlog_record_init(&rec, sizeof rec);
        while (rtlog_reader_next(r, &rec) == RTLOG_OK)
            ;
        CHECK_STATUS(rtlog_reader_stats(r, &c), RTLOG_OK);
        rtlog_reader_close(r);
        printf("log_check: %s: %llu records, %llu frames, %llu segments (%llu bad), %llu damaged regions, "
               "%llu torn bytes, %llu epochs (%llu without clean close)\n",
               found[i], (unsigned long long)records, (unsigned long long)frames, (unsigned long long)c.segments,
               (unsigned long long)c.bad_segments, (unsigned long long)c.corrupt_regions,
               (unsigned long long)c.torn_bytes, (unsigned long long)c.epochs, (unsigned long long)c.crashed_epochs);
    }
    printf("log_check: %d logs read back clean\n", nfound);
    return 0;
}
