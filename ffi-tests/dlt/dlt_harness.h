/*
 * dlt_harness.h - what the DLT tests against Debian's real dlt-daemon share (ctest label `dlt`):
 * a private dlt-daemon (its own dlt.conf, FIFO directory and control socket under the scratch
 * directory, TCP on 127.0.0.1 only, on a free port), the real DLT client dlt_client_dump
 * (libdlt's client API, in a process of its own) and the reading of what it received.
 *
 *   test SCRATCH DLT_DAEMON DLT_CLIENT_DUMP     (harness_start takes these three)
 *
 * Bounded waits only (generous deadlines, no timing assertions).
 */
#ifndef RTLOG_DLT_HARNESS_H
#define RTLOG_DLT_HARNESS_H

#include "../c/test_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#define APP_ID "RTLT"
#define ECU_ID "RTLE"
#define MAX_EXPECTED 2048
#define WAIT_S 30      /* deadline of each wait */

static const char *scratch, *daemon_bin, *client_bin;
static char pipe_dir[512], conf_path[512], dump_path[512], persist_dir[512], daemon_out[512],
    client_out[512], daemon_log[512], ctrl_sock[512];
/* The control socket's path must fit sun_path (108 bytes): a short directory of its own. */
static char ctrl_dir[] = "/tmp/rtlog-dlt-XXXXXX";
static int port;
static pid_t daemon_pid, client_pid;
static rtlog_logger *lg;

/* ---- processes ----------------------------------------------------------- */

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static pid_t spawn(char *const argv[], const char *log_path) {
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void stop_process(pid_t *pid, int sig) {
    if (*pid <= 0) return;
    kill(*pid, sig);
    int status;
    for (int i = 0; i < 500; i++) { /* up to 5 s, then SIGKILL */
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            *pid = 0;
            return;
        }
        sleep_ms(10);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    *pid = 0;
}

static void cleanup_processes(void) {
    /* The client flushes every line and holds nothing: no need to wait for it to notice. */
    stop_process(&client_pid, SIGKILL);
    stop_process(&daemon_pid, SIGTERM);
}

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
    socklen_t n = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &n);
    close(s);
    return ntohs(a.sin_port);
}

/* Starts the daemon and waits until it holds its FIFO open for reading. */
static void start_daemon(void) {
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    char *argv[] = {(char *)daemon_bin, "-c", conf_path, "-t", pipe_dir, "-p", portstr, NULL};
    daemon_pid = spawn(argv, daemon_out);
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/dlt", pipe_dir);
    for (int i = 0; i < WAIT_S * 100; i++) {
        int status;
        CHECK(waitpid(daemon_pid, &status, WNOHANG) == 0, "dlt-daemon exited at start-up (see %s)",
              daemon_out);
        int fd = open(fifo, O_WRONLY | O_NONBLOCK);
        if (fd >= 0) {
            close(fd);
            return;
        }
        sleep_ms(10);
    }
    CHECK(0, "dlt-daemon did not open %s within %d s", fifo, WAIT_S);
}

static void write_conf(void) {
    FILE *f = fopen(conf_path, "w");
    CHECK(f, "%s: %s", conf_path, strerror(errno));
    fprintf(f,
            "Verbose = 0\n"
            "ECUId = " ECU_ID "\n"
            "SendContextRegistration = 1\n"
            "SharedMemorySize = 100000\n"
            "PersistanceStoragePath = %s\n"
            "LoggingMode = 2\n"
            "LoggingLevel = 6\n"
            "LoggingFilename = %s\n"
            "TimeOutOnSend = 4\n"
            "RingbufferMinSize = 500000\n"
            "RingbufferMaxSize = 10000000\n"
            "RingbufferStepSize = 500000\n"
            "ControlSocketPath = %s\n"
            /* Debian's daemon opens IPv6 sockets: the IPv4-mapped loopback is 127.0.0.1 only. */
            "BindAddress = ::ffff:127.0.0.1\n"
            "UDPConnectionSetup = 0\n"
            "OfflineTraceDirectory = %s\n",
            persist_dir, daemon_log, ctrl_sock, persist_dir);
    fclose(f);
}

/* ---- what the client received ------------------------------------------- */

typedef struct {
    char kind;                  /* 'L' log, 'C' control */
    char ecu[5], apid[5], ctid[5];
    unsigned msin, noar_or_service;
    uint8_t payload[4200];
    size_t len;
    char text[1200]; /* verbose log messages: the payload as libdlt prints it (a 'T' line) */
} line_t;

static int parse_line(const char *s, line_t *l) {
    char hex[8500];
    unsigned a, b;
    memset(l, 0, sizeof *l);
    if (s[0] == 'L') {
        unsigned seid, tmsp;
        if (sscanf(s, "L %4s %4s %4s %x %u %u %u %8499s", l->ecu, l->apid, l->ctid, &a, &b, &seid,
                   &tmsp, hex) != 8)
            return 0;
    } else if (s[0] == 'C') {
        if (sscanf(s, "C %4s %4s %4s %x %u %8499s", l->ecu, l->apid, l->ctid, &a, &b, hex) != 6)
            return 0;
    } else {
        return 0;
    }
    l->kind = s[0];
    l->msin = a;
    l->noar_or_service = b;
    if (strcmp(hex, "-") != 0) {
        size_t n = strlen(hex) / 2;
        for (size_t i = 0; i < n && i < sizeof l->payload; i++) sscanf(hex + 2 * i, "%2hhx", &l->payload[i]);
        l->len = n;
    }
    return 1;
}

static line_t *lines;
static size_t n_lines;

/* Reads the dump file again; returns the number of log messages of our application. */
static size_t read_dump(void) {
    FILE *f = fopen(dump_path, "r");
    n_lines = 0;
    if (!f) return 0;
    static char buf[9000];
    size_t ours = 0;
    while (fgets(buf, sizeof buf, f) && n_lines < 8 * MAX_EXPECTED) {
        if (buf[0] == 'T' && buf[1] == ' ' && n_lines > 0) {
            /* libdlt's text of the verbose message just read (a line being written lacks its
             * newline: it is read again next time). */
            char *nl = strchr(buf, '\n');
            if (nl) {
                char *text = lines[n_lines - 1].text;
                size_t n = (size_t)(nl - (buf + 2));
                if (n >= sizeof lines[0].text) n = sizeof lines[0].text - 1;
                memcpy(text, buf + 2, n);
                text[n] = 0;
            }
            continue;
        }
        if (!parse_line(buf, &lines[n_lines])) continue; /* a line being written */
        if (lines[n_lines].kind == 'L' && !strcmp(lines[n_lines].apid, APP_ID)) ours++;
        n_lines++;
    }
    fclose(f);
    return ours;
}

/* The next log message of our application at or after lines[*i] (NULL: none); moves *i past
 * it. */
static line_t *next_ours(size_t *i) {
    for (; *i < n_lines; (*i)++) {
        line_t *l = &lines[*i];
        if (l->kind == 'L' && !strcmp(l->apid, APP_ID)) {
            (*i)++;
            return l;
        }
    }
    return NULL;
}

static rtlog_dlt_stats dlt_stats(void) {
    rtlog_dlt_stats s;
    rtlog_dlt_stats_init(&s, sizeof s);
    CHECK_STATUS(rtlog_dlt_get_stats(lg, &s), RTLOG_OK);
    return s;
}

/* The sink's statistics once it counts `want` records sent, or after WAIT_S seconds: the DLT
 * thread counts a batch after its write to the daemon returned, so a client may show the
 * messages a moment before the count does. */
static rtlog_dlt_stats dlt_stats_when_sent(size_t want) {
    rtlog_dlt_stats s = dlt_stats();
    for (int i = 0; i < WAIT_S * 1000 && s.sent < want; i++) {
        sleep_ms(1);
        s = dlt_stats();
    }
    return s;
}

static void wait_for_messages(size_t want, const char *what) {
    size_t got = 0;
    for (int i = 0; i < WAIT_S * 20; i++) {
        got = read_dump();
        if (got >= want) return;
        sleep_ms(50);
    }
    rtlog_dlt_stats s = dlt_stats();
    CHECK(0, "%s: the client received %zu of our messages, expected %zu (see %s); sink: sent %llu "
             "queued %llu lost %llu connected %u",
          what, got, want, dump_path, (unsigned long long)s.sent, (unsigned long long)s.queued,
          (unsigned long long)s.lost, s.connected);
}


/* ---- start and end ------------------------------------------------------- */

/* Makes the scratch layout, starts the daemon and the client. */
static void harness_start(int argc, char **argv) {
    CHECK(argc == 4, "usage: %s SCRATCH DLT_DAEMON DLT_CLIENT_DUMP", argv[0]);
    tu_init(2, argv);
    scratch = argv[1];
    daemon_bin = argv[2];
    client_bin = argv[3];
    signal(SIGPIPE, SIG_DFL); /* the sink must not need the process to ignore SIGPIPE */
    atexit(cleanup_processes);
    lines = calloc(8 * MAX_EXPECTED, sizeof *lines);
    CHECK(lines, "out of memory");
    snprintf(pipe_dir, sizeof pipe_dir, "%s", tu_fresh_dir("pipes"));
    snprintf(persist_dir, sizeof persist_dir, "%s", tu_fresh_dir("persist"));
    snprintf(conf_path, sizeof conf_path, "%s", tu_path("dlt.conf"));
    snprintf(dump_path, sizeof dump_path, "%s", tu_path("received.txt"));
    snprintf(daemon_out, sizeof daemon_out, "%s", tu_path("daemon.out"));
    snprintf(client_out, sizeof client_out, "%s", tu_path("client.out"));
    snprintf(daemon_log, sizeof daemon_log, "%s", tu_path("daemon.log"));
    CHECK(mkdtemp(ctrl_dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(ctrl_sock, sizeof ctrl_sock, "%s/ctrl", ctrl_dir);
    port = free_port();
    write_conf();
    start_daemon();
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    char *cargv[] = {(char *)client_bin, portstr, dump_path, NULL};
    client_pid = spawn(cargv, client_out);
    printf("dlt-daemon pid %d on 127.0.0.1:%d, FIFO dir %s; client pid %d\n", (int)daemon_pid, port,
           pipe_dir, (int)client_pid);

}

/* A configuration for the tests: log files under the scratch directory, FLUSH durability, no
 * internal ticker (each test ticks every record itself, so that DLT sees the publish order),
 * and the DLT sink on, towards the private daemon. */
static void harness_config(rtlog_config *cfg) {
    rtlog_config_init(cfg, sizeof *cfg);
    cfg->dir = tu_fresh_dir("log");
    cfg->durability = RTLOG_DURABILITY_FLUSH;
    cfg->dispatch_period_us = 0;
    cfg->dlt_enable = 1;
    cfg->dlt_app_id = APP_ID;
    cfg->dlt_pipe_dir = pipe_dir;
}

/* Stops the client and the daemon, removes the scratch directories. */
static void harness_end(void) {
    cleanup_processes();
    unlink(ctrl_sock);
    rmdir(ctrl_dir);
    tu_cleanup();
}

#endif
