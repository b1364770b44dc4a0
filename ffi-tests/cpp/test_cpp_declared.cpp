// test_cpp_declared.cpp - the types declared with RTLOG_DECLARE_TYPE are registered by every
// Logger that is created (Logger::create), so that forgetting declare_type cannot leave a
// published type without its layout (issue 19, item 7): a declaration seen twice (as from two
// shared libraries) is registered once, two declarations of one id make create fail with a
// text that names them, a type larger than max_record_size is skipped, a registration taken
// out (an unloaded library) is no longer registered, and Config::auto_declare_types(false)
// turns it off. test_cpp_typed checks the records of a logger that never calls declare_type.
//
// The other declarations are made here at run time with rtlog::detail::TypeRegistration, the
// object RTLOG_DECLARE_TYPE defines, so that this program's own declarations stay valid.
//
// Usage: test_cpp_declared [base-scratch-dir]
#include "cpp_test_util.hpp"

#include <string>

struct First {
    std::uint32_t a;
};
RTLOG_DECLARE_TYPE(First, 1, "first", a);

static bool create_ok(rtlog::Config cfg)
{
    auto made = rtlog::Logger::create(cfg);
    CHECK(made.ok(), "create: %s (%s)", rtlog::to_string(made.status()), rtlog::last_error());
    return made.ok();
}

int main(int argc, char **argv)
{
    tu_init(argc, argv);

    {
        auto made = rtlog::Logger::create(rtlog::Config(tu_fresh_dir("declared")));
        CHECK(made.ok(), "create: %s", rtlog::last_error());
        CHECK(made->type_size(1) == sizeof(First), "First registered by create: %u", made->type_size(1));
        CHECK_OK(made->try_declare_type<First>()); // idempotent
        CHECK(made->type_size(1) == sizeof(First), "still registered");
    }
    {
        // The same declaration a second time, as a shared library's copy would be: registered once.
        rtlog::detail::TypeRegistration copy(1, "first", rtlog::record_type<First>::layout, 4);
        create_ok(rtlog::Config(tu_fresh_dir("copy")));
    }
    {
        // Another type with the same id: create fails and says which.
        rtlog::detail::TypeRegistration other(1, "other", "u16 b; u16 c", 4);
        auto made = rtlog::Logger::create(rtlog::Config(tu_fresh_dir("clash")));
        CHECK(!made.ok() && made.status() == rtlog::Status::config, "create with two types of id 1: %s",
              rtlog::to_string(made.status()));
        const std::string why = rtlog::last_error();
        CHECK(why.find("registering the types declared with RTLOG_DECLARE_TYPE") != std::string::npos &&
                  why.find("type id 1 is already registered (as \"first\")") != std::string::npos,
              "%s", why.c_str());
        // Turned off, the logger holds only what it declares itself.
        rtlog::Config off(tu_fresh_dir("off"));
        off.auto_declare_types(false);
        auto alone = rtlog::Logger::create(off);
        CHECK(alone.ok(), "create without auto_declare_types: %s", rtlog::last_error());
        CHECK(alone->type_size(1) == 0, "nothing registered");
        CHECK_OK(alone->try_declare_type<First>());
        CHECK(alone->type_size(1) == sizeof(First), "registered by declare_type");
    }
    // `other` is gone (its destructor took it out of the list): create works again.
    create_ok(rtlog::Config(tu_fresh_dir("after")));
    {
        // Larger than max_record_size (256 by default): skipped, since it cannot be published.
        rtlog::detail::TypeRegistration big(9, "big", "u8[300] v", 300);
        auto made = rtlog::Logger::create(rtlog::Config(tu_fresh_dir("big")));
        CHECK(made.ok(), "create: %s", rtlog::last_error());
        CHECK(made->type_size(9) == 0 && made->type_size(1) == sizeof(First), "big skipped, first registered");
    }
    // A type registered after the logger was created is not registered by it.
    {
        auto made = rtlog::Logger::create(rtlog::Config(tu_fresh_dir("later")));
        CHECK(made.ok(), "create: %s", rtlog::last_error());
        rtlog::detail::TypeRegistration later(3, "later", "u32 x", 4);
        CHECK(made->type_size(3) == 0, "a later declaration is not in an earlier logger");
    }

    tu_cleanup();
    std::printf("test_cpp_declared ok\n");
    return 0;
}
