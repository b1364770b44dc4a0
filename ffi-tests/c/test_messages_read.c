/*
 * test_messages_read.c - log messages written with the RTLOG_* macros, read back through the
 * C reader API: rtlog_reader_message (level, call site: file, line, function, format; the
 * argument count), rtlog_reader_message_arg (each argument's type and value, strings with
 * their length and NULL flag) and rtlog_reader_format (the text, and the JSON). Also: a data
 * record is not a message, an argument index past the last is refused, the misuse of
 * rtlog_message_info's struct_size, and a message whose call-site frame was damaged: still
 * returned, known = 0, its arguments intact, its text "<call site N> raw args".
 *
 * Usage: test_messages_read [base-scratch-dir]
 */
#include "test_util.h"

#include <dirent.h>
#include <stdbool.h>

/* Not const and not static: the compiler cannot see that it is NULL, so -Wformat does not
 * warn about a NULL %s, which is what this test passes on purpose. */
const char *test_no_name = NULL;

static unsigned info_line, warn_line, error_line;

static void write_log(const char *dir)
{
    rtlog_config cfg;
    tu_config(&cfg, dir);
    rtlog_logger *lg = tu_logger_new(&cfg);
    rtlog_producer *p = tu_producer_new(lg, "arm");
    CHECK_STATUS(rtlog_start(lg), RTLOG_OK);
    unsigned joint = 3;
    double torque = 12.5;
    CHECK_STATUS(rtlog_publish(p, RTLOG_STREAM_NORMAL, 1, "rec", 3), RTLOG_OK);
    info_line = __LINE__; CHECK_STATUS(RTLOG_INFO(p, "loop started"), RTLOG_OK);
    warn_line = __LINE__; CHECK_STATUS(RTLOG_WARN(p, "joint %u over torque limit %.3f", joint, torque), RTLOG_OK);
    error_line = __LINE__; CHECK_STATUS(RTLOG_ERROR(p, "drive %s fault %d at %p [%c] ok=%d i8=%hhd u16=%hu i64=%lld f=%.2f null=%s", "left", -2, (void *)0x1234, (char)'x', (bool)true, (int8_t)-7, (uint16_t)65535, (long long)-9000000000LL, 0.5f, test_no_name), RTLOG_OK);
    CHECK_STATUS(rtlog_flush(lg, 10000), RTLOG_OK);
    CHECK_STATUS(rtlog_shutdown(lg), RTLOG_OK);
    rtlog_destroy(lg);
}

/* Argument i of rec, checked to have `type`. */
static rtlog_message_arg arg(rtlog_reader *r, const rtlog_record *rec, uint32_t i, rtlog_arg_type type)
{
    rtlog_message_arg a;
    memset(&a, 0xA5, sizeof a);
    rtlog_message_arg_init(&a);
    CHECK_STATUS(rtlog_reader_message_arg(r, rec, i, &a), RTLOG_OK);
    CHECK(a.struct_size == sizeof a, "struct_size %u left as set", (unsigned)a.struct_size);
    CHECK(a.type == (uint32_t)type, "argument %u: type %u, expected %u", (unsigned)i, (unsigned)a.type,
          (unsigned)type);
    if (type != RTLOG_ARG_STR)
        CHECK(a.length == 0 && a.truncated == 0 && a.is_null == 0, "argument %u: string fields set", (unsigned)i);
    return a;
}

static void check_text(rtlog_reader *r, const rtlog_record *rec, const char *expected)
{
    char text[512];
    size_t len = 0;
    CHECK_STATUS(rtlog_reader_format(r, rec, 0, text, sizeof text, &len), RTLOG_OK);
    CHECK(strcmp(text, expected) == 0 && len == strlen(expected), "text \"%s\", expected \"%s\"", text, expected);
}

static void check_call_site(const rtlog_message_info *m, rtlog_level level, unsigned line, const char *format,
                            uint32_t arg_count)
{
    CHECK(m->level == (uint32_t)level, "level %u, expected %u", (unsigned)m->level, (unsigned)level);
    CHECK(m->known == 1 && m->callsite > 0, "known %u callsite %u", (unsigned)m->known, (unsigned)m->callsite);
    CHECK(m->line == line, "line %u, expected %u", (unsigned)m->line, line);
    CHECK(strcmp(m->file, __FILE__) == 0, "file \"%s\", expected \"%s\"", m->file, __FILE__);
    CHECK(strcmp(m->function, "write_log") == 0, "function \"%s\"", m->function);
    CHECK(strcmp(m->format, format) == 0, "format \"%s\", expected \"%s\"", m->format, format);
    CHECK(m->arg_count == arg_count, "arg_count %u, expected %u", (unsigned)m->arg_count, (unsigned)arg_count);
}

static void check_warn(rtlog_reader *r, const rtlog_record *rec, const rtlog_message_info *m)
{
    check_call_site(m, RTLOG_LEVEL_WARN, warn_line, "joint %u over torque limit %.3f", 2);
    CHECK(rec->stream == RTLOG_STREAM_NORMAL, "WARN on stream %u", (unsigned)rec->stream);
    CHECK(arg(r, rec, 0, RTLOG_ARG_U32).value.u == 3, "joint");
    CHECK(arg(r, rec, 1, RTLOG_ARG_F64).value.f == 12.5, "torque");
    check_text(r, rec, "joint 3 over torque limit 12.500");
    char json[512];
    CHECK_STATUS(rtlog_reader_format(r, rec, 1, json, sizeof json, NULL), RTLOG_OK);
    char want[128];
    snprintf(want, sizeof want, "\"line\":%u,\"function\":\"write_log\",\"message\":\"joint 3 over torque "
             "limit 12.500\",\"args\":[3,12.5]}", warn_line);
    CHECK(strstr(json, want) != NULL, "JSON %s lacks %s", json, want);
}

static void check_error(rtlog_reader *r, const rtlog_record *rec, const rtlog_message_info *m)
{
    check_call_site(m, RTLOG_LEVEL_ERROR, error_line,
                    "drive %s fault %d at %p [%c] ok=%d i8=%hhd u16=%hu i64=%lld f=%.2f null=%s", 10);
    CHECK(rec->stream == RTLOG_STREAM_CRITICAL, "ERROR on stream %u", (unsigned)rec->stream);
    rtlog_message_arg a = arg(r, rec, 0, RTLOG_ARG_STR);
    CHECK(a.length == 4 && memcmp(a.value.p, "left", 5) == 0 && !a.truncated && !a.is_null,
          "string: length %llu truncated %u null %u", (unsigned long long)a.length, (unsigned)a.truncated,
          (unsigned)a.is_null);
    CHECK(arg(r, rec, 1, RTLOG_ARG_I32).value.i == -2, "fault");
    CHECK(arg(r, rec, 2, RTLOG_ARG_PTR).value.u == 0x1234, "pointer");
    CHECK(arg(r, rec, 3, RTLOG_ARG_CHAR).value.u == 'x', "char");
    CHECK(arg(r, rec, 4, RTLOG_ARG_BOOL).value.u == 1, "bool");
    CHECK(arg(r, rec, 5, RTLOG_ARG_I8).value.i == -7, "int8_t");
    CHECK(arg(r, rec, 6, RTLOG_ARG_U16).value.u == 65535, "uint16_t");
    CHECK(arg(r, rec, 7, RTLOG_ARG_I64).value.i == -9000000000LL, "long long");
    CHECK(arg(r, rec, 8, RTLOG_ARG_F32).value.f == 0.5, "float");
    a = arg(r, rec, 9, RTLOG_ARG_STR);
    CHECK(a.is_null == 1 && a.length == 0 && a.value.p != NULL && a.value.p[0] == 0, "NULL string: null %u length %llu",
          (unsigned)a.is_null, (unsigned long long)a.length);
    rtlog_message_arg past;
    rtlog_message_arg_init(&past);
    CHECK_STATUS(rtlog_reader_message_arg(r, rec, 10, &past), RTLOG_ERR_INVALID_ARGUMENT);
    check_text(r, rec, "drive left fault -2 at 0x1234 [x] ok=1 i8=-7 u16=65535 i64=-9000000000 f=0.50 null=(null)");
}

/* What a pass over the log saw. */
struct tally {
    unsigned seen;     /* bits set by the callback */
    unsigned records;  /* data records */
    unsigned messages; /* messages */
    uint64_t corrupt;  /* damaged regions the reader skipped */
};

typedef void (*message_fn)(rtlog_reader *r, const rtlog_record *rec, const rtlog_message_info *m, struct tally *t);

/* Reads the log; each data record is checked not to be a message, each message is described
 * and handed to fn. */
static struct tally each_message(const char *dir, message_fn fn)
{
    struct tally t = {0, 0, 0, 0};
    rtlog_reader *r = NULL;
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    rtlog_record rec;
    rtlog_record_init(&rec);
    rtlog_message_info m;
    rtlog_message_info_init(&m);
    while (rtlog_reader_next(r, &rec) == RTLOG_OK) {
        if (rec.kind == RTLOG_FRAME_DATA) {
            t.records++;
            CHECK_STATUS(rtlog_reader_message(r, &rec, &m), RTLOG_ERR_INVALID_ARGUMENT);
            continue;
        }
        CHECK(rec.kind == RTLOG_FRAME_MESSAGE, "kind %u", (unsigned)rec.kind);
        CHECK_STATUS(rtlog_reader_message(r, &rec, &m), RTLOG_OK);
        CHECK(m.level == rec.level, "info level %u, record level %u", (unsigned)m.level, (unsigned)rec.level);
        t.messages++;
        fn(r, &rec, &m, &t);
    }
    rtlog_reader_counts c;
    rtlog_reader_counts_init(&c);
    CHECK_STATUS(rtlog_reader_stats(r, &c), RTLOG_OK);
    t.corrupt = c.corrupt_regions;
    rtlog_reader_close(r);
    return t;
}

static void check_message(rtlog_reader *r, const rtlog_record *rec, const rtlog_message_info *m, struct tally *t)
{
    switch (m->level) {
    case RTLOG_LEVEL_INFO:
        check_call_site(m, RTLOG_LEVEL_INFO, info_line, "loop started", 0);
        check_text(r, rec, "loop started");
        t->seen |= 1;
        break;
    case RTLOG_LEVEL_WARN:
        check_warn(r, rec, m);
        t->seen |= 2;
        break;
    case RTLOG_LEVEL_ERROR:
        check_error(r, rec, m);
        t->seen |= 4;
        break;
    default:
        CHECK(0, "a message of level %u", (unsigned)m->level);
    }
}

static void read_log(const char *dir)
{
    struct tally t = each_message(dir, check_message);
    CHECK(t.seen == 7 && t.messages == 3 && t.records == 1 && t.corrupt == 0,
          "messages seen %#x (%u), records %u, damaged regions %llu", t.seen, t.messages, t.records,
          (unsigned long long)t.corrupt);
}

/* A message described into a struct that was never initialised, or is too small, is refused
 * and nothing is written; the first version's size is accepted. */
static void struct_sizes(const char *dir)
{
    rtlog_reader *r = NULL;
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    rtlog_record rec;
    rtlog_record_init(&rec);
    do
        CHECK_STATUS(rtlog_reader_next(r, &rec), RTLOG_OK);
    while (rec.kind != RTLOG_FRAME_MESSAGE);
    rtlog_message_info m;
    memset(&m, 0xA5, sizeof m);
    m.struct_size = 0;
    CHECK_STATUS(rtlog_reader_message(r, &rec, &m), RTLOG_ERR_INVALID_ARGUMENT);
    m.struct_size = offsetof(rtlog_message_info, format);
    CHECK_STATUS(rtlog_reader_message(r, &rec, &m), RTLOG_ERR_INVALID_ARGUMENT);
    CHECK(m.callsite == 0xA5A5A5A5u, "a refused struct was written");
    rtlog_message_arg a;
    memset(&a, 0, sizeof a);
    CHECK_STATUS(rtlog_reader_message_arg(r, &rec, 0, &a), RTLOG_ERR_INVALID_ARGUMENT);
    rtlog_message_info_init(&m);
    CHECK_STATUS(rtlog_reader_message(r, &rec, &m), RTLOG_OK);
    rtlog_reader_close(r);
}

/* Flips a byte of the format string "joint %u" in the log's one segment: the call-site frame
 * that holds it fails its CRC and is skipped as damage. */
static void damage_call_site(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL, "opendir %s", dir);
    struct dirent *e;
    char path[4096] = "";
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "seg-", 4) == 0)
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    closedir(d);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL, "open the segment %s", path);
    static unsigned char bytes[1 << 20];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    const char *needle = "joint %u over";
    size_t at = 0;
    while (at + strlen(needle) <= n && memcmp(bytes + at, needle, strlen(needle)) != 0)
        at++;
    CHECK(at + strlen(needle) <= n, "the call site's format is in %s", path);
    bytes[at] ^= 0x20;
    CHECK(fseek(f, (long)at, SEEK_SET) == 0 && fwrite(bytes + at, 1, 1, f) == 1 && fclose(f) == 0, "rewrite %s",
          path);
}

/* The WARN message, whose call-site frame is damaged: still there, with known = 0. */
static void check_lost(rtlog_reader *r, const rtlog_record *rec, const rtlog_message_info *m, struct tally *t)
{
    if (m->level != RTLOG_LEVEL_WARN) {
        CHECK(m->known == 1, "the other call sites are intact");
        return;
    }
    t->seen++;
    CHECK(m->known == 0 && m->line == 0 && m->file[0] == 0 && m->function[0] == 0 && m->format[0] == 0 &&
              m->callsite > 0 && m->arg_count == 2,
          "lost call site: known %u line %u file \"%s\" callsite %u args %u", (unsigned)m->known,
          (unsigned)m->line, m->file, (unsigned)m->callsite, (unsigned)m->arg_count);
    char want[64];
    snprintf(want, sizeof want, "<call site %u> 3 12.5", (unsigned)m->callsite);
    CHECK(arg(r, rec, 0, RTLOG_ARG_U32).value.u == 3, "joint");
    CHECK(arg(r, rec, 1, RTLOG_ARG_F64).value.f == 12.5, "torque");
    check_text(r, rec, want);
}

static void read_lost_call_site(const char *dir)
{
    struct tally t = each_message(dir, check_lost);
    CHECK(t.messages == 3 && t.seen == 1 && t.corrupt == 1,
          "messages %u, with the lost call site %u, damaged regions %llu", t.messages, t.seen,
          (unsigned long long)t.corrupt);
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    const char *dir = tu_fresh_dir("messages");
    write_log(dir);
    read_log(dir);
    struct_sizes(dir);
    damage_call_site(dir);
    read_lost_call_site(dir);
    tu_cleanup();
    printf("test_messages_read: OK\n");
    return 0;
}
