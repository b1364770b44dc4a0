/*
 * messages_kit.h - log messages of every argument kind through the RTLOG_* macros, for the RT
 * proofs (test_rt_malloc.c, test_rt_seccomp.c, test_cpp_rt.cpp, test_cpp_rt_seccomp.cpp), and
 * the check of their text read back. C11 and C++17.
 *
 * Message i carries i as its first argument (n=%llu) and picks its call site by i % MK_KINDS:
 *   0  INFO   i8 u8 i16 u16 i32 u32 i64 (and the u64 n)
 *   1  WARN   float, double, char, bool, pointer
 *   2  ERROR  a C string, a NULL string, a C string longer than any slot (cut): critical stream
 *   3  DEBUG  below the default threshold (INFO): filtered, never in the log
 *   4  INFO   i16, float, pointer: four arguments, passed in registers
 *             (rtlog_publish_message_words)
 *   5  WARN   (C++ only) a std::string_view and a std::string, through rtlog.hpp
 * The reader renders each as C's printf would; mk_check_log compares with snprintf.
 *
 * Include it after test_util.h (C) or cpp_test_util.hpp (C++); call mk_init() before the RT
 * threads start.
 */
#ifndef RTLOG_MESSAGES_KIT_H
#define RTLOG_MESSAGES_KIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#ifndef __cplusplus
#include <stdbool.h>
#define MK_KINDS 5
#else
#include <string>
#include <string_view>
#define MK_KINDS 6
#endif

#define MK_FMT_INTS                                                                          \
    "n=%" PRIu64 " i8=%" PRId8 " u8=%" PRIu8 " i16=%" PRId16 " u16=%" PRIu16 " i32=%" PRId32  \
    " u32=%" PRIu32 " i64=%" PRId64
#define MK_FMT_SCALARS "n=%" PRIu64 " f32=%.2f f64=%.3f char=%c bool=%d ptr=%p"
#define MK_FMT_STRINGS "n=%" PRIu64 " str=%s null=%s cut=%s"
#define MK_FMT_FILTERED "n=%" PRIu64 " filtered"
#define MK_FMT_WORDS "n=%" PRIu64 " i16=%" PRId16 " f32=%.2f ptr=%p"
#define MK_FMT_VIEWS "n=%" PRIu64 " sv=%s str=%s"

/* The string that is always cut: longer than any slot of these tests. */
#define MK_LONG 300
static char mk_long[MK_LONG + 1];
/* A NULL string the compiler cannot see is NULL. */
static const char *mk_none;
static const char mk_digits[] = "0123456789abcdefghij";
#ifdef __cplusplus
/* Longer than libstdc++'s in-place buffer (15), so its bytes are on the heap. */
static const std::string mk_std_string("a std::string of 26 bytes");
#endif

/* What publishing returned, sorted. */
struct mk_counts {
    uint64_t ok, full, filtered, other;
    uint64_t ok_critical;   /* of ok: accepted on the critical stream (ERROR) */
    uint64_t full_critical; /* of full: refused on the critical stream */
    uint64_t published;     /* every message tried */
};

static inline void mk_init(void)
{
    memset(mk_long, 'x', MK_LONG);
    mk_long[MK_LONG] = 0;
}

static inline int8_t mk_i8(uint64_t i) { return (int8_t)-(int)(i % 128); }
static inline uint8_t mk_u8(uint64_t i) { return (uint8_t)(i % 256); }
static inline int16_t mk_i16(uint64_t i) { return (int16_t)-(int)(i % 30000); }
static inline uint16_t mk_u16(uint64_t i) { return (uint16_t)(i % 65536); }
static inline int32_t mk_i32(uint64_t i) { return -(int32_t)(i % 2000000000u); }
static inline uint32_t mk_u32(uint64_t i) { return (uint32_t)(i % 4000000000u); }
static inline int64_t mk_i64(uint64_t i) { return -(int64_t)i; }
static inline float mk_f32(uint64_t i) { return (float)(i % 1000) * 0.25f; }
static inline double mk_f64(uint64_t i) { return (double)i * 0.125; }
static inline char mk_char(uint64_t i) { return (char)('a' + i % 26); }
static inline bool mk_bool(uint64_t i) { return i % 2 != 0; }
static inline const void *mk_ptr(uint64_t i) { return (const void *)(uintptr_t)(0x1000 + 16 * i); }

/* Messages among the first `n` (0 .. n - 1) that are filtered (kind 3). */
static inline uint64_t mk_filtered_of(uint64_t n)
{
    return n / MK_KINDS + (n % MK_KINDS > 3);
}

/* Publishes message i on p with the macros (RT-safe: what the proofs check). */
static inline void mk_publish(rtlog_producer *p, uint64_t i, struct mk_counts *c)
{
    rtlog_status st;
    unsigned kind = (unsigned)(i % MK_KINDS);
    switch (kind) {
    case 0:
        st = RTLOG_INFO(p, MK_FMT_INTS, i, mk_i8(i), mk_u8(i), mk_i16(i), mk_u16(i), mk_i32(i),
                        mk_u32(i), mk_i64(i));
        break;
    case 1:
        st = RTLOG_WARN(p, MK_FMT_SCALARS, i, mk_f32(i), mk_f64(i), mk_char(i), mk_bool(i),
                        mk_ptr(i));
        break;
    case 2:
        st = RTLOG_ERROR(p, MK_FMT_STRINGS, i, "abc", mk_none, (const char *)mk_long);
        break;
    case 3:
        st = RTLOG_DEBUG(p, MK_FMT_FILTERED, i);
        break;
#ifndef __cplusplus
    default:
#else
    case 4:
#endif
        st = RTLOG_INFO(p, MK_FMT_WORDS, i, mk_i16(i), mk_f32(i), mk_ptr(i));
        break;
#ifdef __cplusplus
    default:
        st = RTLOG_WARN(p, MK_FMT_VIEWS, i, std::string_view(mk_digits + i % 10, 5), mk_std_string);
        break;
#endif
    }
    c->published++;
    if (st == RTLOG_OK && kind == 3)
        c->filtered++;
    else if (st == RTLOG_OK) {
        c->ok++;
        c->ok_critical += kind == 2;
    }
    else if (st == RTLOG_ERR_FULL) {
        c->full++;
        c->full_critical += kind == 2;
    } else
        c->other++;
}

/* The text message i reads back as; for kind 2, the text before the cut string's bytes. */
static inline int mk_expected(uint64_t i, char *buf, size_t cap)
{
    switch (i % MK_KINDS) {
    case 0:
        return snprintf(buf, cap, MK_FMT_INTS, i, mk_i8(i), mk_u8(i), mk_i16(i), mk_u16(i),
                        mk_i32(i), mk_u32(i), mk_i64(i));
    case 1:
        return snprintf(buf, cap, MK_FMT_SCALARS, i, (double)mk_f32(i), mk_f64(i), mk_char(i),
                        (int)mk_bool(i), mk_ptr(i));
    case 2:
        return snprintf(buf, cap, MK_FMT_STRINGS, i, "abc", "(null)", "");
    case 3:
        return snprintf(buf, cap, MK_FMT_FILTERED, i);
    case 4:
        return snprintf(buf, cap, MK_FMT_WORDS, i, mk_i16(i), (double)mk_f32(i), mk_ptr(i));
    default:
        return snprintf(buf, cap, "n=%" PRIu64 " sv=%.5s str=%s", i, mk_digits + i % 10,
#ifdef __cplusplus
                        mk_std_string.c_str()
#else
                        ""
#endif
        );
    }
}

/* Checks one message's text; returns its i, or exits through CHECK. */
static inline uint64_t mk_check_text(const char *text, size_t len)
{
    uint64_t i = 0;
    char want[512];
    CHECK(sscanf(text, "n=%" SCNu64, &i) == 1, "not a kit message: \"%s\"", text);
    CHECK(i % MK_KINDS != 3, "a filtered message is in the log: \"%s\"", text);
    int n = mk_expected(i, want, sizeof want);
    if (i % MK_KINDS == 2) {
        /* Some of the long string, then the cut mark "…" (UTF-8, 3 bytes). */
        size_t xs = len - (size_t)n - 3;
        CHECK(len > (size_t)n + 3 && memcmp(text, want, (size_t)n) == 0 &&
                  strcmp(text + len - 3, "\xe2\x80\xa6") == 0,
              "message %" PRIu64 ": \"%s\", expected \"%s\" + x... + the cut mark", i, text, want);
        for (size_t k = 0; k < xs; k++)
            CHECK(text[(size_t)n + k] == 'x', "message %" PRIu64 ": \"%s\"", i, text);
        CHECK(xs < MK_LONG, "message %" PRIu64 ": not cut: \"%s\"", i, text);
    } else {
        CHECK(len == (size_t)n && strcmp(text, want) == 0,
              "message %" PRIu64 ": \"%s\", expected \"%s\"", i, text, want);
    }
    return i;
}

/* Reads the log in dir and checks the text of every message; returns how many there are.
 * Other records are skipped. */
static inline uint64_t mk_check_log(const char *dir)
{
    rtlog_reader *r = NULL;
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    uint64_t messages = 0;
    char text[1024];
    for (;;) {
        rtlog_status st = rtlog_reader_next(r, &rec);
        if (st == RTLOG_END)
            break;
        CHECK_STATUS(st, RTLOG_OK);
        if (rec.kind != RTLOG_FRAME_MESSAGE)
            continue;
        size_t len = 0;
        CHECK_STATUS(rtlog_reader_format(r, &rec, 0, text, sizeof text, &len), RTLOG_OK);
        uint64_t i = mk_check_text(text, len);
        unsigned want_level = i % MK_KINDS == 0 || i % MK_KINDS == 4 ? RTLOG_LEVEL_INFO
                              : i % MK_KINDS == 2 ? RTLOG_LEVEL_ERROR
                                                  : RTLOG_LEVEL_WARN;
        CHECK(rec.level == want_level, "message %" PRIu64 ": level %u", i, (unsigned)rec.level);
        CHECK(rec.stream == (i % MK_KINDS == 2 ? RTLOG_STREAM_CRITICAL : RTLOG_STREAM_NORMAL),
              "message %" PRIu64 ": stream %u", i, (unsigned)rec.stream);
        messages++;
    }
    rtlog_reader_close(r);
    return messages;
}

#endif /* RTLOG_MESSAGES_KIT_H */
