/*
 * rtlog.hpp: the C++ binding of rtlog. Header-only, C++17; std::span overloads in C++20.
 *
 * A thin layer over rtlog.h: every method is an inline call of one C function, so the RT path
 * costs what the C call costs. The contract of each method is that of the C function it names
 * (phase, thread, statuses: see rtlog.h and docs/API.md).
 *
 *   struct Joint { std::uint32_t axis; double position; };
 *   RTLOG_DECLARE_TYPE(Joint, 7, "joint", axis, position); // layout "u32 axis; f64 position",
 *                                                          // from the members, checked here
 *
 *   rtlog::Config cfg("/var/log/robot");
 *   cfg.max_producers(4).durability(rtlog::Durability::fsync_batch);
 *   rtlog::Logger lg(cfg);                          // throws rtlog::Error on failure; registers
 *                                                   // Joint: `rtlog dump` decodes its records
 *   rtlog::Producer arm = lg.create_producer("arm");
 *   lg.start();                                     // INIT -> RUN
 *   arm.publish(rtlog::Stream::normal, joint);      // RT: noexcept, returns rtlog::Status
 *
 * Two kinds of methods:
 *  - RT methods (Producer::publish, Producer::id, Producer::durable_count, Producer::stats,
 *    Logger::tick, Logger::state, to_string(Status)) are noexcept, never allocate and never
 *    throw: they return an rtlog::Status (or a value).
 *  - Non-RT methods come twice. `try_xxx` is noexcept and returns an rtlog::Status, or an
 *    rtlog::Result<T> for the factories (Logger::create, Logger::try_create_producer,
 *    Reader::open); after a failure, rtlog::last_error() describes it, as in C. `xxx` (and the
 *    constructors Logger(const Config&), Reader(dir)) throws rtlog::Error instead, which carries
 *    the status and the text of rtlog_last_error().
 *
 * No-exceptions builds: when the compiler has exceptions off (-fno-exceptions: __cpp_exceptions
 * is not defined) or RTLOG_NO_EXCEPTIONS is defined before this header, RTLOG_HPP_EXCEPTIONS
 * is 0 and the throwing forms and rtlog::Error are not declared at all, so using one is a
 * compile error rather than a hidden abort; use the try_ forms. The header needs no RTTI.
 *
 * Out of memory in a non-RT method ends the process (std::terminate, or abort without
 * exceptions), as it does inside librtlog.
 */
#ifndef RTLOG_HPP
#define RTLOG_HPP

#include "rtlog.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif
#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
#include <span>
/** 1 when the std::span overloads are declared (C++20 library). */
#define RTLOG_HPP_HAS_SPAN 1
#else
#define RTLOG_HPP_HAS_SPAN 0
#endif

#if !defined(RTLOG_NO_EXCEPTIONS) && (defined(__cpp_exceptions) || defined(__EXCEPTIONS))
/** 1 when the throwing forms and rtlog::Error are declared. */
#define RTLOG_HPP_EXCEPTIONS 1
#include <stdexcept>
#else
#define RTLOG_HPP_EXCEPTIONS 0
#endif

// ---- message arguments: std::string_view and std::string for %s ------------------------------

/* The RTLOG_* macros of rtlog.h take a type that has an rtlog_detail::arg_traits; these add
 * the standard strings for %s. The bytes are copied at the call (up to what fits in the slot,
 * cut and marked beyond), so the view or string only has to live until the macro returns: a
 * temporary is fine. No allocation: the string is read where it is. */
template <>
struct rtlog_detail::arg_traits<std::string_view> {
    static constexpr uint8_t type = RTLOG_ARG_STR;
    /* An empty view may have no data (std::string_view() has nullptr): it prints as "", not
     * as a NULL char * would, "(null)". */
    static rtlog_arg make(std::string_view s) { return make_p(s.data() ? s.data() : "", s.size()); }
};
template <>
struct rtlog_detail::arg_traits<std::string> : rtlog_detail::arg_traits<std::string_view> {};

namespace rtlog {

// ---- enums: the C values, scoped ---------------------------------------------------------

/** Result of an rtlog call (rtlog_status). */
enum class Status : int {
    ok = RTLOG_OK,
    end = RTLOG_END,
    invalid_argument = RTLOG_ERR_INVALID_ARGUMENT,
    invalid_state = RTLOG_ERR_INVALID_STATE,
    full = RTLOG_ERR_FULL,
    too_large = RTLOG_ERR_TOO_LARGE,
    config = RTLOG_ERR_CONFIG,
    io = RTLOG_ERR_IO,
    corrupt = RTLOG_ERR_CORRUPT,
    timeout = RTLOG_ERR_TIMEOUT,
    internal = RTLOG_ERR_INTERNAL,
};

/** Health of a logger (rtlog_state). */
enum class State : int {
    init = RTLOG_STATE_INIT,
    normal = RTLOG_STATE_NORMAL,
    degraded = RTLOG_STATE_DEGRADED,
    critical = RTLOG_STATE_CRITICAL,
    safe = RTLOG_STATE_SAFE,
    stopped = RTLOG_STATE_STOPPED,
};

/** The two streams of every producer (rtlog_stream). */
enum class Stream : int {
    critical = RTLOG_STREAM_CRITICAL,
    normal = RTLOG_STREAM_NORMAL,
};

/** When the writer makes records durable (rtlog_durability). */
enum class Durability : int {
    none = RTLOG_DURABILITY_NONE,
    flush = RTLOG_DURABILITY_FLUSH,
    fsync = RTLOG_DURABILITY_FSYNC,
    fsync_batch = RTLOG_DURABILITY_FSYNC_BATCH,
};

/** Where a logger's segments go (rtlog_backend). */
enum class Backend : int {
    file = RTLOG_BACKEND_FILE,
    null = RTLOG_BACKEND_NULL,
    dummy = RTLOG_BACKEND_DUMMY,
};

/** Normal-stream overflow policy (rtlog_overflow). */
enum class Overflow : int {
    drop_newest = RTLOG_OVERFLOW_DROP_NEWEST,
    overwrite_oldest = RTLOG_OVERFLOW_OVERWRITE_OLDEST,
    sample = RTLOG_OVERFLOW_SAMPLE,
    disable = RTLOG_OVERFLOW_DISABLE,
};

/** Kinds of records in a log (rtlog_frame_kind). */
enum class FrameKind : int {
    data = RTLOG_FRAME_DATA,
    epoch_begin = RTLOG_FRAME_EPOCH_BEGIN,
    clean_close = RTLOG_FRAME_CLEAN_CLOSE,
    seal = RTLOG_FRAME_SEAL,
    loss = RTLOG_FRAME_LOSS,
    state = RTLOG_FRAME_STATE,
};

/** Statistics snapshots: the C structs (arrays indexed by stream: 0 critical, 1 normal). */
using Stats = rtlog_stats;
using ProducerStats = rtlog_producer_stats;
using ReaderCounts = rtlog_reader_counts;
/** A record type read from a log (rtlog_type_info) and its fields (rtlog_field): get field i
 *  with rtlog::field(info, i) (rtlog_type_info_field), not info.fields[i], whose stride is the
 *  library's sizeof(rtlog_field). */
using TypeInfo = rtlog_type_info;
using Field = rtlog_field;
/** Field `index` of a record type, or nullptr past the last (rtlog_type_info_field). */
inline const Field *field(const TypeInfo &info, std::uint32_t index) noexcept
{
    return rtlog_type_info_field(&info, index);
}

/** Static text for a status. RT-safe. */
inline const char *to_string(Status s) noexcept
{
    return rtlog_status_str(static_cast<rtlog_status>(s));
}

/** Static name of a state ("NORMAL", ...). RT-safe. */
inline const char *to_string(State s) noexcept
{
    switch (s) {
    case State::init: return "INIT";
    case State::normal: return "NORMAL";
    case State::degraded: return "DEGRADED";
    case State::critical: return "CRITICAL";
    case State::safe: return "SAFE";
    case State::stopped: return "STOPPED";
    }
    return "UNKNOWN";
}

namespace detail {
/** The text of a failure found by the binding itself rather than by librtlog (a struct whose
 *  sizeof differs from its layout's size, in Logger::try_declare_type), and the C library's
 *  last-error pointer when it was written. librtlog allocates a new text for every failure
 *  before freeing the old one, so while rtlog_last_error() still returns that pointer, no C
 *  call failed since and this text is the thread's latest. Non-RT (thread_local). */
struct OwnError {
    char text[320];
    const char *c_text_then;
};
inline OwnError &own_error() noexcept
{
    static thread_local OwnError e{};
    return e;
}
} // namespace detail

/** The calling thread's last non-RT failure ("" when none): rtlog_last_error, or the binding's
 *  own text when the latest failure was a check of the binding (declare_type's size check). */
inline const char *last_error() noexcept
{
    const char *c = rtlog_last_error();
    const detail::OwnError &own = detail::own_error();
    return own.text[0] != '\0' && own.c_text_then == c ? own.text : c;
}

/** The library's version, "MAJOR.MINOR.PATCH" (the header's is RTLOG_VERSION_*). */
inline const char *version() noexcept
{
    return rtlog_version();
}

// ---- errors ------------------------------------------------------------------------------

#if RTLOG_HPP_EXCEPTIONS
/** A failed non-RT call: the status, and what() = "<call>: <status text>: <last error>". */
class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &what_arg) : std::runtime_error(what_arg), status_(status) {}
    /** The status the C call returned. */
    Status status() const noexcept { return status_; }

private:
    Status status_;
};
#endif

namespace detail {

inline Status from_c(rtlog_status s) noexcept
{
    return static_cast<Status>(s);
}

/** Throws rtlog::Error for a failed `call` (text taken now from last_error()); without
 *  exceptions, aborts (reached only from Result::value() on a failed result). */
[[noreturn]] inline void fail(Status s, const char *call)
{
#if RTLOG_HPP_EXCEPTIONS
    std::string msg(call);
    msg += ": ";
    msg += to_string(s);
    const char *text = last_error();
    if (text != nullptr && *text != '\0') {
        msg += ": ";
        msg += text;
    }
    throw Error(s, msg);
#else
    (void)s;
    (void)call;
    std::abort();
#endif
}

#if RTLOG_HPP_EXCEPTIONS
inline void check(Status s, const char *call)
{
    if (s != Status::ok)
        fail(s, call);
}
#endif

template <class T>
struct is_view : std::false_type {};
template <class C, class Tr>
struct is_view<std::basic_string_view<C, Tr>> : std::true_type {};

/** Why a T cannot be a record payload, checked at compile time. */
template <class T>
constexpr void check_payload_type()
{
    static_assert(std::is_trivially_copyable<T>::value,
                  "rtlog: a record payload is copied byte for byte into the ring and read back "
                  "later, maybe by another program, without running any constructor: T must be "
                  "trivially copyable (no std::string, std::vector, virtual functions or "
                  "user-defined copy). Publish a plain struct, or serialise into a byte buffer "
                  "and use publish(stream, type, data, size).");
    static_assert(!std::is_pointer<T>::value && !std::is_member_pointer<T>::value,
                  "rtlog: publishing a pointer stores the address, not what it points to; use "
                  "publish(stream, type, data, size) for the bytes it points to.");
    static_assert(!is_view<T>::value,
                  "rtlog: publishing a string_view stores the view (a pointer), not the "
                  "characters; use publish(stream, type, sv.data(), sv.size()).");
    static_assert(sizeof(T) <= 0xFFFFFFFFu, "rtlog: a record payload is at most 4 GiB");
}

} // namespace detail

/**
 * The record type id of T for Producer::publish(stream, value): T::rtlog_type_id when T has
 * such a static member, or specialize it:
 *   template <> struct rtlog::record_type<Joint> { static constexpr std::uint16_t id = 7; };
 */
template <class T, class = void>
struct record_type {};

template <class T>
struct record_type<T, std::void_t<decltype(T::rtlog_type_id)>> {
    static constexpr std::uint16_t id = T::rtlog_type_id;
};

namespace detail {
template <class T, class = void>
struct has_record_type : std::false_type {};
template <class T>
struct has_record_type<T, std::void_t<decltype(record_type<T>::id)>> : std::true_type {};
} // namespace detail

/**
 * The outcome of a non-throwing factory: a status, and the object when the status is ok.
 * `if (auto r = Logger::create(cfg)) use(*r); else report(r.status(), last_error());`
 */
template <class T>
class [[nodiscard]] Result {
public:
    /** A success holding `value`. */
    Result(T &&value) noexcept : status_(Status::ok), value_(std::move(value)) {}
    /** A failure (`status` must not be Status::ok). */
    Result(Status status) noexcept : status_(status == Status::ok ? Status::internal : status) {}

    bool ok() const noexcept { return status_ == Status::ok; }
    explicit operator bool() const noexcept { return ok(); }
    Status status() const noexcept { return status_; }

    /** The object; on a failed result throws rtlog::Error (without exceptions: aborts). */
    T &value() & noexcept(!RTLOG_HPP_EXCEPTIONS)
    {
        if (!ok())
            detail::fail(status_, "rtlog::Result::value() of a failed result");
        return *value_;
    }
    T &&value() && noexcept(!RTLOG_HPP_EXCEPTIONS)
    {
        if (!ok())
            detail::fail(status_, "rtlog::Result::value() of a failed result");
        return std::move(*value_);
    }
    /** Unchecked access (precondition: ok()). */
    T &operator*() & noexcept { return *value_; }
    T &&operator*() && noexcept { return std::move(*value_); }
    T *operator->() noexcept { return &*value_; }

private:
    Status status_;
    std::optional<T> value_;
};

#if RTLOG_HPP_EXCEPTIONS
namespace detail {
/** The object of a successful result; rtlog::Error naming `call` otherwise. */
template <class T>
T take(Result<T> &&r, const char *call)
{
    if (!r.ok())
        fail(r.status(), call);
    return std::move(*r);
}
} // namespace detail
#endif

/** on_state_change as a C++ callable: (old state, new state, cause). */
using StateCallback = std::function<void(State from, State to, const char *cause)>;

// ---- The types declared with RTLOG_DECLARE_TYPE ------------------------------------------

namespace detail {

/** A record type declared with RTLOG_DECLARE_TYPE, in the list that Logger::create registers.
 *  Its strings are the declaration's constants. */
struct DeclaredType {
    std::uint16_t id;
    const char *name;
    const char *layout;
    std::uint32_t size;
    std::uint64_t seq = 0;          ///< 1, 2, ... in the order added; 0 while not in the list
    DeclaredType *prev = nullptr;   ///< the list's links (under DeclaredTypes::lock)
    DeclaredType *next = nullptr;
};

/** Every declared type of the process (of the main program and of each shared library loaded):
 *  a list of the DeclaredType inside each TypeRegistration, no allocation. Non-RT. */
struct DeclaredTypes {
    std::mutex lock;
    DeclaredType *head = nullptr;
    DeclaredType *tail = nullptr;
    std::uint64_t added = 0; ///< seq of the latest added
};

/** The process's list; constant-initialized, so usable from any static initializer. */
inline DeclaredTypes &declared_types() noexcept
{
    static DeclaredTypes list;
    return list;
}

/** What RTLOG_DECLARE_TYPE defines in rtlog::record_type<T> (an inline static member, so one
 *  per type and program): it adds the type to declared_types() during static initialization,
 *  and takes it out when destroyed (at exit, or when its shared library is unloaded). */
class TypeRegistration {
public:
    TypeRegistration(std::uint16_t id, const char *name, const char *layout, std::uint32_t size) noexcept
        : t_{id, name, layout, size}
    {
        DeclaredTypes &list = declared_types();
        std::lock_guard<std::mutex> hold(list.lock);
        t_.seq = ++list.added;
        t_.prev = list.tail;
        (list.tail != nullptr ? list.tail->next : list.head) = &t_;
        list.tail = &t_;
    }
    ~TypeRegistration()
    {
        DeclaredTypes &list = declared_types();
        std::lock_guard<std::mutex> hold(list.lock);
        (t_.prev != nullptr ? t_.prev->next : list.head) = t_.next;
        (t_.next != nullptr ? t_.next->prev : list.tail) = t_.prev;
    }
    TypeRegistration(const TypeRegistration &) = delete;
    TypeRegistration &operator=(const TypeRegistration &) = delete;

    const DeclaredType &type() const noexcept { return t_; }

private:
    DeclaredType t_;
};

} // namespace detail

// ---- Record layouts, at compile time -----------------------------------------------------

/**
 * A layout string as rtlog_type_register reads it (docs/FORMAT.md "Record layouts"), worked
 * out by a constexpr parser: the size and alignment of the C struct it stands for, or the
 * first problem. rtlog_layout_size is the reference and gives the full message at run time;
 * this copy of its rules exists so that RTLOG_DECLARE_TYPE can check sizeof at compile time.
 * Whitespace is ASCII whitespace here (the library also accepts other Unicode spaces).
 */
struct LayoutInfo {
    std::uint32_t size = 0;      ///< bytes of a record: sizeof of the struct (0 when invalid)
    std::uint32_t align = 0;     ///< its alignment (the largest element size)
    std::uint32_t fields = 0;    ///< number of fields
    const char *error = nullptr; ///< static text of the first problem; nullptr when valid
    constexpr bool ok() const noexcept { return error == nullptr; }
};

namespace detail {

constexpr bool layout_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr bool layout_word_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr std::string_view layout_trim_front(std::string_view s) noexcept
{
    while (!s.empty() && layout_space(s.front()))
        s.remove_prefix(1);
    return s;
}
constexpr std::string_view layout_trim(std::string_view s) noexcept
{
    s = layout_trim_front(s);
    while (!s.empty() && layout_space(s.back()))
        s.remove_suffix(1);
    return s;
}
/** The leading run of identifier characters; `s` keeps the rest. */
constexpr std::string_view layout_word(std::string_view &s) noexcept
{
    std::size_t n = 0;
    while (n < s.size() && layout_word_char(s[n]))
        n++;
    std::string_view w = s.substr(0, n);
    s.remove_prefix(n);
    return w;
}
/** Element size of a layout type (also its alignment); 0 for an unknown type. */
constexpr std::uint32_t layout_scalar_size(std::string_view t) noexcept
{
    if (t == "i8" || t == "u8" || t == "bool" || t == "char")
        return 1;
    if (t == "i16" || t == "u16")
        return 2;
    if (t == "i32" || t == "u32" || t == "f32")
        return 4;
    if (t == "i64" || t == "u64" || t == "f64")
        return 8;
    return 0;
}

/** One field: "TYPE NAME" or "TYPE[N] NAME" (already trimmed, not empty). */
struct LayoutField {
    std::uint32_t elem = 0;  // element size
    std::uint32_t count = 1; // elements
    std::string_view name;
    const char *error = nullptr;
};

constexpr LayoutField layout_field(std::string_view s) noexcept
{
    LayoutField f;
    const std::string_view type = layout_word(s);
    if (type.empty())
        return f.error = "expected a type first", f;
    f.elem = layout_scalar_size(type);
    if (f.elem == 0)
        return f.error = "unknown type", f;
    s = layout_trim_front(s);
    bool array = false;
    if (!s.empty() && s.front() == '[') {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos)
            return f.error = "missing ']' after the array length", f;
        const std::string_view digits = layout_trim(s.substr(1, close - 1));
        if (digits.empty() || digits.size() > 5)
            return f.error = "bad array length", f;
        std::uint32_t n = 0;
        for (char c : digits) {
            if (c < '0' || c > '9')
                return f.error = "bad array length", f;
            n = n * 10 + static_cast<std::uint32_t>(c - '0');
        }
        if (n < 1 || n > 65535)
            return f.error = "bad array length", f;
        f.count = n;
        array = true;
        s = layout_trim_front(s.substr(close + 1));
        if (!s.empty() && s.front() == '[')
            return f.error = "only one array dimension is supported", f;
    }
    if (type == "char" && !array)
        return f.error = "char needs a length: char[N]", f;
    f.name = layout_word(s);
    if (f.name.empty())
        return f.error = "expected a field name after the type", f;
    if (f.name.size() > 64 || (f.name.front() >= '0' && f.name.front() <= '9'))
        return f.error = "bad field name", f;
    s = layout_trim(s);
    if (!s.empty() && s.front() == '[')
        return f.error = "write the array length after the type: \"f64[3] pos\"", f;
    if (!s.empty())
        return f.error = "unexpected text after the field name (fields are separated by ';')", f;
    return f;
}

} // namespace detail

/** The layout's size, alignment and field count, or its first problem. constexpr. */
constexpr LayoutInfo layout_info(std::string_view layout) noexcept
{
    LayoutInfo info;
    if (layout.size() > 4096)
        return info.error = "layout longer than 4096 bytes", info;
    if (detail::layout_trim(layout).empty())
        return info.error = "empty layout", info;
    std::string_view names[256] = {};
    std::uint64_t end = 0;
    std::uint32_t align = 1, n = 0;
    std::string_view rest = layout;
    for (bool last = false; !last;) {
        const std::size_t semi = rest.find(';');
        last = semi == std::string_view::npos;
        const std::string_view part = detail::layout_trim(rest.substr(0, semi));
        rest = last ? std::string_view() : rest.substr(semi + 1);
        if (part.empty()) {
            if (last) // one trailing ';' is fine, as after the last member of a C struct
                break;
            return info.error = "empty field (two ';' in a row?)", info;
        }
        if (n == 256)
            return info.error = "more than 256 fields", info;
        const detail::LayoutField f = detail::layout_field(part);
        if (f.error != nullptr)
            return info.error = f.error, info;
        for (std::uint32_t i = 0; i < n; i++)
            if (names[i] == f.name)
                return info.error = "duplicate field name", info;
        names[n++] = f.name;
        // C placement: each field at the next multiple of its element size.
        end = (end + f.elem - 1) / f.elem * f.elem + std::uint64_t{f.elem} * f.count;
        align = f.elem > align ? f.elem : align;
    }
    const std::uint64_t size = (end + align - 1) / align * align;
    if (size > (std::uint64_t{1} << 20))
        return info.error = "the record would be more than the format's 1 MiB", info;
    info.size = static_cast<std::uint32_t>(size);
    info.align = align;
    info.fields = n;
    return info;
}

/** Bytes of a record of `layout` (sizeof of its struct); 0 when the layout is invalid.
 *  constexpr: `static_assert(sizeof(Axis) == rtlog::layout_size("u32 axis; f64 pos"));` */
constexpr std::uint32_t layout_size(std::string_view layout) noexcept
{
    return layout_info(layout).size;
}

namespace detail {
/** Fails to instantiate when the sizes differ, so that the compiler's message shows both:
 *  "sizes_agree<StructSize, LayoutSize>". */
template <std::size_t StructSize, std::size_t LayoutSize>
struct sizes_agree {
    static_assert(StructSize == LayoutSize,
                  "rtlog: sizeof of the struct differs from the size of its layout (see the "
                  "template arguments: sizes_agree<sizeof, layout size>): the members and the "
                  "layout's fields must match in order and type");
    static constexpr bool value = StructSize == LayoutSize;
};

// ---- RTLOG_DECLARE_TYPE with member names: the layout from the struct itself ------------

/** The layout type of a struct member: "u32", "f64", "bool", "char" (only as char[N]), its
 *  element size and its element count (array: T[N]); `type` is nullptr when no layout type
 *  describes the member. */
struct MemberField {
    const char *type = nullptr;
    std::uint32_t elem = 0;
    std::uint32_t count = 1;
    bool array = false;
};

/** The standard integer types (std::int8_t .. std::uint64_t are some of them); not bool and
 *  not the character types (char, wchar_t, char8_t, char16_t, char32_t). */
template <class U>
struct is_layout_integer
    : std::integral_constant<bool, std::is_same<U, signed char>::value || std::is_same<U, unsigned char>::value ||
                                       std::is_same<U, short>::value || std::is_same<U, unsigned short>::value ||
                                       std::is_same<U, int>::value || std::is_same<U, unsigned>::value ||
                                       std::is_same<U, long>::value || std::is_same<U, unsigned long>::value ||
                                       std::is_same<U, long long>::value ||
                                       std::is_same<U, unsigned long long>::value> {};

/** The layout type of a scalar member type U (cv-unqualified); an enum is its underlying
 *  integer. */
template <class U>
constexpr MemberField scalar_field() noexcept
{
    if constexpr (std::is_enum<U>::value) {
        return scalar_field<std::remove_cv_t<std::underlying_type_t<U>>>();
    } else if constexpr (std::is_same<U, bool>::value) {
        return sizeof(bool) == 1 ? MemberField{"bool", 1, 1, false} : MemberField{};
    } else if constexpr (std::is_same<U, float>::value) {
        return std::numeric_limits<float>::is_iec559 && sizeof(float) == 4 ? MemberField{"f32", 4, 1, false}
                                                                           : MemberField{};
    } else if constexpr (std::is_same<U, double>::value) {
        return std::numeric_limits<double>::is_iec559 && sizeof(double) == 8 ? MemberField{"f64", 8, 1, false}
                                                                             : MemberField{};
    } else if constexpr (is_layout_integer<U>::value) {
        constexpr bool s = std::is_signed<U>::value;
        switch (sizeof(U)) {
        case 1: return MemberField{s ? "i8" : "u8", 1, 1, false};
        case 2: return MemberField{s ? "i16" : "u16", 2, 1, false};
        case 4: return MemberField{s ? "i32" : "u32", 4, 1, false};
        case 8: return MemberField{s ? "i64" : "u64", 8, 1, false};
        default: return MemberField{};
        }
    } else {
        return MemberField{};
    }
}

/** The layout type of a member of declared type M (what decltype(T::m) gives): a scalar, or a
 *  one-dimension array of 1..65535 scalars or chars. */
template <class M>
constexpr MemberField member_field() noexcept
{
    using U = std::remove_cv_t<M>;
    if constexpr (std::is_reference<M>::value || std::rank<U>::value > 1) {
        return MemberField{};
    } else if constexpr (std::is_array<U>::value) {
        using E = std::remove_cv_t<std::remove_extent_t<U>>;
        constexpr std::size_t n = std::extent<U>::value;
        MemberField f = std::is_same<E, char>::value ? MemberField{"char", 1, 1, false} : scalar_field<E>();
        if (n < 1 || n > 65535 || f.type == nullptr)
            return MemberField{};
        f.count = static_cast<std::uint32_t>(n);
        f.array = true;
        return f;
    } else {
        return scalar_field<U>();
    }
}

/** One member named in RTLOG_DECLARE_TYPE: its layout type and its name. */
struct DeclaredField {
    MemberField type;
    const char *name;
};

template <std::size_t N>
constexpr bool all_described(const DeclaredField (&f)[N]) noexcept
{
    for (std::size_t i = 0; i < N; i++)
        if (f[i].type.type == nullptr)
            return false;
    return true;
}

constexpr std::size_t text_length(const char *s) noexcept
{
    std::size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

constexpr std::size_t decimal_digits(std::uint32_t n) noexcept
{
    std::size_t d = 1;
    for (; n >= 10; n /= 10)
        d++;
    return d;
}

/** Length of the canonical layout text of the fields ("u32 axis; f64[3] pos"); 0 when a field
 *  has no layout type. */
template <std::size_t N>
constexpr std::size_t declared_layout_length(const DeclaredField (&f)[N]) noexcept
{
    if (!all_described(f))
        return 0;
    std::size_t len = 0;
    for (std::size_t i = 0; i < N; i++) {
        len += (i > 0 ? 2 : 0) + text_length(f[i].type.type) + 1 + text_length(f[i].name);
        if (f[i].type.array)
            len += 2 + decimal_digits(f[i].type.count);
    }
    return len;
}

/** A layout text built at compile time. */
template <std::size_t Len>
struct LayoutText {
    char text[Len + 1];
};

/** The canonical layout text of the fields, as docs/FORMAT.md writes it: `TYPE NAME` or
 *  `TYPE[N] NAME`, separated by "; ". Len is declared_layout_length(f). */
template <std::size_t Len, std::size_t N>
constexpr LayoutText<Len> declared_layout(const DeclaredField (&f)[N]) noexcept
{
    LayoutText<Len> out{};
    if (Len == 0)
        return out;
    std::size_t at = 0;
    const auto put = [&out, &at](const char *text) {
        while (*text != '\0')
            out.text[at++] = *text++;
    };
    for (std::size_t i = 0; i < N; i++) {
        if (i > 0)
            put("; ");
        put(f[i].type.type);
        if (f[i].type.array) {
            char digits[8] = {};
            std::size_t d = decimal_digits(f[i].type.count);
            for (std::uint32_t n = f[i].type.count; d > 0; n /= 10)
                digits[--d] = static_cast<char>('0' + n % 10);
            put("[");
            put(digits);
            put("]");
        }
        put(" ");
        put(f[i].name);
    }
    return out;
}

constexpr bool same_text(const char *a, const char *b) noexcept
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/** Where the layout rules (docs/FORMAT.md, as a C compiler places the members) put the field
 *  named `name`: the end of the fields before it, rounded up to its element size. */
template <std::size_t N>
constexpr std::size_t layout_offset(const DeclaredField (&f)[N], const char *name) noexcept
{
    std::size_t end = 0;
    for (std::size_t i = 0; i < N; i++) {
        const std::size_t elem = f[i].type.elem > 0 ? f[i].type.elem : 1;
        end = (end + elem - 1) / elem * elem;
        if (same_text(f[i].name, name))
            return end;
        end += elem * f[i].type.count;
    }
    return end;
}

/** Fails to instantiate when a member is not where the layout places it, so that the
 *  compiler's message shows both offsets: "offsets_agree<offsetof, layout offset>". */
template <std::size_t MemberOffset, std::size_t LayoutOffset>
struct offsets_agree {
    static_assert(MemberOffset == LayoutOffset,
                  "rtlog: a member of the struct is not at the offset its layout gives it (see the "
                  "template arguments: offsets_agree<offsetof, layout offset>)");
    static constexpr bool value = MemberOffset == LayoutOffset;
};

} // namespace detail

namespace declared {
/** RTLOG_DECLARE_TYPE's one-argument form specializes it to see its argument in T's scope.
 *  Alone in its namespace, so that a layout named by a constant is looked up as before. */
template <class T, int Stage>
struct probe;
} // namespace declared

namespace detail {

/** What RTLOG_DECLARE_TYPE's one-argument form derives from, to see the argument in T's scope:
 *  T itself when it can be a base class, otherwise (and for a layout string) nothing. */
struct NoMembers {};
template <class T>
using member_scope = std::conditional_t<std::is_class<T>::value && !std::is_final<T>::value, T, NoMembers>;

/** True for the type of a layout string (a string literal, a constexpr char array or pointer):
 *  RTLOG_DECLARE_TYPE's original form. */
template <class A>
struct is_layout_text : std::is_same<std::decay_t<A>, const char *> {};

/** The layout of RTLOG_DECLARE_TYPE's one-argument form: the string given, or the one made
 *  from the member. Only the chosen overload's body is instantiated. */
template <class Probe>
constexpr const char *one_argument_layout(std::true_type, const char *) noexcept
{
    return Probe{}.template rtlog_text_<Probe>();
}
template <class Probe>
constexpr const char *one_argument_layout(std::false_type, const char *made) noexcept
{
    return made;
}

} // namespace detail

/**
 * RTLOG_DECLARE_TYPE(T, id, name, member...): binds struct T to record type `id` with `name`
 * (a string literal) and the layout made from the members named, at namespace scope outside
 * any namespace (it specializes rtlog::record_type<T>; give T its qualified name):
 *
 *   struct Joint { std::uint32_t axis; float torque; double position; };
 *   RTLOG_DECLARE_TYPE(Joint, 1, "joint", axis, torque, position);   // "u32 axis; f32 torque; f64 position"
 *
 * Each member's type comes from decltype and becomes its layout type: std::int8_t ..
 * std::int64_t and std::uint8_t .. std::uint64_t as i8 .. u64 (any integer type by its size and
 * sign; an enum as its underlying type), float f32, double f64, bool, char[N] as char[N] (text),
 * and one-dimension arrays T[N] of these as `T[N] name`. Any other member type (a plain char,
 * a pointer, a nested struct, T[N][M], long double) stops the build with a static_assert
 * naming the member. At compile time the macro also checks that T is trivially copyable and
 * standard-layout, that every member named is at the offset the layout gives it (offsetof
 * against docs/FORMAT.md's placement, so a member left out in the middle, members out of
 * order, #pragma pack or alignas all fail, in offsets_agree<offsetof, layout offset>), and
 * that sizeof(T) is the layout's size (a member left out at the end fails, in sizes_agree).
 * Name all the members, in declaration order, up to 64 (more: use the string form). The one
 * thing it cannot see is a member left out that fits entirely in the tail padding of the
 * others (a u8 after a u32 that follows a u64): the record is still decoded right, without it.
 *
 * RTLOG_DECLARE_TYPE(T, id, name, layout), the original form, takes the layout as a string
 * (docs/FORMAT.md "Record layouts"; a literal, or a constexpr char array or pointer). C++17
 * cannot see a struct's members without their names, so this form checks only that T is
 * trivially copyable, that the layout is valid and that sizeof(T) is its size: a layout of
 * the same size with other types, or with two fields swapped, compiles. Prefer the member
 * form. (The two are told apart by the type of the fourth argument, looked up in T's scope:
 * a struct whose only member is a const char array or a const char pointer cannot use the
 * member form with one member.)
 *
 * Then every rtlog::Logger created registers the type (Logger::create, before anything else;
 * `lg.declare_type<T>()` is then optional, and idempotent), and
 * `producer.publish(stream, value)` takes the id from rtlog::record_type<T>::id.
 */
#define RTLOG_DECLARE_TYPE(T, ID, NAME, ...)                                                       \
    RTLOG_PP_CAT(RTLOG_DECLARE_TYPE_, RTLOG_PP_ONE_OR_MORE(__VA_ARGS__))(T, ID, NAME, __VA_ARGS__)

/** One member named: a layout string (the original form) or T's only member. The argument is
 *  looked up in rtlog::declared::probe<T, 0>, derived from T, where a member's name denotes the
 *  member (its declared type, by decltype) and a layout string is itself; probe<T, 1> gives a
 *  layout string's value (derived from T only for a member: never built then). */
#define RTLOG_DECLARE_TYPE_ONE(T, ID, NAME, A)                                                     \
    template <>                                                                                    \
    struct rtlog::declared::probe<T, 0> : rtlog::detail::member_scope<T> {                         \
        using rtlog_arg_type_ = decltype(A);                                                       \
        static constexpr bool rtlog_text_form_ = rtlog::detail::is_layout_text<rtlog_arg_type_>::value; \
    };                                                                                             \
    template <>                                                                                    \
    struct rtlog::declared::probe<T, 1>                                                            \
        : std::conditional_t<rtlog::declared::probe<T, 0>::rtlog_text_form_, rtlog::detail::NoMembers, \
                             rtlog::detail::member_scope<T>> {                                     \
        template <class P>                                                                         \
        constexpr auto rtlog_text_() const noexcept                                                \
        {                                                                                          \
            return (A);                                                                            \
        }                                                                                          \
    };                                                                                             \
    template <>                                                                                    \
    struct rtlog::record_type<T> {                                                                 \
        static constexpr std::uint16_t id = (ID);                                                  \
        static constexpr const char *name = (NAME);                                                \
        static constexpr bool rtlog_text_form_ = rtlog::declared::probe<T, 0>::rtlog_text_form_;   \
        static_assert(rtlog_text_form_ || std::is_standard_layout<T>::value,                      \
                      "rtlog: RTLOG_DECLARE_TYPE(" #T ", id, name, members) needs a standard-layout " \
                      "struct (a C struct: public members, no virtual functions)");                \
        static_assert(rtlog_text_form_ ||                                                          \
                          rtlog::detail::member_field<rtlog::declared::probe<T, 0>::rtlog_arg_type_>().type != nullptr, \
                      RTLOG_DECLARE_TYPE_UNSUPPORTED_(T, A));                                      \
        static constexpr rtlog::detail::DeclaredField rtlog_fields_[] = {                          \
            {rtlog::detail::member_field<rtlog::declared::probe<T, 0>::rtlog_arg_type_>(), #A}};              \
        static constexpr bool rtlog_checkable_ = rtlog_text_form_ || rtlog::detail::all_described(rtlog_fields_); \
        static constexpr auto rtlog_made_ =                                                        \
            rtlog::detail::declared_layout<rtlog::detail::declared_layout_length(rtlog_fields_)>(rtlog_fields_); \
        static constexpr const char *layout = rtlog::detail::one_argument_layout<rtlog::declared::probe<T, 1>>( \
            std::integral_constant<bool, rtlog_text_form_>{}, rtlog_made_.text);                  \
        /* One member: its offset is 0 when sizeof(T) is its size, checked below. */              \
        RTLOG_DECLARE_TYPE_CHECKS_(T)                                                              \
    }

/** Two or more members named: their types by decltype(T::m), their offsets by offsetof. */
#define RTLOG_DECLARE_TYPE_MORE(T, ID, NAME, ...)                                                  \
    template <>                                                                                    \
    struct rtlog::record_type<T> {                                                                 \
        static constexpr std::uint16_t id = (ID);                                                  \
        static constexpr const char *name = (NAME);                                                \
        static_assert(std::is_standard_layout<T>::value,                                          \
                      "rtlog: RTLOG_DECLARE_TYPE(" #T ", id, name, members) needs a standard-layout " \
                      "struct (a C struct: public members, no virtual functions)");                \
        RTLOG_PP_FOR_EACH(RTLOG_DECLARE_MEMBER_TYPE_, T, __VA_ARGS__)                              \
        static constexpr rtlog::detail::DeclaredField rtlog_fields_[] = {                          \
            RTLOG_PP_FOR_EACH(RTLOG_DECLARE_MEMBER_FIELD_, T, __VA_ARGS__)};                       \
        static constexpr bool rtlog_checkable_ = rtlog::detail::all_described(rtlog_fields_);     \
        static constexpr auto rtlog_made_ =                                                        \
            rtlog::detail::declared_layout<rtlog::detail::declared_layout_length(rtlog_fields_)>(rtlog_fields_); \
        static constexpr const char *layout = rtlog_made_.text;                                    \
        RTLOG_PP_FOR_EACH(RTLOG_DECLARE_MEMBER_OFFSET_, T, __VA_ARGS__)                            \
        RTLOG_DECLARE_TYPE_CHECKS_(T)                                                              \
    }

#define RTLOG_DECLARE_TYPE_UNSUPPORTED_(T, m)                                                      \
    "rtlog: " #T "::" #m " has a type that no layout type describes. Supported: std::int8_t .. "   \
    "std::int64_t, std::uint8_t .. std::uint64_t (any integer type of 1, 2, 4 or 8 bytes; an "    \
    "enum as its underlying type), float, double, bool, char[N] (text), and one-dimension arrays " \
    "T[N] of these, 1 <= N <= 65535. Not a plain char (text is char[N], a number std::int8_t), "  \
    "a pointer, a reference, a nested struct, T[N][M] or long double"
#define RTLOG_DECLARE_MEMBER_TYPE_(T, m)                                                           \
    static_assert(rtlog::detail::member_field<decltype(T::m)>().type != nullptr,                  \
                  RTLOG_DECLARE_TYPE_UNSUPPORTED_(T, m));
#define RTLOG_DECLARE_MEMBER_FIELD_(T, m) {rtlog::detail::member_field<decltype(T::m)>(), #m},
#define RTLOG_DECLARE_MEMBER_OFFSET_(T, m)                                                         \
    static_assert(rtlog::detail::offsets_agree<offsetof(T, m), rtlog_checkable_                   \
                                                                 ? rtlog::detail::layout_offset(rtlog_fields_, #m) \
                                                                 : offsetof(T, m)>::value,        \
                  "rtlog: " #T "::" #m " is not at the offset its layout gives it: name every "   \
                  "member, in declaration order, of a struct without #pragma pack, packed or alignas");

/** 65 to 128 members named: refused with a message (more than 128 fail less clearly). */
#define RTLOG_DECLARE_TYPE_TOO_MANY(T, ID, NAME, ...)                                              \
    static_assert(sizeof(T) == 0, "rtlog: RTLOG_DECLARE_TYPE(" #T ", id, name, members) takes at "  \
                                  "most 64 members; describe a larger struct with a layout string")

/** The checks of both forms, once `layout` is known, and the registration. */
#define RTLOG_DECLARE_TYPE_CHECKS_(T)                                                              \
    static_assert(std::is_trivially_copyable<T>::value,                                            \
                  "rtlog: a record type must be trivially copyable: its bytes are the record");     \
    static_assert(!rtlog_checkable_ || rtlog::layout_info(layout).ok(),                           \
                  "rtlog: the layout of " #T " is not valid; rtlog::layout_info(layout).error "      \
                  "or rtlog_layout_size at run time says why");                                    \
    static_assert(rtlog::detail::sizes_agree<sizeof(T), rtlog_checkable_ && rtlog::layout_info(layout).ok() \
                                                             ? rtlog::layout_size(layout)         \
                                                             : sizeof(T)>::value,                 \
                  "rtlog: sizeof(" #T ") differs from its layout's size");                     \
    /* Every Logger created from now on registers the type (Logger::create). */                \
    static inline rtlog::detail::TypeRegistration rtlog_registration_{id, name, layout,          \
                                                                      static_cast<std::uint32_t>(sizeof(T))};

// Preprocessor helpers: RTLOG_PP_ONE_OR_MORE(args...) is ONE, MORE (2..64) or TOO_MANY (65..128);
// RTLOG_PP_FOR_EACH(M, T, a, b, ...) is M(T, a) M(T, b) ..., for up to 64 arguments.
#define RTLOG_PP_CAT(a, b) RTLOG_PP_CAT_(a, b)
#define RTLOG_PP_CAT_(a, b) a##b
#define RTLOG_PP_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58, _59, _60, _61, _62, _63, _64, _65, _66, _67, _68, _69, _70, _71, _72, _73, _74, _75, _76, _77, _78, _79, _80, _81, _82, _83, _84, _85, _86, _87, _88, _89, _90, _91, _92, _93, _94, _95, _96, _97, _98, _99, _100, _101, _102, _103, _104, _105, _106, _107, _108, _109, _110, _111, _112, _113, _114, _115, _116, _117, _118, _119, _120, _121, _122, _123, _124, _125, _126, _127, _128, X, ...) X
#define RTLOG_PP_ONE_OR_MORE(...) RTLOG_PP_PICK_(__VA_ARGS__, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, TOO_MANY, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, MORE, ONE, -)
#define RTLOG_PP_COUNT(...) RTLOG_PP_PICK_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, -)
#define RTLOG_PP_FOR_EACH(M, T, ...) RTLOG_PP_CAT(RTLOG_PP_EACH_, RTLOG_PP_COUNT(__VA_ARGS__))(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_1(M, T, a) M(T, a)
#define RTLOG_PP_EACH_2(M, T, a, ...) M(T, a) RTLOG_PP_EACH_1(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_3(M, T, a, ...) M(T, a) RTLOG_PP_EACH_2(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_4(M, T, a, ...) M(T, a) RTLOG_PP_EACH_3(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_5(M, T, a, ...) M(T, a) RTLOG_PP_EACH_4(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_6(M, T, a, ...) M(T, a) RTLOG_PP_EACH_5(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_7(M, T, a, ...) M(T, a) RTLOG_PP_EACH_6(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_8(M, T, a, ...) M(T, a) RTLOG_PP_EACH_7(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_9(M, T, a, ...) M(T, a) RTLOG_PP_EACH_8(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_10(M, T, a, ...) M(T, a) RTLOG_PP_EACH_9(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_11(M, T, a, ...) M(T, a) RTLOG_PP_EACH_10(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_12(M, T, a, ...) M(T, a) RTLOG_PP_EACH_11(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_13(M, T, a, ...) M(T, a) RTLOG_PP_EACH_12(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_14(M, T, a, ...) M(T, a) RTLOG_PP_EACH_13(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_15(M, T, a, ...) M(T, a) RTLOG_PP_EACH_14(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_16(M, T, a, ...) M(T, a) RTLOG_PP_EACH_15(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_17(M, T, a, ...) M(T, a) RTLOG_PP_EACH_16(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_18(M, T, a, ...) M(T, a) RTLOG_PP_EACH_17(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_19(M, T, a, ...) M(T, a) RTLOG_PP_EACH_18(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_20(M, T, a, ...) M(T, a) RTLOG_PP_EACH_19(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_21(M, T, a, ...) M(T, a) RTLOG_PP_EACH_20(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_22(M, T, a, ...) M(T, a) RTLOG_PP_EACH_21(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_23(M, T, a, ...) M(T, a) RTLOG_PP_EACH_22(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_24(M, T, a, ...) M(T, a) RTLOG_PP_EACH_23(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_25(M, T, a, ...) M(T, a) RTLOG_PP_EACH_24(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_26(M, T, a, ...) M(T, a) RTLOG_PP_EACH_25(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_27(M, T, a, ...) M(T, a) RTLOG_PP_EACH_26(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_28(M, T, a, ...) M(T, a) RTLOG_PP_EACH_27(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_29(M, T, a, ...) M(T, a) RTLOG_PP_EACH_28(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_30(M, T, a, ...) M(T, a) RTLOG_PP_EACH_29(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_31(M, T, a, ...) M(T, a) RTLOG_PP_EACH_30(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_32(M, T, a, ...) M(T, a) RTLOG_PP_EACH_31(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_33(M, T, a, ...) M(T, a) RTLOG_PP_EACH_32(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_34(M, T, a, ...) M(T, a) RTLOG_PP_EACH_33(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_35(M, T, a, ...) M(T, a) RTLOG_PP_EACH_34(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_36(M, T, a, ...) M(T, a) RTLOG_PP_EACH_35(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_37(M, T, a, ...) M(T, a) RTLOG_PP_EACH_36(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_38(M, T, a, ...) M(T, a) RTLOG_PP_EACH_37(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_39(M, T, a, ...) M(T, a) RTLOG_PP_EACH_38(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_40(M, T, a, ...) M(T, a) RTLOG_PP_EACH_39(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_41(M, T, a, ...) M(T, a) RTLOG_PP_EACH_40(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_42(M, T, a, ...) M(T, a) RTLOG_PP_EACH_41(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_43(M, T, a, ...) M(T, a) RTLOG_PP_EACH_42(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_44(M, T, a, ...) M(T, a) RTLOG_PP_EACH_43(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_45(M, T, a, ...) M(T, a) RTLOG_PP_EACH_44(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_46(M, T, a, ...) M(T, a) RTLOG_PP_EACH_45(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_47(M, T, a, ...) M(T, a) RTLOG_PP_EACH_46(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_48(M, T, a, ...) M(T, a) RTLOG_PP_EACH_47(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_49(M, T, a, ...) M(T, a) RTLOG_PP_EACH_48(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_50(M, T, a, ...) M(T, a) RTLOG_PP_EACH_49(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_51(M, T, a, ...) M(T, a) RTLOG_PP_EACH_50(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_52(M, T, a, ...) M(T, a) RTLOG_PP_EACH_51(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_53(M, T, a, ...) M(T, a) RTLOG_PP_EACH_52(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_54(M, T, a, ...) M(T, a) RTLOG_PP_EACH_53(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_55(M, T, a, ...) M(T, a) RTLOG_PP_EACH_54(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_56(M, T, a, ...) M(T, a) RTLOG_PP_EACH_55(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_57(M, T, a, ...) M(T, a) RTLOG_PP_EACH_56(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_58(M, T, a, ...) M(T, a) RTLOG_PP_EACH_57(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_59(M, T, a, ...) M(T, a) RTLOG_PP_EACH_58(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_60(M, T, a, ...) M(T, a) RTLOG_PP_EACH_59(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_61(M, T, a, ...) M(T, a) RTLOG_PP_EACH_60(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_62(M, T, a, ...) M(T, a) RTLOG_PP_EACH_61(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_63(M, T, a, ...) M(T, a) RTLOG_PP_EACH_62(M, T, __VA_ARGS__)
#define RTLOG_PP_EACH_64(M, T, a, ...) M(T, a) RTLOG_PP_EACH_63(M, T, __VA_ARGS__)

namespace detail {
template <class T, class = void>
struct has_registration : std::false_type {};
template <class T>
struct has_registration<T, std::void_t<decltype(record_type<T>::rtlog_registration_.type())>> : std::true_type {};
template <class T, class = void>
struct has_declared_layout : std::false_type {};
template <class T>
struct has_declared_layout<T, std::void_t<decltype(record_type<T>::layout), decltype(record_type<T>::name)>>
    : std::true_type {};
} // namespace detail


// ---- Config ------------------------------------------------------------------------------

/**
 * A logger configuration: rtlog_config filled by rtlog_config_init, with setters named after
 * its fields (they return *this, so they chain). It owns the directory string and the
 * callback, so it can be copied and kept freely. Non-RT.
 */
class Config {
public:
    /** The defaults of rtlog_config_init; dir still to set. */
    Config() noexcept : c_() { rtlog_config_init(&c_, sizeof c_); }
    explicit Config(std::string dir) : Config() { dir_ = std::move(dir); }

    Config &dir(std::string v) { dir_ = std::move(v); return *this; }
    Config &max_producers(std::uint32_t v) noexcept { c_.max_producers = v; return *this; }
    Config &max_record_size(std::uint32_t v) noexcept { c_.max_record_size = v; return *this; }
    Config &critical_depth(std::uint32_t v) noexcept { c_.critical_depth = v; return *this; }
    Config &normal_depth(std::uint32_t v) noexcept { c_.normal_depth = v; return *this; }
    Config &dispatch_budget(std::uint32_t v) noexcept { c_.dispatch_budget = v; return *this; }
    Config &dispatch_period_us(std::uint32_t v) noexcept { c_.dispatch_period_us = v; return *this; }
    Config &durability(Durability v) noexcept
    {
        c_.durability = static_cast<rtlog_durability>(v);
        return *this;
    }
    Config &batch_records(std::uint32_t v) noexcept { c_.batch_records = v; return *this; }
    Config &batch_interval_us(std::uint32_t v) noexcept { c_.batch_interval_us = v; return *this; }
    Config &segment_bytes(std::uint64_t v) noexcept { c_.segment_bytes = v; return *this; }
    Config &retention_segments(std::uint32_t v) noexcept { c_.retention_segments = v; return *this; }
    Config &retention_bytes(std::uint64_t v) noexcept { c_.retention_bytes = v; return *this; }
    Config &retention_age_s(std::uint64_t v) noexcept { c_.retention_age_s = v; return *this; }
    Config &preallocate(bool v) noexcept { c_.preallocate = v ? 1u : 0u; return *this; }
    Config &backend(Backend v) noexcept
    {
        c_.backend = static_cast<rtlog_backend>(v);
        return *this;
    }
    Config &normal_overflow(Overflow v) noexcept
    {
        c_.normal_overflow = static_cast<rtlog_overflow>(v);
        return *this;
    }
    Config &sample_high_water_pct(std::uint32_t v) noexcept { c_.sample_high_water_pct = v; return *this; }
    Config &sample_one_in(std::uint32_t v) noexcept { c_.sample_one_in = v; return *this; }
    Config &manual(bool v) noexcept { c_.manual = v ? 1u : 0u; return *this; }
    Config &supervisor_period_us(std::uint32_t v) noexcept { c_.supervisor_period_us = v; return *this; }
    Config &degraded_quiet_ms(std::uint32_t v) noexcept { c_.degraded_quiet_ms = v; return *this; }
    Config &degraded_lag_records(std::uint64_t v) noexcept { c_.degraded_lag_records = v; return *this; }
    Config &safe_on_critical(bool v) noexcept { c_.safe_on_critical = v ? 1u : 0u; return *this; }
    Config &direct_io(bool v) noexcept { c_.direct_io = v ? 1u : 0u; return *this; }
    /** A C++ callable for state changes, run on the supervisor's thread (never an RT thread).
     *  It must not throw (an exception escaping it ends the process) and must not shut down or
     *  destroy the logger. The Logger keeps its own copy. Replaces a C callback. */
    Config &on_state_change(StateCallback f)
    {
        callback_ = std::move(f);
        c_.on_state_change = nullptr;
        c_.on_state_change_user = nullptr;
        return *this;
    }
    /** A C callback with its user pointer, as in rtlog_config. Replaces a C++ callable. */
    Config &on_state_change(rtlog_state_callback cb, void *user) noexcept
    {
        callback_ = nullptr;
        c_.on_state_change = cb;
        c_.on_state_change_user = user;
        return *this;
    }

    /** Whether Logger::create registers every type declared with RTLOG_DECLARE_TYPE (the
     *  default, true). false for a logger that must hold only the types given to its own
     *  declare_type calls (a logger whose ids mean other types than the declared ones). */
    Config &auto_declare_types(bool v) noexcept { auto_declare_ = v; return *this; }
    bool auto_declare_types() const noexcept { return auto_declare_; }

    /** The directory given to dir() or the constructor. */
    const std::string &dir() const noexcept { return dir_; }
    /** Every field, for reading them and for fields without a setter. raw().dir is ignored
     *  when dir() is set. */
    rtlog_config &raw() noexcept { return c_; }
    const rtlog_config &raw() const noexcept { return c_; }
    /** The rtlog_config to pass to rtlog_init: valid while *this lives unchanged (its dir points
     *  into *this). Without a C++ callable; Logger::create installs that. */
    rtlog_config c_config() const noexcept
    {
        rtlog_config c = c_;
        if (!dir_.empty())
            c.dir = dir_.c_str();
        return c;
    }
    /** The C++ callable, if one was set. */
    const StateCallback &state_callback() const noexcept { return callback_; }

private:
    rtlog_config c_;
    std::string dir_;
    StateCallback callback_;
    bool auto_declare_ = true;
};

// ---- Producer ----------------------------------------------------------------------------

/**
 * One RT thread's handle (rtlog_producer): publish, and its counters. The logger owns the
 * producer; a Producer is valid until its Logger is destroyed. Move-only, so that it has one
 * owner: use it from one thread at a time. All methods are RT methods.
 */
class Producer {
public:
    /** An empty handle (publish returns Status::invalid_argument). */
    Producer() noexcept = default;
    /** Wraps a C handle (not owned: the logger frees it). */
    explicit Producer(rtlog_producer *p) noexcept : p_(p) {}
    Producer(Producer &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    Producer &operator=(Producer &&o) noexcept
    {
        p_ = std::exchange(o.p_, nullptr);
        return *this;
    }
    Producer(const Producer &) = delete;
    Producer &operator=(const Producer &) = delete;

    /** rtlog_publish: copies `len` bytes at `data` into the stream's ring. RT-safe (wait-free,
     *  no allocation, no lock, no system call). Status::full when the ring is full (counted),
     *  too_large when len > max_record_size, invalid_state outside RUN. Every publish is
     *  [[nodiscard]]: a dropped record is a status, so ignoring it warns (-Wunused-result);
     *  `(void)p.publish(...)` says the drop is accepted. */
    [[nodiscard]] Status publish(Stream stream, std::uint16_t type, const void *data, std::size_t len) noexcept
    {
        if (len > 0xFFFFFFFFu)
            return Status::too_large;
        return detail::from_c(rtlog_publish(p_, static_cast<rtlog_stream>(stream), type, data,
                                            static_cast<std::uint32_t>(len)));
    }

    /** Publishes the bytes of `value` (sizeof(T) bytes; T trivially copyable) as record type
     *  `type`. RT-safe. The bytes are copied as they are: padding bytes are indeterminate, so
     *  prefer structs without padding (explicit fields) or zero the object first. */
    template <class T>
    [[nodiscard]] Status publish(Stream stream, std::uint16_t type, const T &value) noexcept
    {
        detail::check_payload_type<T>();
        return publish(stream, type, static_cast<const void *>(std::addressof(value)), sizeof(T));
    }

    /** Publishes `value` as record type rtlog::record_type<T>::id. RT-safe. */
    template <class T>
    [[nodiscard]] Status publish(Stream stream, const T &value) noexcept
    {
        static_assert(detail::has_record_type<T>::value,
                      "rtlog: publish(stream, value) takes the record type id from "
                      "rtlog::record_type<T>::id: give T a member `static constexpr "
                      "std::uint16_t rtlog_type_id = N;`, specialize rtlog::record_type<T>, "
                      "or call publish(stream, type, value).");
        if constexpr (detail::has_record_type<T>::value)
            return publish(stream, record_type<T>::id, value);
        else
            return Status::invalid_argument; // not reached: the static_assert refused T
    }

#if RTLOG_HPP_HAS_SPAN
    /** Publishes the elements of `items` (a span of bytes or of trivially copyable T) as one
     *  record. RT-safe. */
    template <class E, std::size_t N>
    [[nodiscard]] Status publish(Stream stream, std::uint16_t type, std::span<E, N> items) noexcept
    {
        detail::check_payload_type<std::remove_cv_t<E>>();
        return publish(stream, type, static_cast<const void *>(items.data()), items.size_bytes());
    }
#endif

    /** The producer's id, as in Record::producer() (0xFFFF when empty). RT-safe. */
    std::uint16_t id() const noexcept { return rtlog_producer_id(p_); }
    /** How many records of `stream` are durable (every record with a lower seq is). RT-safe. */
    std::uint64_t durable_count(Stream stream) const noexcept
    {
        return rtlog_producer_durable_count(p_, static_cast<rtlog_stream>(stream));
    }
    /** The producer's counters (zeroed when empty). Lock-free, no allocation. */
    ProducerStats stats() const noexcept
    {
        ProducerStats s{};
        rtlog_producer_stats_init(&s, sizeof s);
        (void)rtlog_producer_get_stats(p_, &s);
        return s;
    }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    /** The C handle, for C functions. */
    rtlog_producer *get() const noexcept { return p_; }

private:
    rtlog_producer *p_ = nullptr;
};

// ---- Logger ------------------------------------------------------------------------------

/**
 * A logger (rtlog_logger), destroyed with it (rtlog_destroy, which shuts down first if
 * needed: a clean shutdown loses nothing). Move-only. INIT: create, create producers, start.
 * RUN: publish (Producer), tick, state. Any time: stats, flush, shutdown.
 */
class Logger {
public:
    /** An empty logger (RT methods return invalid_argument; state() is stopped). */
    Logger() noexcept = default;

    /** rtlog_init, then (unless cfg.auto_declare_types(false)) rtlog_type_register of every
     *  type declared with RTLOG_DECLARE_TYPE in the program, in ascending id, so that no
     *  declared type is published without its layout. Skipped: a type larger than
     *  max_record_size (publishing it fails with too_large), and a second declaration equal to
     *  one registered (the same type seen from two shared libraries). Non-RT, INIT.
     *  Status::config for a bad field (last_error() names it) or when two declared types share
     *  an id (last_error() names both); Status::io when the directory cannot be created, read
     *  or locked. */
    static Result<Logger> create(const Config &cfg) noexcept
    {
        rtlog_config c = cfg.c_config();
        std::unique_ptr<StateCallback> cb;
        if (cfg.state_callback()) {
            cb.reset(new StateCallback(cfg.state_callback()));
            c.on_state_change = &Logger::trampoline;
            c.on_state_change_user = cb.get();
        }
        rtlog_logger *lg = nullptr;
        Status s = detail::from_c(rtlog_init(&c, &lg));
        if (s != Status::ok)
            return s;
        Logger made(lg, std::move(cb));
        if (cfg.auto_declare_types()) {
            s = made.declare_declared_types(c.max_record_size);
            if (s != Status::ok)
                return s;
        }
        return made;
    }

#if RTLOG_HPP_EXCEPTIONS
    /** As create(), throwing rtlog::Error. */
    explicit Logger(const Config &cfg) : Logger(detail::take(create(cfg), "rtlog_init")) {}
#endif

    Logger(Logger &&o) noexcept
        : lg_(std::exchange(o.lg_, nullptr)), cb_(std::move(o.cb_)), declared_seen_(std::exchange(o.declared_seen_, 0))
    {
    }
    Logger &operator=(Logger &&o) noexcept
    {
        if (this != &o) {
            reset();
            lg_ = std::exchange(o.lg_, nullptr);
            cb_ = std::move(o.cb_);
            declared_seen_ = std::exchange(o.declared_seen_, 0);
        }
        return *this;
    }
    Logger(const Logger &) = delete;
    Logger &operator=(const Logger &) = delete;
    ~Logger() { reset(); }

    // -- INIT --------------------------------------------------------------------------------

    /** rtlog_producer_create: a producer named `name` (1..64 bytes of UTF-8, unique). Non-RT,
     *  INIT. invalid_argument (bad or duplicate name), invalid_state (after start), full. */
    Result<Producer> try_create_producer(const char *name) noexcept
    {
        rtlog_producer *p = nullptr;
        Status s = detail::from_c(rtlog_producer_create(lg_, name, &p));
        if (s != Status::ok)
            return s;
        return Producer(p);
    }
    Result<Producer> try_create_producer(const std::string &name) noexcept
    {
        return try_create_producer(name.c_str());
    }
    /** rtlog_start: the INIT -> RUN barrier. Non-RT. invalid_state when already started or
     *  shut down; io when the first segment cannot be created. */
    [[nodiscard]] Status try_start() noexcept { return detail::from_c(rtlog_start(lg_)); }

    // -- RUN, RT-safe -------------------------------------------------------------------------

    /** rtlog_tick: moves at most dispatch_budget records to the writer. RT-safe, any thread. */
    Status tick() noexcept { return detail::from_c(rtlog_tick(lg_, nullptr)); }
    /** rtlog_tick, with the number of records moved. */
    Status tick(std::uint32_t &dispatched) noexcept
    {
        dispatched = 0;
        return detail::from_c(rtlog_tick(lg_, &dispatched));
    }
    /** rtlog_get_state: one atomic load. RT-safe. */
    State state() const noexcept { return static_cast<State>(rtlog_get_state(lg_)); }

    // -- non-RT, any phase ---------------------------------------------------------------------

    /** rtlog_get_stats (zeroed when empty). Non-RT. */
    Stats stats() const noexcept
    {
        Stats s{};
        rtlog_stats_init(&s, sizeof s);
        (void)rtlog_get_stats(lg_, &s);
        return s;
    }
    /** rtlog_flush: waits until everything accepted is durable. Non-RT, RUN. timeout, io,
     *  invalid_state. */
    [[nodiscard]] Status try_flush(std::uint32_t timeout_ms) noexcept
    {
        return detail::from_c(rtlog_flush(lg_, timeout_ms));
    }
    /** rtlog_shutdown: writes everything accepted, clean close, joins threads. Non-RT.
     *  invalid_state when already shut down; io when a write or sync failed during the run. */
    [[nodiscard]] Status try_shutdown() noexcept { return detail::from_c(rtlog_shutdown(lg_)); }
    /** rtlog_enter_safe_mode (reason may be null). Non-RT, RUN. */
    [[nodiscard]] Status try_enter_safe_mode(const char *reason = nullptr) noexcept
    {
        return detail::from_c(rtlog_enter_safe_mode(lg_, reason));
    }
    /** rtlog_clear_fault. Non-RT, RUN. */
    [[nodiscard]] Status try_clear_fault() noexcept { return detail::from_c(rtlog_clear_fault(lg_)); }
    /** rtlog_step_writer (manual mode). Non-RT, RUN. */
    [[nodiscard]] Status try_step_writer(std::uint32_t *taken = nullptr) noexcept
    {
        return detail::from_c(rtlog_step_writer(lg_, taken));
    }
    /** rtlog_step_supervisor (manual mode). Non-RT, RUN. */
    [[nodiscard]] Status try_step_supervisor(std::uint64_t elapsed_us) noexcept
    {
        return detail::from_c(rtlog_step_supervisor(lg_, elapsed_us));
    }

#if RTLOG_HPP_EXCEPTIONS
    // -- the same, throwing rtlog::Error -----------------------------------------------------
    Producer create_producer(const char *name)
    {
        return detail::take(try_create_producer(name), "rtlog_producer_create");
    }
    Producer create_producer(const std::string &name) { return create_producer(name.c_str()); }
    void start() { detail::check(try_start(), "rtlog_start"); }
    void flush(std::uint32_t timeout_ms) { detail::check(try_flush(timeout_ms), "rtlog_flush"); }
    void shutdown() { detail::check(try_shutdown(), "rtlog_shutdown"); }
    void enter_safe_mode(const char *reason = nullptr)
    {
        detail::check(try_enter_safe_mode(reason), "rtlog_enter_safe_mode");
    }
    void clear_fault() { detail::check(try_clear_fault(), "rtlog_clear_fault"); }
    /** Returns the number of records the writer took. */
    std::uint32_t step_writer()
    {
        std::uint32_t taken = 0;
        detail::check(try_step_writer(&taken), "rtlog_step_writer");
        return taken;
    }
    void step_supervisor(std::uint64_t elapsed_us)
    {
        detail::check(try_step_supervisor(elapsed_us), "rtlog_step_supervisor");
    }
#endif

    // -- Typed records (INIT) ----------------------------------------------------------------

    /** Declares record type `id` as `name` with the field layout `layout` (rtlog_type_register),
     *  for struct T: T must be trivially copyable, and sizeof(T) must be the layout's size
     *  (rtlog_layout_size), checked before anything is registered. Non-RT, INIT.
     *  Status::config for a bad name or layout, a duplicate id or name, a type larger than
     *  max_record_size, or a sizeof(T) other than the layout's size; last_error() names the
     *  problem (for a size mismatch, both sizes). invalid_state after start, invalid_argument
     *  for a null name or layout. */
    template <class T>
    [[nodiscard]] Status try_declare_type(std::uint16_t id, const char *name, const char *layout) noexcept
    {
        detail::check_payload_type<T>();
        std::uint32_t size = 0;
        // A bad layout (or null argument): registering fails the same way, with a text that
        // also names the type; a valid one of another size must not be registered at all.
        if (rtlog_layout_size(layout, &size) == RTLOG_OK && size != sizeof(T)) {
            detail::OwnError &e = detail::own_error();
            std::snprintf(e.text, sizeof e.text,
                          "type %u \"%s\": the struct is %zu bytes (sizeof) but its layout \"%.160s\" "
                          "is %u bytes: the members and the fields must match in order and type",
                          static_cast<unsigned>(id), name != nullptr ? name : "", sizeof(T), layout,
                          static_cast<unsigned>(size));
            e.c_text_then = rtlog_last_error();
            return Status::config;
        }
        return detail::from_c(rtlog_type_register(lg_, id, name, layout));
    }
    /** try_declare_type with the id, name and layout of RTLOG_DECLARE_TYPE(T, ...), whose
     *  sizes were already checked at compile time. Logger::create registers such a type
     *  already: then, in INIT, this returns ok and does nothing. */
    template <class T>
    [[nodiscard]] Status try_declare_type() noexcept
    {
        static_assert(detail::has_declared_layout<T>::value,
                      "rtlog: declare_type<T>() takes the id, name and layout from "
                      "RTLOG_DECLARE_TYPE(T, id, name, layout); or call declare_type<T>(id, name, layout)");
        if constexpr (detail::has_registration<T>::value) {
            const detail::DeclaredType &t = record_type<T>::rtlog_registration_.type();
            if (t.seq != 0 && t.seq <= declared_seen_ && state() == State::init && type_size(t.id) == sizeof(T))
                return Status::ok; // registered by create()
        }
        if constexpr (detail::has_declared_layout<T>::value)
            return try_declare_type<T>(record_type<T>::id, record_type<T>::name, record_type<T>::layout);
        else
            return Status::invalid_argument; // not reached: the static_assert refused T
    }
#if RTLOG_HPP_EXCEPTIONS
    /** As try_declare_type, throwing rtlog::Error. */
    template <class T>
    void declare_type(std::uint16_t id, const char *name, const char *layout)
    {
        detail::check(try_declare_type<T>(id, name, layout), "rtlog::Logger::declare_type");
    }
    template <class T>
    void declare_type()
    {
        detail::check(try_declare_type<T>(), "rtlog::Logger::declare_type");
    }
#endif
    /** rtlog_type_size: the record size of registered type `id`, 0 when it is not registered. */
    std::uint32_t type_size(std::uint16_t id) const noexcept
    {
        std::uint32_t size = 0;
        return rtlog_type_size(lg_, id, &size) == RTLOG_OK ? size : 0;
    }

    explicit operator bool() const noexcept { return lg_ != nullptr; }
    /** The C handle, for C functions without a wrapper (rtlog_dummy_* of rtlog_testing.h). */
    rtlog_logger *get() const noexcept { return lg_; }

private:
    Logger(rtlog_logger *lg, std::unique_ptr<StateCallback> cb) noexcept : lg_(lg), cb_(std::move(cb)) {}

    /** create()'s registration of the declared types (see there). On a failure the library's
     *  text is kept, prefixed with what was being done, and the logger is destroyed. */
    Status declare_declared_types(std::uint32_t max_record_size) noexcept
    {
        detail::DeclaredTypes &list = detail::declared_types();
        std::lock_guard<std::mutex> hold(list.lock);
        declared_seen_ = list.added;
        // Ascending id: the smallest id above the last one done, then every type with that id.
        for (long done = -1;;) {
            const detail::DeclaredType *least = nullptr;
            for (const detail::DeclaredType *t = list.head; t != nullptr; t = t->next)
                if (t->id > done && (least == nullptr || t->id < least->id))
                    least = t;
            if (least == nullptr)
                return Status::ok;
            done = least->id;
            const detail::DeclaredType *first = nullptr;
            for (const detail::DeclaredType *t = least; t != nullptr; t = t->next) {
                if (t->id != least->id || t->size > max_record_size)
                    continue;
                if (first != nullptr && first->size == t->size && detail::same_text(first->name, t->name) &&
                    detail::same_text(first->layout, t->layout))
                    continue;
                const Status s = detail::from_c(rtlog_type_register(lg_, t->id, t->name, t->layout));
                if (s != Status::ok) {
                    detail::OwnError &e = detail::own_error();
                    const char *why = rtlog_last_error();
                    std::snprintf(e.text, sizeof e.text,
                                  "registering the types declared with RTLOG_DECLARE_TYPE (Config::"
                                  "auto_declare_types): %s",
                                  why != nullptr ? why : "");
                    reset();
                    e.c_text_then = rtlog_last_error();
                    return s;
                }
                if (first == nullptr)
                    first = t;
            }
        }
    }

    // rtlog_destroy joins the supervisor thread, so cb_ outlives every call of the callback.
    void reset() noexcept
    {
        rtlog_destroy(std::exchange(lg_, nullptr));
        cb_.reset();
    }

    // noexcept: an exception escaping the user's callable would unwind into librtlog.
    static void trampoline(void *user, rtlog_state from, rtlog_state to, const char *cause) noexcept
    {
        (*static_cast<StateCallback *>(user))(static_cast<State>(from), static_cast<State>(to), cause);
    }

    rtlog_logger *lg_ = nullptr;
    std::unique_ptr<StateCallback> cb_;
    std::uint64_t declared_seen_ = 0; // the declared types up to this seq were registered by create()
};

// ---- Reader ------------------------------------------------------------------------------

/** Reader filters (rtlog_reader_options), matching everything until narrowed. Non-RT. */
class ReaderOptions {
public:
    ReaderOptions() noexcept : o_() { rtlog_reader_options_init(&o_, sizeof o_); }

    ReaderOptions &stream(Stream s) noexcept { o_.stream = static_cast<std::int32_t>(s); return *this; }
    ReaderOptions &type(std::uint16_t t) noexcept { o_.type = t; return *this; }
    ReaderOptions &producer(std::string name) { producer_ = std::move(name); return *this; }
    /** LSNs in [from, to]. */
    ReaderOptions &lsn(std::uint64_t from, std::uint64_t to = UINT64_MAX) noexcept
    {
        o_.lsn_from = from;
        o_.lsn_to = to;
        return *this;
    }
    /** Wall-clock time of publish in [from, to], ns since the Unix epoch. */
    ReaderOptions &wall_time_ns(std::uint64_t from, std::uint64_t to = UINT64_MAX) noexcept
    {
        o_.from_wall_ns = from;
        o_.to_wall_ns = to;
        return *this;
    }

    rtlog_reader_options &raw() noexcept { return o_; }
    const rtlog_reader_options &raw() const noexcept { return o_; }
    /** The options for rtlog_reader_open_opts, valid while *this lives unchanged. */
    rtlog_reader_options c_options() const noexcept
    {
        rtlog_reader_options o = o_;
        if (!producer_.empty())
            o.producer = producer_.c_str();
        return o;
    }

private:
    rtlog_reader_options o_;
    std::string producer_;
};

/** One record read back (rtlog_record). Its payload points into the Reader and is valid until
 *  the reader's next call. */
class Record {
public:
    Record() noexcept : r_() { rtlog_record_init(&r_, sizeof r_); }

    std::uint64_t lsn() const noexcept { return r_.lsn; }
    std::uint64_t seq() const noexcept { return r_.seq; }
    std::uint64_t timestamp_ns() const noexcept { return r_.timestamp_ns; }
    std::uint32_t epoch() const noexcept { return r_.epoch; }
    std::uint16_t producer() const noexcept { return r_.producer; }
    std::uint16_t type() const noexcept { return r_.type; }
    Stream stream() const noexcept { return static_cast<Stream>(r_.stream); }
    FrameKind kind() const noexcept { return static_cast<FrameKind>(r_.kind); }
    const std::uint8_t *data() const noexcept { return r_.payload; }
    std::size_t size() const noexcept { return r_.len; }
#if RTLOG_HPP_HAS_SPAN
    std::span<const std::byte> bytes() const noexcept
    {
        return {reinterpret_cast<const std::byte *>(r_.payload), r_.len};
    }
#endif

    /** The payload as a T when it has exactly sizeof(T) bytes; nullopt otherwise. */
    template <class T>
    std::optional<T> as() const noexcept
    {
        detail::check_payload_type<T>();
        static_assert(std::is_default_constructible<T>::value,
                      "rtlog: Record::as<T> builds a T and copies the payload into it");
        if (r_.len != sizeof(T) || r_.payload == nullptr)
            return std::nullopt;
        T v;
        std::memcpy(static_cast<void *>(&v), r_.payload, sizeof(T));
        return v;
    }

    /** The record's fields as text, as rtlog_reader_format writes them: with json false as
     *  `rtlog dump` shows them, `axis_state{axis=2 position=0.125 mode="homing"}`; with json
     *  true as a JSON object, `{"axis":2,"position":0.125,"mode":"homing"}`. Status::ok and
     *  `out` filled; invalid_argument (last_error() says why) for a record that has no type in
     *  its segment, whose length is not its type's size, that is not a data record, or that a
     *  Reader did not return. Valid until the reader's next call, like the payload. Non-RT
     *  (allocates). */
    [[nodiscard]] Status try_format(std::string &out, bool json = false) const noexcept
    {
        char buf[256];
        std::size_t len = 0;
        const std::uint32_t mode = json ? 1u : 0u;
        Status s = detail::from_c(rtlog_reader_format(reader_, &r_, mode, buf, sizeof buf, &len));
        if (s == Status::ok) {
            out.assign(buf, len);
        } else if (s == Status::too_large) {
            out.resize(len + 1);
            s = detail::from_c(rtlog_reader_format(reader_, &r_, mode, &out[0], out.size(), &len));
            out.resize(s == Status::ok ? len : 0);
        }
        return s;
    }
    /** try_format as a value: nullopt when the record cannot be decoded (an untyped record). */
    std::optional<std::string> format(bool json = false) const noexcept
    {
        std::string out;
        if (try_format(out, json) != Status::ok)
            return std::nullopt;
        return out;
    }

    const rtlog_record &raw() const noexcept { return r_; }
    rtlog_record &raw() noexcept { return r_; }

private:
    friend class Reader;
    rtlog_record r_;
    const rtlog_reader *reader_ = nullptr; // the reader that returned it, for format()
};

/**
 * A log reader (rtlog_reader), closed with it. Non-RT; use from one thread at a time.
 * `for (const rtlog::Record &r : reader)` visits the records that match the filters; with
 * exceptions a read error throws rtlog::Error, without them the loop ends and error() says why.
 */
class Reader {
public:
    Reader() noexcept = default;

    /** rtlog_reader_open / rtlog_reader_open_opts. io when dir is missing or unreadable,
     *  invalid_argument for bad options. */
    static Result<Reader> open(const char *dir, const ReaderOptions *opts = nullptr) noexcept
    {
        rtlog_reader *r = nullptr;
        Status s;
        if (opts != nullptr) {
            rtlog_reader_options o = opts->c_options();
            s = detail::from_c(rtlog_reader_open_opts(dir, &o, &r));
        } else {
            s = detail::from_c(rtlog_reader_open(dir, &r));
        }
        if (s != Status::ok)
            return s;
        return Reader(r);
    }
    static Result<Reader> open(const std::string &dir) noexcept { return open(dir.c_str()); }
    static Result<Reader> open(const std::string &dir, const ReaderOptions &opts) noexcept
    {
        return open(dir.c_str(), &opts);
    }

#if RTLOG_HPP_EXCEPTIONS
    /** As open(), throwing rtlog::Error. */
    explicit Reader(const std::string &dir) : Reader(detail::take(open(dir), "rtlog_reader_open")) {}
    Reader(const std::string &dir, const ReaderOptions &opts)
        : Reader(detail::take(open(dir, opts), "rtlog_reader_open_opts"))
    {
    }
#endif

    Reader(Reader &&o) noexcept : r_(std::exchange(o.r_, nullptr)), error_(o.error_) {}
    Reader &operator=(Reader &&o) noexcept
    {
        if (this != &o) {
            rtlog_reader_close(r_);
            r_ = std::exchange(o.r_, nullptr);
            error_ = o.error_;
        }
        return *this;
    }
    Reader(const Reader &) = delete;
    Reader &operator=(const Reader &) = delete;
    ~Reader() { rtlog_reader_close(r_); }

    /** rtlog_reader_next: ok (out filled), end, io, corrupt. */
    [[nodiscard]] Status try_next(Record &out) noexcept
    {
        out.reader_ = r_;
        return detail::from_c(rtlog_reader_next(r_, &out.raw()));
    }
    /** rtlog_reader_next_frame: every kind of record, filters ignored. */
    [[nodiscard]] Status try_next_frame(Record &out) noexcept
    {
        out.reader_ = r_;
        return detail::from_c(rtlog_reader_next_frame(r_, &out.raw()));
    }
    /** rtlog_reader_schema: record type `type` as registered in the segment of the record
     *  returned last (name, canonical layout, size, fields with offsets), or nullptr when that
     *  segment has no such type. Valid until the reader is closed. Non-RT (allocates the first
     *  time a type is looked up). */
    const TypeInfo *schema(std::uint16_t type) const noexcept
    {
        const TypeInfo *info = nullptr;
        return rtlog_reader_schema(r_, type, &info) == RTLOG_OK ? info : nullptr;
    }
#if RTLOG_HPP_EXCEPTIONS
    /** true: `out` holds the next record; false: no more. Throws rtlog::Error. */
    bool next(Record &out) { return more(try_next(out), "rtlog_reader_next"); }
    bool next_frame(Record &out) { return more(try_next_frame(out), "rtlog_reader_next_frame"); }
#endif
    /** rtlog_reader_stats (zeroed when empty). */
    ReaderCounts counts() const noexcept
    {
        ReaderCounts c{};
        rtlog_reader_counts_init(&c, sizeof c);
        (void)rtlog_reader_stats(r_, &c);
        return c;
    }
    /** The error that ended the last range-for loop early (ok if none). */
    Status error() const noexcept { return error_; }

    class iterator;
    struct sentinel {};
    inline iterator begin();
    sentinel end() noexcept { return {}; }

    explicit operator bool() const noexcept { return r_ != nullptr; }
    rtlog_reader *get() const noexcept { return r_; }

private:
    explicit Reader(rtlog_reader *r) noexcept : r_(r) {}
#if RTLOG_HPP_EXCEPTIONS
    static bool more(Status s, const char *call)
    {
        if (s == Status::end)
            return false;
        detail::check(s, call);
        return true;
    }
#endif

    rtlog_reader *r_ = nullptr;
    Status error_ = Status::ok;
};

/** An input iterator over a Reader's matching records. */
class Reader::iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Record;
    using difference_type = std::ptrdiff_t;
    using pointer = const Record *;
    using reference = const Record &;

    iterator() noexcept = default;
    explicit iterator(Reader *r) : r_(r) { advance(); }

    reference operator*() const noexcept { return rec_; }
    pointer operator->() const noexcept { return &rec_; }
    iterator &operator++()
    {
        advance();
        return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator &it, sentinel) noexcept { return it.r_ == nullptr; }
    friend bool operator!=(const iterator &it, sentinel s) noexcept { return !(it == s); }
    friend bool operator==(sentinel s, const iterator &it) noexcept { return it == s; }
    friend bool operator!=(sentinel s, const iterator &it) noexcept { return !(it == s); }

private:
    void advance()
    {
        Status s = r_->try_next(rec_);
        if (s == Status::ok)
            return;
        Reader *r = std::exchange(r_, nullptr);
        if (s != Status::end) {
            r->error_ = s;
#if RTLOG_HPP_EXCEPTIONS
            detail::fail(s, "rtlog_reader_next");
#endif
        }
    }

    Reader *r_ = nullptr;
    Record rec_;
};

inline Reader::iterator Reader::begin()
{
    error_ = Status::ok;
    return iterator(this);
}

} // namespace rtlog

#endif /* RTLOG_HPP */
