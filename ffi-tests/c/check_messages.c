/*
 * check_messages: checks, with the C reader API, the log messages that an example wrote.
 *
 *   check_messages LOGDIR SOURCE [LEVEL]
 *
 * SOURCE is the example's source file. Its lines that call RTLOG_TRACE ... RTLOG_FATAL give,
 * for each level, the lines where a message of that level may come from (a call may span
 * lines: from the macro's name to the line that ends with ");"). Every message in LOGDIR must
 * come from one of them: its rtlog_record.level is that of the macro, and its file (from
 * rtlog_reader_format's JSON) is SOURCE's file name. There must be at least one INFO, WARN and
 * ERROR message, and DEBUG messages exactly when LEVEL (the example's third argument; default
 * info) is debug or trace. Prints the count per level and the first WARN message's text.
 *
 * Exit status: 0 checked, 1 a check failed or the reader failed, 2 usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtlog.h"

#define MAX_LINES 4096
#define LEVELS 6

static const char *const level_names[LEVELS] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

/* site_level[line] = level + 1 of the macro call that covers the line, 0 for none. */
static unsigned char site_level[MAX_LINES];

static int fail(const char *what)
{
    fprintf(stderr, "check_messages: %s\n", what);
    return 1;
}

/* Marks the lines of every RTLOG_<LEVEL>( call in the source. */
static int scan_source(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail("cannot open the source file");
    char line[1024];
    int n = 0, open_level = 0, sites = 0;
    while (fgets(line, sizeof line, f) && ++n < MAX_LINES) {
        if (!open_level) {
            for (int l = 0; l < LEVELS; l++) {
                char name[32];
                snprintf(name, sizeof name, "RTLOG_%s(", level_names[l]);
                if (strstr(line, name)) {
                    open_level = l + 1;
                    sites++;
                }
            }
        }
        if (open_level) {
            site_level[n] = (unsigned char)open_level;
            if (strstr(line, ");") || strstr(line, ")))"))
                open_level = 0;
        }
    }
    fclose(f);
    return sites > 0 ? 0 : fail("no RTLOG_<LEVEL>( call in the source file");
}

/* The value of "key": in a JSON object, as text up to the next '"' (strings) or ',' (numbers). */
static int json_field(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *at = strstr(json, pat);
    if (!at)
        return 0;
    at += strlen(pat);
    char end = ',';
    if (*at == '"') {
        at++;
        end = '"';
    }
    size_t i = 0;
    while (at[i] && at[i] != end && at[i] != '}' && i + 1 < cap) {
        out[i] = at[i];
        i++;
    }
    out[i] = 0;
    return 1;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: check_messages LOGDIR SOURCE [LEVEL]\n");
        return 2;
    }
    const char *level = argc > 3 ? argv[3] : "info";
    const int want_debug = strcmp(level, "debug") == 0 || strcmp(level, "trace") == 0;
    if (scan_source(argv[2]) != 0)
        return 1;

    rtlog_reader *r = NULL;
    if (rtlog_reader_open(argv[1], &r) != RTLOG_OK)
        return fail(rtlog_last_error());
    uint64_t count[LEVELS] = {0};
    char json[2048], text[1024], file[512], line[32], first_warn[2048] = "";
    int rc = 0;
    rtlog_record rec;
    rtlog_record_init(&rec);
    rtlog_status st;
    while (rc == 0 && (st = rtlog_reader_next(r, &rec)) == RTLOG_OK) {
        if (rec.kind != RTLOG_FRAME_MESSAGE)
            continue;
        if (rec.level >= LEVELS) {
            rc = fail("a message with a level that is not an rtlog_level");
            break;
        }
        count[rec.level]++;
        if (rtlog_reader_format(r, &rec, 1, json, sizeof json, NULL) != RTLOG_OK ||
            rtlog_reader_format(r, &rec, 0, text, sizeof text, NULL) != RTLOG_OK) {
            rc = fail(rtlog_last_error());
            break;
        }
        if (!json_field(json, "file", file, sizeof file) || !json_field(json, "line", line, sizeof line)) {
            fprintf(stderr, "check_messages: no file or line in %s\n", json);
            rc = 1;
            break;
        }
        long n = strtol(line, NULL, 10);
        if (strcmp(base_name(file), base_name(argv[2])) != 0 || n <= 0 || n >= MAX_LINES ||
            site_level[n] != rec.level + 1) {
            fprintf(stderr, "check_messages: %s message from %s:%ld is not an RTLOG_%s call of %s: %s\n",
                    level_names[rec.level], file, n, level_names[rec.level], argv[2], json);
            rc = 1;
        }
        if (rec.level == RTLOG_LEVEL_WARN && !first_warn[0])
            snprintf(first_warn, sizeof first_warn, "%s:%ld %s", base_name(file), n, text);
    }
    if (rc == 0 && st != RTLOG_END)
        rc = fail(rtlog_last_error());
    rtlog_reader_close(r);
    if (rc != 0)
        return rc;

    for (int l = 0; l < LEVELS; l++)
        printf("%s %llu\n", level_names[l], (unsigned long long)count[l]);
    printf("first WARN: %s\n", first_warn);
    if (!count[RTLOG_LEVEL_INFO] || !count[RTLOG_LEVEL_WARN] || !count[RTLOG_LEVEL_ERROR])
        return fail("expected INFO, WARN and ERROR messages");
    if (want_debug != (count[RTLOG_LEVEL_DEBUG] > 0))
        return fail(want_debug ? "expected DEBUG messages" : "DEBUG messages were not filtered");
    printf("check_messages ok\n");
    return 0;
}
