/*
 * fiu_init_sweep.c - rtlog_init (recovery) and rtlog_start (the first
 * segment) with each of their system calls failing in turn, through libfiu.
 * Run under `fiu-run -x` (fault_run.sh's fiu mode), which preloads libfiu's
 * POSIX wrappers.
 *
 * A log is prepared once: one epoch over several segments, with a torn tail
 * (so that recovery has a tail to cut). Then for each failure point (open,
 * read, opendir, ftruncate, fsync, fdatasync, rename, write, unlink) and
 * K = 1, 2, ... a fresh copy of it is opened with the Kth call of that point
 * failing with EIO -- once, and from the Kth call on -- until a K that the
 * call never reaches. The call under test must return OK or RTLOG_ERR_IO
 * and leave *out as documented. Then, with no faults, the log is opened
 * again, a record is added, and the whole log must read back: every record
 * of the prepared epoch still there (recovery cut nothing but the torn
 * tail), LSNs ascending across epochs (a new epoch never reuses an LSN), no
 * record twice.
 *
 * This is the Nth-call sweep of SQLite's I/O error tests, with real libc
 * failures. It found that a read error while recovery scanned the newest
 * segment made rtlog_init skip that segment and start the new epoch at LSNs
 * the segment already used (src/storage/recovery.rs).
 *
 * Usage: fiu_init_sweep BASE-DIR   (prints the calls failed per point)
 */
#include "../c/test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <fiu-control.h>
#include <fiu.h>
#include <stdatomic.h>

enum { MAXREC = 100, PREP_RECORDS = 3000 };

static const char *const points[] = {
    "posix/io/oc/open",      "posix/io/rw/read",     "posix/io/dir/opendir", "posix/io/rw/ftruncate",
    "posix/io/sync/fsync",   "posix/io/sync/fdatasync", "posix/io/dir/rename", "posix/io/rw/write",
    "posix/io/dir/unlink",
};

static atomic_int armed;
static atomic_long calls;
static long fail_at;
static int persistent;

static int decide(const char *name, int *failnum, void **failinfo, unsigned int *flags)
{
    (void)name;
    (void)failnum;
    (void)failinfo;
    (void)flags;
    if (!atomic_load(&armed))
        return 0;
    long n = atomic_fetch_add(&calls, 1) + 1;
    return persistent ? n >= fail_at : n == fail_at;
}

/* ---- the prepared log and its copies ------------------------------------------ */

static void copy_dir(const char *from, const char *to)
{
    char src[4096], dst[4096], buf[65536];
    DIR *d = opendir(from);
    struct dirent *e;
    CHECK(d != NULL, "opendir %s: %s", from, strerror(errno));
    CHECK(mkdir(to, 0777) == 0, "mkdir %s: %s", to, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
        CHECK(in >= 0 && out >= 0, "copying %s: %s", src, strerror(errno));
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0)
            CHECK(write(out, buf, (size_t)n) == n, "write %s: %s", dst, strerror(errno));
        CHECK(n == 0, "read %s: %s", src, strerror(errno));
        close(in);
        close(out);
    }
    closedir(d);
}

static void publish_epoch(const char *dir, uint32_t records)
{
    rtlog_config cfg;
    uint8_t buf[MAXREC];
    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    cfg.segment_bytes = 65536;
    cfg.durability = RTLOG_DURABILITY_FLUSH;
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "p");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    for (uint32_t i = 0; i < records; i++) {
        uint32_t len = tu_payload_make(buf, MAXREC, 0, 0, i);
        CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, buf, len), RTLOG_OK);
        if ((i & 255) == 255)
            CHECK_STATUS(rtlog_flush(lg, 10000), RTLOG_OK);
    }
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

/* The newest segment of dir, with bytes that are no frame appended: a torn tail. */
static void tear_tail(const char *dir)
{
    char newest[4096] = "", path[4200];
    DIR *d = opendir(dir);
    struct dirent *e;
    CHECK(d != NULL, "opendir %s", dir);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "seg-", 4) == 0 && strcmp(e->d_name, newest) > 0)
            snprintf(newest, sizeof newest, "%s", e->d_name);
    closedir(d);
    snprintf(path, sizeof path, "%s/%s", dir, newest);
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open %s", path);
    CHECK(write(fd, "a torn tail, not a frame: the writer died mid-batch\n", 52) == 52, "write");
    close(fd);
}

/* ---- reading back ------------------------------------------------------------------ */

struct tally {
    uint32_t first_epoch;
    uint64_t first_epoch_records, later_records;
};

static void count(const rtlog_record *rec, void *ctx)
{
    struct tally *t = ctx;
    uint64_t seq;
    CHECK(tu_payload_check(rec->payload, rec->len, MAXREC, 0, 0, &seq) && seq == rec->seq,
          "epoch %u seq %llu: damaged payload", (unsigned)rec->epoch, (unsigned long long)rec->seq);
    if (t->first_epoch == 0)
        t->first_epoch = rec->epoch;
    if (rec->epoch == t->first_epoch)
        t->first_epoch_records++;
    else
        t->later_records++;
}

/* ---- one attempt -------------------------------------------------------------------- */

enum phase { PHASE_INIT, PHASE_START };

/* Returns the number of calls of the point the attempt made. */
static long attempt(const char *prepared, const char *dir, enum phase phase, long k, int persist,
                    uint64_t *failures)
{
    rtlog_config cfg;
    rtlog_logger *lg = NULL;
    rtlog_status st;
    uint8_t buf[MAXREC];
    struct tally t = {0, 0, 0};

    CHECK(tu_rm_rf(dir) == 0, "rm %s", dir);
    copy_dir(prepared, dir);
    tu_config(&cfg, dir);
    cfg.max_record_size = MAXREC;
    cfg.segment_bytes = 65536;
    fail_at = k;
    persistent = persist;
    atomic_store(&calls, 0);

    if (phase == PHASE_INIT) {
        atomic_store(&armed, 1);
        st = rtlog_init(&cfg, &lg);
        atomic_store(&armed, 0);
        CHECK(st == RTLOG_OK || st == RTLOG_ERR_IO, "rtlog_init with call %ld failing: %s (%s)", k,
              tu_status_name(st), tu_last_error());
        CHECK((st == RTLOG_OK) == (lg != NULL), "rtlog_init: %s but *out = %p", tu_status_name(st), (void *)lg);
        if (st == RTLOG_OK) {
            rtlog_producer *p = tu_producer_new(lg, "p");
            CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
            uint32_t len = tu_payload_make(buf, MAXREC, 0, 0, 0);
            CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, buf, len), RTLOG_OK);
            CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
            rtlog_destroy(lg);
        }
    } else {
        lg = tu_logger_new(&cfg);
        rtlog_producer *p = tu_producer_new(lg, "p");
        atomic_store(&armed, 1);
        st = rtlog_start(lg);
        atomic_store(&armed, 0);
        CHECK(st == RTLOG_OK || st == RTLOG_ERR_IO, "rtlog_start with call %ld failing: %s (%s)", k,
              tu_status_name(st), tu_last_error());
        if (st == RTLOG_OK) {
            uint32_t len = tu_payload_make(buf, MAXREC, 0, 0, 0);
            CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_CRITICAL, 1, buf, len), RTLOG_OK);
            /* the writer thread may meet the failure too (persistent mode) */
            st = rtlog_shutdown(lg);
            CHECK(st == RTLOG_OK || st == RTLOG_ERR_IO, "rtlog_shutdown: %s", tu_status_name(st));
        }
        rtlog_destroy(lg);
    }
    long made = atomic_load(&calls);
    if (made >= k)
        (*failures)++;

    /* no faults: the log goes on, and everything reads back */
    publish_epoch(dir, 1);
    tu_walk_log(dir, count, &t);
    CHECK(t.first_epoch_records == PREP_RECORDS,
          "call %ld of the sweep failing: the prepared epoch has %llu records, expected %d (recovery cut records)", k,
          (unsigned long long)t.first_epoch_records, PREP_RECORDS);
    /* the attempt's record (if its epoch wrote it) and the check epoch's */
    CHECK(t.later_records >= 1 && t.later_records <= 2, "call %ld: %llu records after the prepared epoch", k,
          (unsigned long long)t.later_records);
    return made;
}

int main(int argc, char **argv)
{
    uint64_t attempts = 0, failures = 0;
    tu_init(argc, argv);
    CHECK(fiu_init(0) == 0, "fiu_init");
    char *prepared = tu_path("prepared");
    publish_epoch(prepared, PREP_RECORDS);
    tear_tail(prepared);
    char *dir = tu_path("attempt");

    for (int phase = PHASE_INIT; phase <= PHASE_START; phase++) {
        for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
            /* one point at a time */
            CHECK(fiu_enable_external(points[i], 1, (void *)(long)EIO, 0, decide) == 0, "enable %s", points[i]);
            long calls_seen = 0;
            uint64_t point_failures = 0;
            for (int persist = 0; persist <= 1; persist++) {
                for (long k = 1;; k++) {
                    long made = attempt(prepared, dir, (enum phase)phase, k, persist, &point_failures);
                    attempts++;
                    if (made > calls_seen)
                        calls_seen = made;
                    if (made < k || k > 200)
                        break;
                }
            }
            fiu_disable(points[i]);
            failures += point_failures;
            printf("%s %-26s %3ld calls, %3llu attempts with a failed call\n",
                   phase == PHASE_INIT ? "rtlog_init " : "rtlog_start", points[i], calls_seen,
                   (unsigned long long)point_failures);
        }
    }
    printf("fiu_init_sweep: %llu attempts, %llu with an injected failure; every log read back whole\n",
           (unsigned long long)attempts, (unsigned long long)failures);
    tu_cleanup();
    return 0;
}
