/*
 * test_rt_seccomp.c - the RT contract, system-call part, for log messages from C (and from C++:
 * ../cpp/test_cpp_rt_seccomp.cpp compiles this file as C++17, where the kit adds
 * std::string_view and std::string arguments): an RT thread under a seccomp filter that
 * kills the process on any system call but write, exit, exit_group and rt_sigreturn runs the
 * RTLOG_* macros with every argument kind (messages_kit.h: integers of every width, float,
 * double, char, bool, %p, C strings, a NULL string, a string cut to fit; DEBUG below the
 * threshold, so the filtered path too), into rings it also fills, with rtlog_tick,
 * rtlog_set_level and rtlog_producer_set_level (RT-safe: one store) in between, and
 * rtlog_signal_fault (one store) at the end.
 * tests/rt_seccomp.rs does the same for the Rust API and the C ABI under more overflow
 * policies and clocks; this one runs the header's inline packing as a C program builds it.
 *
 * How: the test forks a child that starts a logger (writer thread running, real files),
 * starts the RT thread, which installs the filter on itself only, publishes, writes its
 * counts to a pipe with a raw write and ends the process with a raw exit_group. The parent
 * checks the exit status and the counts. On SIGSYS it runs the child again with a trapping
 * filter whose handler names the system call. A probe child first checks that the vDSO
 * serves clock_gettime without a system call; where it does not (clock sources hpet,
 * acpi_pm), clock_gettime is allowed and the test says so (the library reads the clock only
 * when the TSC is not usable).
 *
 * Usage: test_rt_seccomp [base-scratch-dir]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall, si_syscall */
#endif
#include "test_util.h"

#if !defined(__linux__) || !(defined(__x86_64__) || defined(__aarch64__))
int main(void)
{
    printf("test_rt_seccomp: SKIP: the filter is written for Linux on x86-64 and aarch64\n");
    return 0;
}
#else

#ifdef __cplusplus
#include "rtlog.hpp"
#endif
#include "messages_kit.h"

#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#if defined(__x86_64__)
#define ST_AUDIT_ARCH AUDIT_ARCH_X86_64
#else
#define ST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define ST_MESSAGES 300000u
#define ST_MAX_RECORD 64u

static int st_pipe = -1;      /* the child's end of the result pipe */
static int st_trap;           /* trap instead of kill, and name the system call */
static int st_allow_clock;    /* the vDSO falls back to the clock_gettime system call */

static void st_raw_write(const char *buf, size_t len)
{
    while (len > 0) {
        long n = syscall(SYS_write, st_pipe, buf, len);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void st_raw_exit(int code)
{
    syscall(SYS_exit_group, code);
}

static void st_on_sigsys(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    char line[96];
    int n = snprintf(line, sizeof line, "trapped syscall=%d\n", info->si_syscall);
    st_raw_write(line, (size_t)n);
    st_raw_exit(3);
}

/* Installs the filter on the calling thread only; 0 or an errno. */
static int st_install_filter(void)
{
    long allowed[] = {SYS_write, SYS_exit, SYS_exit_group, SYS_rt_sigreturn, SYS_clock_gettime};
    unsigned n = st_allow_clock ? 5 : 4;
    unsigned deny = st_trap ? SECCOMP_RET_TRAP : SECCOMP_RET_KILL_PROCESS;
    struct sock_filter prog[4 + 2 * 5 + 1];
    unsigned k = 0;
    struct sock_filter load_arch = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    struct sock_filter arch_ok = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ST_AUDIT_ARCH, 1, 0);
    struct sock_filter deny_it = BPF_STMT(BPF_RET | BPF_K, deny);
    struct sock_filter load_nr = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    struct sock_filter allow_it = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[k++] = load_arch;
    prog[k++] = arch_ok;
    prog[k++] = deny_it;
    prog[k++] = load_nr;
    for (unsigned i = 0; i < n; i++) {
        struct sock_filter is_it = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1);
        prog[k++] = is_it;
        prog[k++] = allow_it;
    }
    prog[k++] = deny_it;
    struct sock_fprog fprog;
    fprog.len = (unsigned short)k;
    fprog.filter = prog;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
        return errno;
    return 0;
}

struct st_ctx {
    rtlog_logger *lg;
    rtlog_producer *prod;
};

/* The RT thread: filter, publish, report, end the process. */
static void *st_rt_main(void *arg)
{
    struct st_ctx *c = (struct st_ctx *)arg;
    char line[512];
    int err = st_install_filter();
    if (err != 0) {
        int n = snprintf(line, sizeof line, "unsupported errno=%d\n", err);
        st_raw_write(line, (size_t)n);
        st_raw_exit(0);
    }
    struct mk_counts m;
    memset(&m, 0, sizeof m);
    uint64_t ticks = 0, moved = 0, tick_errors = 0, level_errors = 0;
    for (uint64_t i = 0; i < ST_MESSAGES; i++) {
        mk_publish(c->prod, i, &m);
        /* Ticks in the first half of every 2000 messages: the rings fill in the second. */
        if (i % 2000 < 1000 && i % 4 == 0) {
            uint32_t n = 0;
            tick_errors += rtlog_tick(c->lg, &n) != RTLOG_OK;
            moved += n;
            ticks++;
        }
        if (i % 1000 == 999) {
            level_errors += rtlog_producer_set_level(c->prod, RTLOG_LEVEL_INFO) != RTLOG_OK;
            level_errors += rtlog_set_level(c->lg, RTLOG_LEVEL_INFO) != RTLOG_OK;
        }
    }
    /* A fault raised from the RT thread (issue 17): one atomic store, under the same filter.
     * Counted with the level calls' errors. */
    level_errors += rtlog_signal_fault(c->prod, 7) != RTLOG_OK;
    int n = snprintf(line, sizeof line,
                     "result published=%" PRIu64 " ok=%" PRIu64 " ok_critical=%" PRIu64
                     " full=%" PRIu64 " full_critical=%" PRIu64 " filtered=%" PRIu64
                     " other=%" PRIu64 " ticks=%" PRIu64 " moved=%" PRIu64 " tick_errors=%" PRIu64
                     " level_errors=%" PRIu64 "\n",
                     m.published, m.ok, m.ok_critical, m.full, m.full_critical, m.filtered, m.other,
                     ticks, moved, tick_errors, level_errors);
    st_raw_write(line, (size_t)n);
    st_raw_exit(0);
    return NULL;
}

/* The child: a logger, then the RT thread (which ends the process). */
static void st_child(const char *dir)
{
    if (st_trap) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = st_on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSYS, &sa, NULL);
    }
    mk_init();
    rtlog_config cfg;
    rtlog_config_init(&cfg, sizeof cfg);
    cfg.dir = dir;
    cfg.max_record_size = ST_MAX_RECORD;
    cfg.critical_depth = 16;
    cfg.normal_depth = 64;
    cfg.dispatch_budget = 8;
    cfg.dispatch_period_us = 0; /* the RT thread ticks */
    cfg.durability = RTLOG_DURABILITY_NONE;
    struct st_ctx c;
    CHECK_STATUS(rtlog_init(&cfg, &c.lg), RTLOG_OK);
    CHECK_STATUS(rtlog_producer_create(c.lg, "rt", &c.prod), RTLOG_OK);
    CHECK_STATUS(rtlog_start(c.lg), RTLOG_OK);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, st_rt_main, &c) == 0, "pthread_create");
    pthread_join(t, NULL);
    _exit(4); /* not reached: the RT thread ends the process */
}

/* Runs `body` in a child with a pipe for its output; returns its wait status and output. */
static int st_run(void (*body)(const char *), const char *dir, char *out, size_t cap)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        close(fds[0]);
        st_pipe = fds[1];
        body(dir);
        _exit(5);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], out + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    out[len] = 0;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    return status;
}

static void st_clock_probe(const char *dir)
{
    (void)dir;
    if (st_install_filter() != 0)
        st_raw_exit(0);
    struct timespec ts;
    for (int i = 0; i < 1000; i++)
        clock_gettime(CLOCK_MONOTONIC, &ts);
    st_raw_write("vdso\n", 5);
    st_raw_exit(0);
}

static uint64_t st_field(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *at = strstr(line, pat);
    CHECK(at != NULL, "no %s= in \"%s\"", key, line);
    return strtoull(at + strlen(pat), NULL, 10);
}

int main(int argc, char **argv)
{
    char out[1024];
    tu_init(argc, argv);

    int status = st_run(st_clock_probe, NULL, out, sizeof out);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
        st_allow_clock = 1;
        printf("NOTE: clock_gettime(CLOCK_MONOTONIC) is a real system call on this machine (the "
               "vDSO falls back to it): allowed\n");
    } else if (strncmp(out, "vdso", 4) != 0) {
        printf("test_rt_seccomp: SKIP: seccomp filters are not available (probe: status %d, "
               "\"%s\")\n", status, out);
        tu_cleanup();
        return 0;
    }

    char *dir = tu_fresh_dir("rt_seccomp");
    status = st_run(st_child, dir, out, sizeof out);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
        st_trap = 1;
        char again[1024];
        st_run(st_child, tu_fresh_dir("rt_seccomp_trap"), again, sizeof again);
        CHECK(0, "the RT thread made a system call and seccomp killed the process (SIGSYS): %s "
              "(see /usr/include/asm/unistd_64.h)", again);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child ended with status %d: \"%s\"",
          status, out);
    if (strncmp(out, "unsupported", 11) == 0) {
        printf("test_rt_seccomp: SKIP: %s", out);
        tu_cleanup();
        return 0;
    }
    CHECK(strncmp(out, "result ", 7) == 0, "no result line: \"%s\"", out);
    uint64_t published = st_field(out, "published"), ok = st_field(out, "ok");
    uint64_t full = st_field(out, "full"), filtered = st_field(out, "filtered");
    CHECK(published == ST_MESSAGES, "%s", out);
    CHECK(st_field(out, "other") == 0 && st_field(out, "tick_errors") == 0 &&
              st_field(out, "level_errors") == 0, "unexpected statuses: %s", out);
    CHECK(filtered == mk_filtered_of(ST_MESSAGES), "the filtered path: %s", out);
    CHECK(ok + full + filtered == published, "%s", out);
    CHECK(st_field(out, "ok_critical") > 0 && ok > st_field(out, "ok_critical"),
          "messages accepted on both streams: %s", out);
    CHECK(st_field(out, "full_critical") > 0 && full > st_field(out, "full_critical"),
          "messages refused on both streams (full rings): %s", out);
    CHECK(st_field(out, "moved") > 0, "ticks moved messages: %s", out);
    printf("test_rt_seccomp: %u messages of every argument kind (%d kinds) from a filtered RT "
           "thread, no system call: %s", ST_MESSAGES, MK_KINDS, out + 7);
    tu_cleanup();
    return 0;
}

#endif /* linux */
