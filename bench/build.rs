//! Finds the optional C/C++ peers and compiles their shims (bench/peers/).
//!
//! - spdlog (Debian `libspdlog-dev`, pkg-config `spdlog`) → `cfg(have_spdlog)`
//! - COVESA DLT (Debian `libdlt-dev`, pkg-config `automotive-dlt`) → `cfg(have_dlt)`
//!
//! A peer that is not installed is simply not compiled: the benchmark prints a line saying it
//! was skipped. `RTLOG_BENCH_NO_PEERS=1` skips both even when installed (to check that the
//! crate builds without them).

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(have_spdlog)");
    println!("cargo::rustc-check-cfg=cfg(have_dlt)");
    println!("cargo:rerun-if-env-changed=RTLOG_BENCH_NO_PEERS");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");
    println!("cargo:rerun-if-changed=peers/spdlog_shim.cpp");
    println!("cargo:rerun-if-changed=peers/dlt_shim.c");
    // Re-probe when a peer gets installed or removed (a directory's listing changes). Only
    // existing directories: a missing path would make Cargo rerun this script every build.
    for dir in ["/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/lib/pkgconfig", "/usr/share/pkgconfig"]
    {
        if std::path::Path::new(dir).is_dir() {
            println!("cargo:rerun-if-changed={dir}");
        }
    }
    if env::var_os("RTLOG_BENCH_NO_PEERS").is_some_and(|v| v == "1") {
        println!("cargo:warning=RTLOG_BENCH_NO_PEERS=1: spdlog and DLT peers not compiled");
        return;
    }

    // spdlog: compiled library + external fmt on Debian (pkg-config gives the defines). Each
    // peer is probed without metadata, its shim compiled, then its libraries named: the shim (a
    // static library) must come before them on the link line for `--as-needed` to keep them.
    // A peer that is not installed is not compiled, and skipped at run time with a line
    // saying so.
    if let Ok(lib) = pkg_config::Config::new().cargo_metadata(false).probe("spdlog") {
        let mut b = cc::Build::new();
        b.cpp(true).std("c++17").opt_level(2).file("peers/spdlog_shim.cpp").warnings(false);
        for p in &lib.include_paths {
            b.include(p);
        }
        for (k, v) in &lib.defines {
            b.define(k, v.as_deref());
        }
        b.compile("rtlog_bench_spdlog");
        link(&lib);
        // The shim is C++: link the C++ runtime after it.
        println!("cargo:rustc-link-lib=stdc++");
        println!("cargo:rustc-cfg=have_spdlog");
        println!("cargo:rustc-env=BENCH_SPDLOG_VERSION={}", lib.version);
    }

    if let Ok(lib) = pkg_config::Config::new().cargo_metadata(false).probe("automotive-dlt") {
        let mut b = cc::Build::new();
        b.opt_level(2).file("peers/dlt_shim.c");
        for p in &lib.include_paths {
            b.include(p);
        }
        b.compile("rtlog_bench_dlt");
        link(&lib);
        println!("cargo:rustc-cfg=have_dlt");
        println!("cargo:rustc-env=BENCH_DLT_VERSION={}", lib.version);
    }
}

/// Link lines for a pkg-config library, emitted after the shim that uses it.
fn link(lib: &pkg_config::Library) {
    for p in &lib.link_paths {
        println!("cargo:rustc-link-search=native={}", p.display());
    }
    for l in &lib.libs {
        println!("cargo:rustc-link-lib={l}");
    }
}
