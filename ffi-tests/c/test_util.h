/*
 * test_util.h - tiny helpers shared by the C tests in ffi-tests/c (and the
 * C++ tests in ffi-tests/cpp: keep it valid C++).
 *
 * Include this header FIRST in a test file: it sets the POSIX/XSI feature
 * macros that mkdtemp, nftw and clock_gettime need under -std=c11.
 *
 * Every test executable takes an optional argv[1]: a base scratch directory
 * under which it puts its log directories (created if missing). Without it,
 * a fresh mkdtemp directory under /tmp is used and removed on success.
 * On failure nothing is removed, so the log directories can be inspected.
 *
 * Not thread-safe except CHECK/CHECK_STATUS (which only print and exit) and
 * tu_now_ns; call the directory helpers from the main thread.
 */
#ifndef RTLOG_TEST_UTIL_H
#define RTLOG_TEST_UTIL_H

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw, FTW_PHYS, mkdtemp, clock_gettime */
#endif

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rtlog.h"

/* ---- failure reporting ------------------------------------------------ */

static inline void tu_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", file, line, what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    exit(1);
}

/* CHECK(cond, fmt, ...): on failure print file:line, the condition and the
 * formatted message, then exit(1). */
#define CHECK(cond, ...)                                            \
    do {                                                            \
        if (!(cond))                                                \
            tu_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);        \
    } while (0)

/* Text for a status even if the library returns NULL (itself a bug). */
static inline const char *tu_status_name(rtlog_status s)
{
    const char *t = rtlog_status_str(s);
    return t ? t : "(NULL from rtlog_status_str)";
}

static inline const char *tu_last_error(void)
{
    const char *t = rtlog_last_error();
    return t ? t : "(NULL from rtlog_last_error)";
}

/* CHECK_STATUS(expr, expected): evaluate expr once; on mismatch print both
 * statuses (number and rtlog_status_str) and rtlog_last_error(), exit(1). */
#define CHECK_STATUS(expr, expected)                                            \
    do {                                                                        \
        rtlog_status tu_got_ = (expr);                                          \
        rtlog_status tu_want_ = (expected);                                     \
        if (tu_got_ != tu_want_)                                                \
            tu_fail(__FILE__, __LINE__, #expr,                                  \
                    "expected %d (%s), got %d (%s); rtlog_last_error: \"%s\"",  \
                    (int)tu_want_, tu_status_name(tu_want_), (int)tu_got_,      \
                    tu_status_name(tu_got_), tu_last_error());                  \
    } while (0)

/* ---- scratch directories ---------------------------------------------- */

static char tu_base_dir[4096];
static int tu_base_is_temp;  /* 1: we made it with mkdtemp, remove it whole */
static char *tu_made[256];   /* dirs made under a caller-given base */
static int tu_made_count;
static unsigned tu_dir_counter;

static inline int tu_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "warning: cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* rm -rf path (does not follow symlinks). Returns 0 on success or if the
 * path does not exist. */
static inline int tu_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Set up the base directory from argv[1] (created if missing) or mkdtemp. */
static inline void tu_init(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] != '\0') {
        CHECK(strlen(argv[1]) < sizeof tu_base_dir - 64, "base dir path too long");
        strcpy(tu_base_dir, argv[1]);
        if (mkdir(tu_base_dir, 0777) != 0)
            CHECK(errno == EEXIST, "mkdir %s: %s", tu_base_dir, strerror(errno));
        tu_base_is_temp = 0;
    } else {
        strcpy(tu_base_dir, "/tmp/rtlog-ctest-XXXXXX");
        CHECK(mkdtemp(tu_base_dir) != NULL, "mkdtemp: %s", strerror(errno));
        tu_base_is_temp = 1;
    }
}

/* A path "<base>/<name>-<pid>-<n>" that did not exist; not created.
 * Returned string is malloc'd and is removed by tu_cleanup. */
static inline char *tu_path(const char *name)
{
    size_t n = strlen(tu_base_dir) + strlen(name) + 64;
    char *p = (char *)malloc(n); /* cast: also included from C++ tests */
    CHECK(p != NULL, "out of memory");
    CHECK(tu_made_count < (int)(sizeof tu_made / sizeof tu_made[0]), "too many scratch dirs");
    snprintf(p, n, "%s/%s-%ld-%u", tu_base_dir, name, (long)getpid(), tu_dir_counter++);
    CHECK(tu_rm_rf(p) == 0, "cannot clear stale %s", p);
    tu_made[tu_made_count++] = p;
    return p;
}

/* A fresh, empty, existing directory under the base. */
static inline char *tu_fresh_dir(const char *name)
{
    char *p = tu_path(name);
    CHECK(mkdir(p, 0777) == 0, "mkdir %s: %s", p, strerror(errno));
    return p;
}

/* "<base>/<name>", cleared and not created: a path kept after the test (tu_cleanup leaves it,
 * unless the base itself is a temporary directory), for a later test to check (a fixture). */
static inline char *tu_kept_path(const char *name)
{
    static char p[sizeof tu_base_dir + 64];
    CHECK(strlen(name) < 48, "kept path name too long");
    snprintf(p, sizeof p, "%s/%s", tu_base_dir, name);
    CHECK(tu_rm_rf(p) == 0, "cannot clear %s", p);
    return p;
}

/* Remove everything this test made. Call only on success. */
static inline void tu_cleanup(void)
{
    for (int i = 0; i < tu_made_count; i++) {
        if (tu_made[i] == NULL)
            continue;
        tu_rm_rf(tu_made[i]);
        free(tu_made[i]);
    }
    tu_made_count = 0;
    if (tu_base_is_temp)
        tu_rm_rf(tu_base_dir);
}

/* ---- time ------------------------------------------------------------- */

static inline uint64_t tu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* RTLOG_TEST_UTIL_H */
