// main.cpp - main.c's program through the C++ binding (rtlog.hpp): log 200 records, shut
// down, read them back. The same checks and output ("consumer ok: 200 records").
//
// Usage: app_cpp [logdir]   (default: a fresh directory from mkdtemp under $TMPDIR or /tmp,
//                            removed when the program succeeds, as main.c does)
#include <rtlog.hpp>

#include <stdlib.h> // mkdtemp

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

constexpr std::uint32_t PER_STREAM = 100;

// The payload is the record's index, so the reader can check it: type 1 on the critical
// stream, type 2 on the normal one.
struct Index {
    std::uint32_t i;
};
struct NormalIndex {
    std::uint32_t i;
};

} // namespace

// Typed records: `rtlog dump` shows them as index{i=0}; the layout ("u32 i") comes from the
// member, and the Logger stores it in the log when it is created.
RTLOG_DECLARE_TYPE(Index, 1, "index", i);
RTLOG_DECLARE_TYPE(NormalIndex, 2, "normal_index", i);

namespace {

void write_log(const std::string &dir)
{
    rtlog::Logger lg(rtlog::Config{dir});
    rtlog::Producer prod = lg.create_producer("consumer");
    lg.start();
    for (std::uint32_t i = 0; i < PER_STREAM; i++) {
        // RT methods return a status instead of throwing; the type id is the declared one.
        rtlog::Status s = prod.publish(rtlog::Stream::critical, Index{i});
        if (s == rtlog::Status::ok)
            s = prod.publish(rtlog::Stream::normal, NormalIndex{i});
        if (s == rtlog::Status::ok)
            s = lg.tick();
        if (s != rtlog::Status::ok)
            throw rtlog::Error(s, std::string("publish/tick: ") + rtlog::to_string(s));
    }
    lg.shutdown(); // every accepted record is on disk
}

bool read_log(const std::string &dir)
{
    rtlog::Reader rd(dir);
    std::uint32_t count[2] = {0, 0}, total = 0;
    for (const rtlog::Record &rec : rd) {
        const int s = static_cast<int>(rec.stream());
        const std::optional<Index> idx = rec.as<Index>();
        total++;
        if (!idx || rec.type() != s + 1 || idx->i != count[s] || rec.seq() != count[s]) {
            std::fprintf(stderr, "consumer: record %u: stream %d type %u len %zu: not record %u\n", total, s,
                         rec.type(), rec.size(), count[s]);
            return false;
        }
        count[s]++;
    }
    if (count[0] != PER_STREAM || count[1] != PER_STREAM) {
        std::fprintf(stderr, "consumer: read %u critical and %u normal records, expected %u each\n", count[0],
                     count[1], PER_STREAM);
        return false;
    }
    std::printf("consumer ok: %u records\n", total);
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    std::string dir;
    const bool temporary = argc < 2;
    if (!temporary) {
        dir = argv[1];
    } else {
        const char *base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rtlog-consumer-XXXXXX";
        if (mkdtemp(&tmpl[0]) == nullptr) {
            std::perror("consumer: mkdtemp");
            return 1;
        }
        dir = tmpl;
    }
    std::printf("rtlog %s (C++), log directory %s%s\n", rtlog::version(), dir.c_str(),
                temporary ? " (temporary)" : "");
    bool ok = false;
    try {
        write_log(dir);
        ok = read_log(dir);
    } catch (const rtlog::Error &e) {
        std::fprintf(stderr, "consumer: %s\n", e.what());
    }
    if (!ok) {
        if (temporary)
            std::fprintf(stderr, "consumer: the log is left in %s\n", dir.c_str());
        return 1;
    }
    std::error_code ec;
    if (temporary && std::filesystem::remove_all(dir, ec) == static_cast<std::uintmax_t>(-1)) {
        std::fprintf(stderr, "consumer: removing %s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    return 0;
}
