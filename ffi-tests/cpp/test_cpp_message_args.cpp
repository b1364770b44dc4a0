// test_cpp_message_args.cpp - std::string_view and std::string as %s arguments of the RTLOG_*
// macros (rtlog.hpp's arg_traits), temporaries included: a std::string made in the call and a
// view of it live until the end of the full expression, and the macro copies their bytes
// before then. A view that is not NUL-terminated is copied by its length; an empty one, a view
// longer than the slot (cut and marked) and a std::string holding a NUL byte read back as
// printf would print them (%s stops at nothing: the bytes are the view's).
//
// Usage: test_cpp_message_args [base-scratch-dir]
#include "cpp_test_util.hpp"

#include <cinttypes>
#include <string>
#include <string_view>

namespace {

// Made in the call: a heap string (longer than libstdc++'s 15-byte in-place buffer) that dies
// at the end of the full expression.
std::string heap_string(int k)
{
    return std::string(40, static_cast<char>('a' + k)) + "-end";
}

} // namespace

int main(int argc, char **argv)
{
    tu_init(argc, argv);
    char *dir = tu_fresh_dir("cpp_message_args");
    rtlog::Config cfg(dir);
    cfg.max_record_size(256).durability(rtlog::Durability::none);
    rtlog::Result<rtlog::Logger> created = rtlog::Logger::create(cfg);
    CHECK_OK(created.status());
    rtlog::Logger lg = std::move(*created);
    rtlog::Result<rtlog::Producer> made = lg.try_create_producer("args");
    CHECK_OK(made.status());
    rtlog::Producer p = std::move(*made);
    CHECK_OK(lg.try_start());

    const char not_terminated[] = {'v', 'i', 'e', 'w', 'X', 'X'};
    const std::string with_nul("a\0b", 3);
    const std::string long_string(400, 'z');
    for (int k = 0; k < 3; k++) {
        CHECK(RTLOG_INFO(p.get(), "temp=%s view=%s k=%d", heap_string(k),
                         std::string_view(heap_string(k + 3)).substr(0, 6), k) == RTLOG_OK,
              "publish %d", k);
    }
    CHECK(RTLOG_WARN(p.get(), "part=%s empty=[%s] nul=%s", std::string_view(not_terminated, 4),
                     std::string_view(), with_nul) == RTLOG_OK,
          "publish views");
    CHECK(RTLOG_WARN(p.get(), "long=%s", std::string_view(long_string)) == RTLOG_OK, "publish long");
    CHECK_OK(lg.try_shutdown());

    const std::string want[] = {
        "temp=" + heap_string(0) + " view=dddddd k=0",
        "temp=" + heap_string(1) + " view=eeeeee k=1",
        "temp=" + heap_string(2) + " view=ffffff k=2",
        std::string("part=view empty=[] nul=a\0b", 26),
    };
    rtlog_reader *r = nullptr;
    CHECK_STATUS(rtlog_reader_open(dir, &r), RTLOG_OK);
    rtlog_record rec;
    rtlog_record_init(&rec, sizeof rec);
    char text[1024];
    std::size_t n = 0;
    for (;; n++) {
        rtlog_status st = rtlog_reader_next(r, &rec);
        if (st == RTLOG_END)
            break;
        CHECK_STATUS(st, RTLOG_OK);
        std::size_t len = 0;
        CHECK_STATUS(rtlog_reader_format(r, &rec, 0, text, sizeof text, &len), RTLOG_OK);
        std::string_view got(text, len);
        if (n < 4) {
            CHECK(got == want[n], "message %zu: \"%.*s\", expected \"%s\"", n, static_cast<int>(len), text,
                  want[n].c_str());
        } else {
            // Cut to fit the 256-byte slot, then the cut mark.
            CHECK(got.substr(0, 5) == "long=" && got.size() > 100 && got.size() < 5 + 400 &&
                      got.substr(got.size() - 3) == "\xe2\x80\xa6" &&
                      got.substr(5, got.size() - 8).find_first_not_of('z') == std::string_view::npos,
                  "the long view: \"%s\"", text);
        }
    }
    rtlog_reader_close(r);
    CHECK(n == 5, "%zu messages read back, 5 published", n);
    std::printf("test_cpp_message_args: 5 messages with std::string / std::string_view arguments "
                "(temporaries, unterminated, empty, with a NUL, cut) read back as printf prints them\n");
    tu_cleanup();
    return 0;
}
