
#ifndef RTLOG_MESSAGES_
#define RTLOG_MESSAGES_
/*
 * Log messages (hand-written: src/ffi/messages.h, appended to rtlog.h by build.rs).
 *
 *   RTLOG_WARN(p, "joint %u over torque limit %.3f", joint, torque);
 *   rtlog_status s = RTLOG_LOGF(p, RTLOG_LEVEL_ERROR, "bus %s lost", name);
 *
 * RTLOG_LOGF(producer, level, fmt, ...) and RTLOG_TRACE / _DEBUG / _INFO / _WARN / _ERROR /
 * _FATAL(producer, fmt, ...) are expressions whose value is the rtlog_status of the publish
 * (rtlog_publish_message_words for at most four arguments and no string,
 * rtlog_publish_message_packed for more, rtlog_publish_message for a message with a string).
 * `level` and `fmt` must be compile-time constants (a string literal for fmt): each call site
 * builds a static rtlog_callsite (format, file, line, function, level, argument types) at
 * compile time; the call copies a reference to it and the arguments into the producer's ring
 * (up to four, without strings, in registers; more are packed at compile-time offsets by the
 * inline code, and the library copies them once). Nothing is formatted on the calling thread:
 * whoever reads the log formats the text. RT-safe as rtlog_publish (phase RUN, the producer's
 * thread).
 *
 * Arguments (at most 16): integers of every width, char, bool, float, double, pointers (%p)
 * and C strings (%s; copied up to what fits in max_record_size, a cut string is marked).
 * C++ also takes std::string_view and std::string (include rtlog.hpp) and enums.
 * The format is checked at compile time: in C, as printf's under -Wformat (a wrong type is a
 * warning at the call site); in C++, by a static_assert (an error). Anything else (a struct,
 * long double) does not compile.
 *
 * Messages below the producer's threshold (rtlog_set_level, rtlog_producer_set_level; INFO by
 * default) cost one load and a compare and are counted as filtered. ERROR and FATAL go on
 * the critical stream, the others on the normal stream.
 *
 * Needs GCC or Clang (statement expressions, __VA_ARGS__ comma elision); C11 or C++17.
 */

/** rtlog_arg.length of a NUL-terminated string. */
#define RTLOG_ARG_NUL_TERMINATED UINT64_MAX
/** Most arguments of one message. */
#define RTLOG_MAX_MESSAGE_ARGS 16

#define RTLOG_TRACE(p, ...) RTLOG_LOGF((p), RTLOG_LEVEL_TRACE, __VA_ARGS__)
#define RTLOG_DEBUG(p, ...) RTLOG_LOGF((p), RTLOG_LEVEL_DEBUG, __VA_ARGS__)
#define RTLOG_INFO(p, ...) RTLOG_LOGF((p), RTLOG_LEVEL_INFO, __VA_ARGS__)
#define RTLOG_WARN(p, ...) RTLOG_LOGF((p), RTLOG_LEVEL_WARN, __VA_ARGS__)
#define RTLOG_ERROR(p, ...) RTLOG_LOGF((p), RTLOG_LEVEL_ERROR, __VA_ARGS__)
#define RTLOG_FATAL(p, ...) RTLOG_LOGF((p), RTLOG_LEVEL_FATAL, __VA_ARGS__)

/* The machinery below is not API: names ending in _ may change. */

/* RTLOG_NARG_(...) counts its arguments, 1 to 17. The macros count the format with the
 * arguments, so the list is never empty: in ISO modes (-std=c11, -std=c++17) GCC keeps the
 * comma before an empty __VA_ARGS__, and an empty list would count as one. */
#define RTLOG_NARG_(...)                                                                     \
    RTLOG_NARG_I_(__VA_ARGS__, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define RTLOG_NARG_I_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16,  \
                      _17, n, ...)                                                           \
    n
#define RTLOG_CAT_(a, b) RTLOG_CAT_I_(a, b)
#define RTLOG_CAT_I_(a, b) a##b

/* RTLOG_MAPS_(M, S, Z, fmt, a, b, ...) is M(a) S() M(b) S() ... (the format skipped): S is
 * RTLOG_COMMA_, RTLOG_PLUS_ or RTLOG_SEMI_. With no arguments after the format, it is Z.
 * RTLOG_MAPF_(M, fmt, ...) is the comma-separated list, Z being RTLOG_NO_ARGS_ (C: 0; C++: an
 * object that is an empty rtlog_arg). */
#define RTLOG_COMMA_() ,
#define RTLOG_PLUS_() +
#define RTLOG_SEMI_() ;
#define RTLOG_MAPF_(M, ...) RTLOG_MAPS_(M, RTLOG_COMMA_, RTLOG_NO_ARGS_, __VA_ARGS__)
#define RTLOG_MAPS_(M, S, Z, ...)                                                            \
    RTLOG_CAT_(RTLOG_MAPS_, RTLOG_NARG_(__VA_ARGS__))(M, S, Z, __VA_ARGS__)
#define RTLOG_MAPS_1(M, S, Z, f) Z
#define RTLOG_MAPS_2(M, S, Z, f, ...) RTLOG_MAP_1(M, S, __VA_ARGS__)
#define RTLOG_MAPS_3(M, S, Z, f, ...) RTLOG_MAP_2(M, S, __VA_ARGS__)
#define RTLOG_MAPS_4(M, S, Z, f, ...) RTLOG_MAP_3(M, S, __VA_ARGS__)
#define RTLOG_MAPS_5(M, S, Z, f, ...) RTLOG_MAP_4(M, S, __VA_ARGS__)
#define RTLOG_MAPS_6(M, S, Z, f, ...) RTLOG_MAP_5(M, S, __VA_ARGS__)
#define RTLOG_MAPS_7(M, S, Z, f, ...) RTLOG_MAP_6(M, S, __VA_ARGS__)
#define RTLOG_MAPS_8(M, S, Z, f, ...) RTLOG_MAP_7(M, S, __VA_ARGS__)
#define RTLOG_MAPS_9(M, S, Z, f, ...) RTLOG_MAP_8(M, S, __VA_ARGS__)
#define RTLOG_MAPS_10(M, S, Z, f, ...) RTLOG_MAP_9(M, S, __VA_ARGS__)
#define RTLOG_MAPS_11(M, S, Z, f, ...) RTLOG_MAP_10(M, S, __VA_ARGS__)
#define RTLOG_MAPS_12(M, S, Z, f, ...) RTLOG_MAP_11(M, S, __VA_ARGS__)
#define RTLOG_MAPS_13(M, S, Z, f, ...) RTLOG_MAP_12(M, S, __VA_ARGS__)
#define RTLOG_MAPS_14(M, S, Z, f, ...) RTLOG_MAP_13(M, S, __VA_ARGS__)
#define RTLOG_MAPS_15(M, S, Z, f, ...) RTLOG_MAP_14(M, S, __VA_ARGS__)
#define RTLOG_MAPS_16(M, S, Z, f, ...) RTLOG_MAP_15(M, S, __VA_ARGS__)
#define RTLOG_MAPS_17(M, S, Z, f, ...) RTLOG_MAP_16(M, S, __VA_ARGS__)
#define RTLOG_MAP_1(M, S, a) M(a)
#define RTLOG_MAP_2(M, S, a, ...) M(a) S() RTLOG_MAP_1(M, S, __VA_ARGS__)
#define RTLOG_MAP_3(M, S, a, ...) M(a) S() RTLOG_MAP_2(M, S, __VA_ARGS__)
#define RTLOG_MAP_4(M, S, a, ...) M(a) S() RTLOG_MAP_3(M, S, __VA_ARGS__)
#define RTLOG_MAP_5(M, S, a, ...) M(a) S() RTLOG_MAP_4(M, S, __VA_ARGS__)
#define RTLOG_MAP_6(M, S, a, ...) M(a) S() RTLOG_MAP_5(M, S, __VA_ARGS__)
#define RTLOG_MAP_7(M, S, a, ...) M(a) S() RTLOG_MAP_6(M, S, __VA_ARGS__)
#define RTLOG_MAP_8(M, S, a, ...) M(a) S() RTLOG_MAP_7(M, S, __VA_ARGS__)
#define RTLOG_MAP_9(M, S, a, ...) M(a) S() RTLOG_MAP_8(M, S, __VA_ARGS__)
#define RTLOG_MAP_10(M, S, a, ...) M(a) S() RTLOG_MAP_9(M, S, __VA_ARGS__)
#define RTLOG_MAP_11(M, S, a, ...) M(a) S() RTLOG_MAP_10(M, S, __VA_ARGS__)
#define RTLOG_MAP_12(M, S, a, ...) M(a) S() RTLOG_MAP_11(M, S, __VA_ARGS__)
#define RTLOG_MAP_13(M, S, a, ...) M(a) S() RTLOG_MAP_12(M, S, __VA_ARGS__)
#define RTLOG_MAP_14(M, S, a, ...) M(a) S() RTLOG_MAP_13(M, S, __VA_ARGS__)
#define RTLOG_MAP_15(M, S, a, ...) M(a) S() RTLOG_MAP_14(M, S, __VA_ARGS__)
#define RTLOG_MAP_16(M, S, a, ...) M(a) S() RTLOG_MAP_15(M, S, __VA_ARGS__)

/* Packed values (rtlog_publish_message_packed): a value's bits, stored little-endian in its
 * type's size. */
static inline unsigned char *rtlog_put_(unsigned char *at, uint64_t bits, unsigned size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    bits = __builtin_bswap64(bits);
#endif
    __builtin_memcpy(at, &bits, size);
    return at + size;
}

#ifndef __cplusplus

#define RTLOG_NO_ARGS_ 0

#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L
/* _Generic is C11: before it, using a message macro fails to compile with this name. */
#define RTLOG_LOGF(p, level, fmt, ...) rtlog_message_macros_need_c11_or_later
#else

/* C: _Generic gives each argument's type code (a constant, for the static call site) and its
 * rtlog_arg. The default branch takes pointers; anything else fails to convert. */
static inline rtlog_arg rtlog_arg_i_(int64_t v) {
    rtlog_arg a;
    a.value.i = v;
    a.length = 0;
    return a;
}
static inline rtlog_arg rtlog_arg_u_(uint64_t v) {
    rtlog_arg a;
    a.value.u = v;
    a.length = 0;
    return a;
}
static inline rtlog_arg rtlog_arg_f_(double v) {
    rtlog_arg a;
    a.value.f = v;
    a.length = 0;
    return a;
}
static inline rtlog_arg rtlog_arg_s_(const char *s) {
    rtlog_arg a;
    a.value.p = s;
    a.length = RTLOG_ARG_NUL_TERMINATED;
    return a;
}
static inline rtlog_arg rtlog_arg_p_(const void *p) {
    rtlog_arg a;
    a.value.p = (const char *)p;
    a.length = 0;
    return a;
}
/* A value's bits for the packed path (the low `size` bytes are stored). */
static inline uint64_t rtlog_bits_i_(int64_t v) { return (uint64_t)v; }
static inline uint64_t rtlog_bits_u_(uint64_t v) { return v; }
static inline uint64_t rtlog_bits_f32_(float v) {
    uint32_t b;
    __builtin_memcpy(&b, &v, sizeof b);
    return b;
}
static inline uint64_t rtlog_bits_f64_(double v) {
    uint64_t b;
    __builtin_memcpy(&b, &v, sizeof b);
    return b;
}
static inline uint64_t rtlog_bits_p_(const void *p) { return (uint64_t)(uintptr_t)p; }
/* Never called: the compiler checks the format against the arguments as printf's. */
static inline __attribute__((format(printf, 1, 2))) void rtlog_format_check_(const char *fmt,
                                                                             ...) {
    (void)fmt;
}

#define RTLOG_LONG_TYPE_(s, u) (sizeof(long) == 8 ? (u) : (s))
#define RTLOG_TYPE_(x)                                                                       \
    _Generic((x),                                                                            \
        _Bool: RTLOG_ARG_BOOL,                                                               \
        char: RTLOG_ARG_CHAR,                                                                \
        signed char: RTLOG_ARG_I8,                                                           \
        unsigned char: RTLOG_ARG_U8,                                                         \
        short: RTLOG_ARG_I16,                                                                \
        unsigned short: RTLOG_ARG_U16,                                                       \
        int: RTLOG_ARG_I32,                                                                  \
        unsigned int: RTLOG_ARG_U32,                                                         \
        long: RTLOG_LONG_TYPE_(RTLOG_ARG_I32, RTLOG_ARG_I64),                                \
        unsigned long: RTLOG_LONG_TYPE_(RTLOG_ARG_U32, RTLOG_ARG_U64),                       \
        long long: RTLOG_ARG_I64,                                                            \
        unsigned long long: RTLOG_ARG_U64,                                                   \
        float: RTLOG_ARG_F32,                                                                \
        double: RTLOG_ARG_F64,                                                               \
        char *: RTLOG_ARG_STR,                                                               \
        const char *: RTLOG_ARG_STR,                                                         \
        default: RTLOG_ARG_PTR)
#define RTLOG_VALUE_(x)                                                                      \
    _Generic((x),                                                                            \
        _Bool: rtlog_arg_u_,                                                                 \
        char: rtlog_arg_u_,                                                                  \
        signed char: rtlog_arg_i_,                                                           \
        unsigned char: rtlog_arg_u_,                                                         \
        short: rtlog_arg_i_,                                                                 \
        unsigned short: rtlog_arg_u_,                                                        \
        int: rtlog_arg_i_,                                                                   \
        unsigned int: rtlog_arg_u_,                                                          \
        long: rtlog_arg_i_,                                                                  \
        unsigned long: rtlog_arg_u_,                                                         \
        long long: rtlog_arg_i_,                                                             \
        unsigned long long: rtlog_arg_u_,                                                    \
        float: rtlog_arg_f_,                                                                 \
        double: rtlog_arg_f_,                                                                \
        char *: rtlog_arg_s_,                                                                \
        const char *: rtlog_arg_s_,                                                          \
        default: rtlog_arg_p_)(x)

/* The packed size of an argument (a string's is never used: see RTLOG_LOGF). */
#define RTLOG_SIZE_(x)                                                                       \
    _Generic((x),                                                                            \
        _Bool: 1,                                                                            \
        char: 1,                                                                             \
        signed char: 1,                                                                      \
        unsigned char: 1,                                                                    \
        short: 2,                                                                            \
        unsigned short: 2,                                                                   \
        int: 4,                                                                              \
        unsigned int: 4,                                                                     \
        long: sizeof(long),                                                                  \
        unsigned long: sizeof(long),                                                         \
        float: 4,                                                                            \
        default: 8)
#define RTLOG_BITS_(x)                                                                       \
    _Generic((x),                                                                            \
        _Bool: rtlog_bits_u_,                                                                \
        char: rtlog_bits_u_,                                                                 \
        signed char: rtlog_bits_i_,                                                          \
        unsigned char: rtlog_bits_u_,                                                        \
        short: rtlog_bits_i_,                                                                \
        unsigned short: rtlog_bits_u_,                                                       \
        int: rtlog_bits_i_,                                                                  \
        unsigned int: rtlog_bits_u_,                                                         \
        long: rtlog_bits_i_,                                                                 \
        unsigned long: rtlog_bits_u_,                                                        \
        long long: rtlog_bits_i_,                                                            \
        unsigned long long: rtlog_bits_u_,                                                   \
        float: rtlog_bits_f32_,                                                              \
        double: rtlog_bits_f64_,                                                             \
        default: rtlog_bits_p_)(x)
#define RTLOG_IS_STR_(x) (RTLOG_TYPE_(x) == RTLOG_ARG_STR)
#define RTLOG_PUT_(x) rtlog_at_ = rtlog_put_(rtlog_at_, RTLOG_BITS_(x), RTLOG_SIZE_(x))

/* The words of a message of at most four arguments (rtlog_publish_message_words): the
 * arguments' bits, then zeros for the words it does not use. */
#define RTLOG_WORDS_MAX_ 4
#define RTLOG_FIRST4_(...) RTLOG_FIRST4_I_(__VA_ARGS__)
#define RTLOG_FIRST4_I_(a, b, c, d, ...) a, b, c, d
#define RTLOG_WORDS_(fmt, ...) RTLOG_FIRST4_(RTLOG_MAPF_(RTLOG_BITS_, fmt, ##__VA_ARGS__), 0, 0, 0, 0)

/* A message of at most four arguments without strings passes their bits in registers
 * (rtlog_publish_message_words); a longer one without strings packs its values here, at
 * compile-time offsets, and the library copies them once (rtlog_publish_message_packed); one
 * with strings passes rtlog_arg descriptors (rtlog_publish_message), and the library bounds
 * each string's copy. The tests are constants: the compiler keeps one branch. */
#define RTLOG_LOGF(p, level, fmt, ...)                                                       \
    __extension__({                                                                          \
        if (0)                                                                               \
            rtlog_format_check_(fmt, ##__VA_ARGS__);                                         \
        static const rtlog_callsite rtlog_site_ = {                                          \
            sizeof(rtlog_callsite), __LINE__, (uint8_t)(level),                              \
            (uint8_t)(RTLOG_NARG_(fmt, ##__VA_ARGS__) - 1),                                  \
            {RTLOG_MAPF_(RTLOG_TYPE_, fmt, ##__VA_ARGS__)},                                  \
            fmt, __FILE__, __func__};                                                        \
        rtlog_status rtlog_status_;                                                          \
        if (RTLOG_MAPS_(RTLOG_IS_STR_, RTLOG_PLUS_, 0, fmt, ##__VA_ARGS__)) {                \
            const rtlog_arg rtlog_args_[] = {RTLOG_MAPF_(RTLOG_VALUE_, fmt, ##__VA_ARGS__)}; \
            rtlog_status_ = rtlog_publish_message((p), &rtlog_site_, rtlog_args_);           \
        } else if (RTLOG_NARG_(fmt, ##__VA_ARGS__) - 1 <= RTLOG_WORDS_MAX_) {                \
            rtlog_status_ = rtlog_publish_message_words((p), &rtlog_site_,                   \
                                                        RTLOG_WORDS_(fmt, ##__VA_ARGS__));   \
        } else {                                                                             \
            unsigned char                                                                    \
                rtlog_values_[RTLOG_MAPS_(RTLOG_SIZE_, RTLOG_PLUS_, 0, fmt, ##__VA_ARGS__) + 1]; \
            unsigned char *rtlog_at_ = rtlog_values_;                                        \
            RTLOG_MAPS_(RTLOG_PUT_, RTLOG_SEMI_, (void)0, fmt, ##__VA_ARGS__);               \
            rtlog_status_ = rtlog_publish_message_packed(                                    \
                (p), &rtlog_site_, rtlog_values_, (uint32_t)(rtlog_at_ - rtlog_values_));   \
        }                                                                                    \
        rtlog_status_;                                                                       \
    })
#endif /* C11 */

#else /* __cplusplus */

#if __cplusplus < 201703L
#define RTLOG_LOGF(p, level, fmt, ...)                                                       \
    static_assert(false, "rtlog's message macros need C++17")
#else
#include <cstddef>
#include <initializer_list>
#include <type_traits>

namespace rtlog_detail {

/* What an argument type is for the log: its rtlog_arg_type and its rtlog_arg. A type without
 * a specialisation is refused at compile time. rtlog.hpp adds std::string_view and
 * std::string. */
template <typename T, typename = void>
struct arg_traits {
    static_assert(sizeof(T) == 0,
                  "rtlog: this argument type cannot be logged (integers, floating point, char, "
                  "bool, pointers, C strings; std::string_view with rtlog.hpp)");
};

constexpr rtlog_arg make_i(long long v) { return rtlog_arg{{static_cast<int64_t>(v)}, 0}; }
inline rtlog_arg make_u(unsigned long long v) {
    rtlog_arg a{};
    a.value.u = v;
    return a;
}
inline rtlog_arg make_f(double v) {
    rtlog_arg a{};
    a.value.f = v;
    return a;
}
inline rtlog_arg make_p(const void *p, uint64_t length) {
    rtlog_arg a{};
    a.value.p = static_cast<const char *>(p);
    a.length = length;
    return a;
}

template <typename T>
struct integer_traits {
    static constexpr uint8_t type =
        std::is_same<T, bool>::value   ? RTLOG_ARG_BOOL
        : std::is_same<T, char>::value ? RTLOG_ARG_CHAR
        : std::is_signed<T>::value
            ? (sizeof(T) == 1 ? RTLOG_ARG_I8
               : sizeof(T) == 2 ? RTLOG_ARG_I16
               : sizeof(T) == 4 ? RTLOG_ARG_I32
                                : RTLOG_ARG_I64)
            : (sizeof(T) == 1 ? RTLOG_ARG_U8
               : sizeof(T) == 2 ? RTLOG_ARG_U16
               : sizeof(T) == 4 ? RTLOG_ARG_U32
                                : RTLOG_ARG_U64);
    static rtlog_arg make(T v) {
        return std::is_signed<T>::value ? make_i(static_cast<long long>(v))
                                        : make_u(static_cast<unsigned long long>(v));
    }
};

template <typename T>
struct arg_traits<T, typename std::enable_if<std::is_integral<T>::value && sizeof(T) <= 8>::type>
    : integer_traits<T> {};
template <typename T>
struct arg_traits<T, typename std::enable_if<std::is_enum<T>::value>::type> {
    using U = typename std::underlying_type<T>::type;
    static constexpr uint8_t type = integer_traits<U>::type;
    static rtlog_arg make(T v) { return integer_traits<U>::make(static_cast<U>(v)); }
};
template <>
struct arg_traits<float> {
    static constexpr uint8_t type = RTLOG_ARG_F32;
    static rtlog_arg make(float v) { return make_f(v); }
};
template <>
struct arg_traits<double> {
    static constexpr uint8_t type = RTLOG_ARG_F64;
    static rtlog_arg make(double v) { return make_f(v); }
};
template <>
struct arg_traits<const char *> {
    static constexpr uint8_t type = RTLOG_ARG_STR;
    static rtlog_arg make(const char *s) { return make_p(s, RTLOG_ARG_NUL_TERMINATED); }
};
template <>
struct arg_traits<char *> : arg_traits<const char *> {};
template <typename T>
struct arg_traits<T *, typename std::enable_if<!std::is_same<typename std::remove_cv<T>::type,
                                                             char>::value>::type> {
    static constexpr uint8_t type = RTLOG_ARG_PTR;
    static rtlog_arg make(const T *p) { return make_p(static_cast<const void *>(p), 0); }
};
template <>
struct arg_traits<std::nullptr_t> {
    static constexpr uint8_t type = RTLOG_ARG_PTR;
    static rtlog_arg make(std::nullptr_t) { return make_p(nullptr, 0); }
};

template <typename T>
using traits_of = arg_traits<typename std::decay<T>::type>;

template <typename T>
inline rtlog_arg to_arg(const T &v) {
    return traits_of<T>::make(v);
}

/* printf's rules for one conversion: whether an argument of type t fits it. Integers narrower
 * than int are promoted to int, as in a variadic call; signedness may differ, as -Wformat
 * allows. */
constexpr bool is_int_like(uint8_t t) {
    return t == RTLOG_ARG_I8 || t == RTLOG_ARG_U8 || t == RTLOG_ARG_I16 || t == RTLOG_ARG_U16 ||
           t == RTLOG_ARG_I32 || t == RTLOG_ARG_U32 || t == RTLOG_ARG_CHAR || t == RTLOG_ARG_BOOL;
}
constexpr bool is_wide(uint8_t t) { return t == RTLOG_ARG_I64 || t == RTLOG_ARG_U64; }
constexpr bool integer_fits(char length, uint8_t t) {
    return length == 0 || length == 'h' || length == 'H' ? is_int_like(t)
           : length == 'l' && sizeof(long) == 4       ? is_int_like(t)
                                                       : is_wide(t);
}
constexpr bool conversion_fits(char conv, char length, uint8_t t) {
    return (conv == 'd' || conv == 'i' || conv == 'u' || conv == 'x' || conv == 'X' ||
            conv == 'o')
               ? integer_fits(length, t)
           : conv == 'c' ? length == 0 && is_int_like(t)
           : conv == 's' ? length == 0 && t == RTLOG_ARG_STR
           : conv == 'p' ? length == 0 && (t == RTLOG_ARG_PTR || t == RTLOG_ARG_STR)
           : (conv == 'f' || conv == 'F' || conv == 'e' || conv == 'E' || conv == 'g' ||
              conv == 'G' || conv == 'a' || conv == 'A')
               ? (length == 0 || length == 'l') && (t == RTLOG_ARG_F32 || t == RTLOG_ARG_F64)
               : false;
}
constexpr bool is_flag(char c) {
    return c == '-' || c == '+' || c == ' ' || c == '#' || c == '0' || c == '\'';
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Whether `fmt` takes exactly the n arguments of types t, as printf would with them. */
constexpr bool format_ok(const char *fmt, const uint8_t *t, unsigned n) {
    unsigned used = 0;
    for (const char *c = fmt; *c; ++c) {
        if (*c != '%') continue;
        ++c;
        if (*c == '%') continue;
        while (is_flag(*c)) ++c;
        if (*c == '*') {
            if (used >= n || !is_int_like(t[used])) return false;
            ++used;
            ++c;
        }
        while (is_digit(*c)) ++c;
        if (*c == '.') {
            ++c;
            if (*c == '*') {
                if (used >= n || !is_int_like(t[used])) return false;
                ++used;
                ++c;
            }
            while (is_digit(*c)) ++c;
        }
        char length = 0;
        if (*c == 'h' && c[1] == 'h') length = 'H', c += 2;
        else if (*c == 'l' && c[1] == 'l') length = 'L', c += 2;
        else if (*c == 'h' || *c == 'l') length = *c++;
        else if (*c == 'j' || *c == 'z' || *c == 't') length = 'L', ++c;
        if (*c == 0 || used >= n || !conversion_fits(*c, length, t[used])) return false;
        ++used;
    }
    return used == n;
}

/* The argument types of one call site, from the arguments' types. */
template <typename... Ts>
struct site_types {
    static constexpr unsigned count = sizeof...(Ts);
    static constexpr uint8_t types[count + 1] = {traits_of<Ts>::type..., 0};
    static constexpr rtlog_callsite make(uint32_t line, int level, const char *fmt,
                                         const char *file, const char *function) {
        return rtlog_callsite{static_cast<uint32_t>(sizeof(rtlog_callsite)),
                              line,
                              static_cast<uint8_t>(level),
                              static_cast<uint8_t>(count),
                              {traits_of<Ts>::type...},
                              fmt,
                              file,
                              function};
    }
};
/* What the macros pass for "no arguments": no type, and an empty rtlog_arg. */
struct no_args {
    operator rtlog_arg() const { return rtlog_arg{}; }
};

template <typename... Ts>
site_types<Ts...> types_of(const Ts &...);
site_types<> types_of(no_args);

/* The arguments, packed in the call's own full expression: the list's array, and any
 * temporary an argument was made from (a std::string built in the call), live until the
 * publish has copied them. */
inline const rtlog_arg *arg_list(std::initializer_list<rtlog_arg> args) { return args.begin(); }

/* The packed path (rtlog_publish_message_packed): a value's size and bits by its type code. */
constexpr unsigned value_size(uint8_t t) {
    return t == RTLOG_ARG_STR ? 0
           : (t == RTLOG_ARG_I8 || t == RTLOG_ARG_U8 || t == RTLOG_ARG_CHAR || t == RTLOG_ARG_BOOL)
               ? 1
           : (t == RTLOG_ARG_I16 || t == RTLOG_ARG_U16)                      ? 2
           : (t == RTLOG_ARG_I32 || t == RTLOG_ARG_U32 || t == RTLOG_ARG_F32) ? 4
                                                                              : 8;
}
template <typename T>
inline uint64_t value_bits(const T &v) {
    constexpr uint8_t t = traits_of<T>::type;
    const rtlog_arg a = to_arg(v);
    uint64_t bits = 0;
    if constexpr (t == RTLOG_ARG_F32) {
        const float f = static_cast<float>(a.value.f);
        uint32_t b;
        __builtin_memcpy(&b, &f, sizeof b);
        bits = b;
    } else if constexpr (t == RTLOG_ARG_F64) {
        __builtin_memcpy(&bits, &a.value.f, sizeof bits);
    } else if constexpr (t == RTLOG_ARG_PTR) {
        bits = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(a.value.p));
    } else if constexpr (t == RTLOG_ARG_I8 || t == RTLOG_ARG_I16 || t == RTLOG_ARG_I32 ||
                         t == RTLOG_ARG_I64) {
        bits = static_cast<uint64_t>(a.value.i);
    } else {
        bits = a.value.u;
    }
    return bits;
}
template <typename T>
inline unsigned char *put(unsigned char *at, const T &v) {
    return rtlog_put_(at, value_bits(v), value_size(traits_of<T>::type));
}

/* One message: its words passed in registers when it has at most four arguments and no
 * string; packed by the template code when it has more and no string (their types and
 * sizes are compile-time facts, so the values are stored at fixed offsets and the library
 * copies them once), as rtlog_arg descriptors otherwise (the library bounds each string's
 * copy). The arguments are references into the macro's full expression: a temporary (a
 * std::string built in the call) lives until the publish has copied it. */
template <typename... Ts>
__attribute__((always_inline)) inline rtlog_status publish(rtlog_producer *p,
                                                           const rtlog_callsite *site,
                                                           const Ts &...args) {
    if constexpr ((false || ... || (traits_of<Ts>::type == RTLOG_ARG_STR))) {
        return rtlog_publish_message(p, site, arg_list({to_arg(args)...}));
    } else if constexpr (sizeof...(Ts) <= 4) {
        const uint64_t w[4] = {value_bits(args)...};
        return rtlog_publish_message_words(p, site, w[0], w[1], w[2], w[3]);
    } else {
        unsigned char values[(0u + ... + value_size(traits_of<Ts>::type)) + 1];
        unsigned char *at = values;
        ((at = put(at, args)), ...);
        return rtlog_publish_message_packed(p, site, values, static_cast<uint32_t>(at - values));
    }
}
__attribute__((always_inline)) inline rtlog_status publish(rtlog_producer *p,
                                                           const rtlog_callsite *site, no_args) {
    return rtlog_publish_message_words(p, site, 0, 0, 0, 0);
}


} /* namespace rtlog_detail */

#define RTLOG_NO_ARGS_ rtlog_detail::no_args()
#define RTLOG_SAME_(x) x
#define RTLOG_LOGF(p, level, fmt, ...)                                                       \
    __extension__({                                                                          \
        using rtlog_types_ = decltype(rtlog_detail::types_of(RTLOG_MAPF_(RTLOG_SAME_, fmt, ##__VA_ARGS__))); \
        static_assert(rtlog_types_::count <= RTLOG_MAX_MESSAGE_ARGS,                         \
                      "rtlog: at most 16 arguments per message");                            \
        static_assert(rtlog_detail::format_ok(fmt, rtlog_types_::types, rtlog_types_::count), \
                      "rtlog: the format does not match the arguments' types or count");     \
        static constexpr rtlog_callsite rtlog_site_ =                                        \
            rtlog_types_::make(__LINE__, (level), fmt, __FILE__, __func__);                  \
        rtlog_detail::publish((p), &rtlog_site_, RTLOG_MAPF_(RTLOG_SAME_, fmt, ##__VA_ARGS__)); \
    })
#endif /* C++17 */
#endif /* __cplusplus */
#endif /* RTLOG_MESSAGES_ */
