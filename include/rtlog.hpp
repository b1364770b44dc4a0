/*
 * rtlog.hpp: the C++ binding of rtlog. Header-only, C++17; std::span overloads in C++20.
 *
 * A thin layer over rtlog.h: every method is an inline call of one C function, so the RT path
 * costs what the C call costs. The contract of each method is that of the C function it names
 * (phase, thread, statuses: see rtlog.h and docs/API.md).
 *
 *   struct Joint { std::uint32_t axis; double position; };
 *   RTLOG_DECLARE_TYPE(Joint, 7, "joint", "u32 axis; f64 position"); // sizeof checked here
 *
 *   rtlog::Config cfg("/var/log/robot");
 *   cfg.max_producers(4).durability(rtlog::Durability::fsync_batch);
 *   rtlog::Logger lg(cfg);                          // throws rtlog::Error on failure
 *   rtlog::Producer arm = lg.create_producer("arm");
 *   lg.declare_type<Joint>();                       // typed record: `rtlog dump` decodes it
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
#include <memory>
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
/** A record type read from a log (rtlog_type_info) and its fields (rtlog_field). */
using TypeInfo = rtlog_type_info;
using Field = rtlog_field;

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
} // namespace detail

/**
 * RTLOG_DECLARE_TYPE(T, id, name, layout): binds struct T to record type `id` with `name` and
 * `layout` (string literals), at namespace scope outside any namespace (it specializes
 * rtlog::record_type<T>; give T its qualified name). It checks at compile time that T is
 * trivially copyable, that the layout is valid and that sizeof(T) is the layout's size. Then
 * `lg.declare_type<T>()` registers it and `producer.publish(stream, value)` uses the id:
 *
 *   struct Axis { std::uint32_t axis; double position; };
 *   RTLOG_DECLARE_TYPE(Axis, 1, "axis", "u32 axis; f64 position");
 */
#define RTLOG_DECLARE_TYPE(T, ID, NAME, LAYOUT)                                                    \
    template <>                                                                                    \
    struct rtlog::record_type<T> {                                                                 \
        static constexpr std::uint16_t id = (ID);                                                  \
        static constexpr const char *name = (NAME);                                                \
        static constexpr const char *layout = (LAYOUT);                                            \
        static_assert(std::is_trivially_copyable<T>::value,                                        \
                      "rtlog: a record type must be trivially copyable: its bytes are the record"); \
        static_assert(rtlog::layout_info(LAYOUT).ok(),                                             \
                      "rtlog: the layout of " #T " is not valid; rtlog::layout_info(layout).error "  \
                      "or rtlog_layout_size at run time says why");                                \
        static_assert(rtlog::detail::sizes_agree<sizeof(T), rtlog::layout_info(LAYOUT).ok()      \
                                                         ? rtlog::layout_size(LAYOUT)           \
                                                         : sizeof(T)>::value,                   \
                      "rtlog: sizeof(" #T ") differs from its layout's size");                     \
    }

namespace detail {
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
    Config() noexcept : c_() { rtlog_config_init(&c_); }
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
     *  too_large when len > max_record_size, invalid_state outside RUN. */
    Status publish(Stream stream, std::uint16_t type, const void *data, std::size_t len) noexcept
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
    Status publish(Stream stream, std::uint16_t type, const T &value) noexcept
    {
        detail::check_payload_type<T>();
        return publish(stream, type, static_cast<const void *>(std::addressof(value)), sizeof(T));
    }

    /** Publishes `value` as record type rtlog::record_type<T>::id. RT-safe. */
    template <class T>
    Status publish(Stream stream, const T &value) noexcept
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
    Status publish(Stream stream, std::uint16_t type, std::span<E, N> items) noexcept
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

    /** rtlog_init. Non-RT, INIT. Status::config for a bad field (last_error() names it),
     *  Status::io when the directory cannot be created, read or locked. */
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
        return Logger(lg, std::move(cb));
    }

#if RTLOG_HPP_EXCEPTIONS
    /** As create(), throwing rtlog::Error. */
    explicit Logger(const Config &cfg) : Logger(detail::take(create(cfg), "rtlog_init")) {}
#endif

    Logger(Logger &&o) noexcept : lg_(std::exchange(o.lg_, nullptr)), cb_(std::move(o.cb_)) {}
    Logger &operator=(Logger &&o) noexcept
    {
        if (this != &o) {
            reset();
            lg_ = std::exchange(o.lg_, nullptr);
            cb_ = std::move(o.cb_);
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
     *  sizes were already checked at compile time. */
    template <class T>
    [[nodiscard]] Status try_declare_type() noexcept
    {
        static_assert(detail::has_declared_layout<T>::value,
                      "rtlog: declare_type<T>() takes the id, name and layout from "
                      "RTLOG_DECLARE_TYPE(T, id, name, layout); or call declare_type<T>(id, name, layout)");
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
};

// ---- Reader ------------------------------------------------------------------------------

/** Reader filters (rtlog_reader_options), matching everything until narrowed. Non-RT. */
class ReaderOptions {
public:
    ReaderOptions() noexcept : o_() { rtlog_reader_options_init(&o_); }

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
    Record() noexcept : r_() {}

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
