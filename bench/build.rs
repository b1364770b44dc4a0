//! Finds the optional C/C++ peers and compiles their shims (bench/peers/).
//!
//! - spdlog (Debian `libspdlog-dev`, pkg-config `spdlog`) → `cfg(have_spdlog)`
//! - COVESA DLT (Debian `libdlt-dev`, pkg-config `automotive-dlt`) → `cfg(have_dlt)`
//! - Quill (header-only, not packaged for Debian: `QUILL_ROOT` names a copy of its source, the
//!   directory holding `include/quill/`) → `cfg(have_quill)`
//!
//! A peer that is not installed is simply not compiled: the benchmark prints a line saying it
//! was skipped. `RTLOG_BENCH_NO_PEERS=1` skips them all even when installed (to check that the
//! crate builds without them).
//!
//! rtlog's own message shims (bench/peers/rtlog_msg_shim.c and .cpp: `RTLOG_INFO` from
//! include/rtlog.h, in C and in C++) are always compiled, the C++ one where a C++ compiler is
//! found (→ `cfg(have_rtlog_msg_cpp)`); they call `rtlog_publish_message`, which the rtlog
//! crate linked into the benchmark exports. So is its record shim (rtlog_rec_shim.c:
//! `rtlog_publish` from C, the control loop's rtlog peer).
//!
//! Quill's two shims: quill_shim.cpp (the message benchmark's `LOG_INFO`) and
//! quill_rec_shim.cpp (the record peer of the latency, burst and control-loop scenarios).

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(have_spdlog)");
    println!("cargo::rustc-check-cfg=cfg(have_dlt)");
    println!("cargo::rustc-check-cfg=cfg(have_quill)");
    println!("cargo::rustc-check-cfg=cfg(have_rtlog_msg_cpp)");
    println!("cargo:rerun-if-env-changed=QUILL_ROOT");
    println!("cargo:rerun-if-env-changed=RTLOG_BENCH_NO_PEERS");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");
    println!("cargo:rerun-if-changed=peers/spdlog_shim.cpp");
    println!("cargo:rerun-if-changed=peers/dlt_shim.c");
    println!("cargo:rerun-if-changed=peers/quill_shim.cpp");
    println!("cargo:rerun-if-changed=peers/rtlog_msg_shim.c");
    println!("cargo:rerun-if-changed=peers/rtlog_rec_shim.c");
    println!("cargo:rerun-if-changed=peers/quill_rec_shim.cpp");
    println!("cargo:rerun-if-changed=peers/quill_drops.h");
    println!("cargo:rerun-if-changed=peers/rtlog_msg_shim.cpp");
    println!("cargo:rerun-if-changed=../include/rtlog.h");
    rtlog_message_shims();
    line_round_trip();
    // Re-probe when a peer gets installed or removed (a directory's listing changes). Only
    // existing directories: a missing path would make Cargo rerun this script every build.
    for dir in ["/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/lib/pkgconfig", "/usr/share/pkgconfig"]
    {
        if std::path::Path::new(dir).is_dir() {
            println!("cargo:rerun-if-changed={dir}");
        }
    }
    if env::var_os("RTLOG_BENCH_NO_PEERS").is_some_and(|v| v == "1") {
        println!("cargo:warning=RTLOG_BENCH_NO_PEERS=1: spdlog, DLT and Quill peers not compiled");
        println!("cargo:rustc-env=BENCH_QUILL_MISSING=not compiled (RTLOG_BENCH_NO_PEERS=1)");
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

    quill();
}

/// The probe of how far apart the host put the producer's and the consumer's CPUs
/// (`line-round-trip.c`), measured before each latency run.
fn line_round_trip() {
    println!("cargo:rerun-if-changed=line-round-trip.c");
    cc::Build::new()
        .std("gnu11")
        .opt_level(2)
        .file("line-round-trip.c")
        .compile("rtlog_bench_probe");
}

/// `RTLOG_INFO` in C and in C++ (the header's two implementations of the macros), compiled
/// with the same optimisation as the peers' shims.
fn rtlog_message_shims() {
    cc::Build::new()
        .std("c11")
        .opt_level(2)
        .include("../include")
        .flag("-Wformat")
        .flag("-Werror")
        .file("peers/rtlog_msg_shim.c")
        .file("peers/rtlog_rec_shim.c")
        .compile("rtlog_bench_msg_c");
    // The C++ row needs a C++ compiler, which building Rust does not: without one it is
    // skipped (cfg have_rtlog_msg_cpp unset), like a peer that is not installed.
    let cpp = cc::Build::new()
        .cpp(true)
        .std("c++17")
        .opt_level(2)
        .include("../include")
        .flag("-Werror")
        .file("peers/rtlog_msg_shim.cpp")
        .try_compile("rtlog_bench_msg_cpp");
    match cpp {
        Ok(()) => {
            println!("cargo:rustc-link-lib=stdc++");
            println!("cargo:rustc-cfg=have_rtlog_msg_cpp");
        }
        Err(e) => println!("cargo:warning=rtlog's C++ message shim not compiled: {e}"),
    }
}

/// Quill from `QUILL_ROOT` (its `include/` directory), when set and present: its version goes
/// to `BENCH_QUILL_VERSION`; otherwise `BENCH_QUILL_MISSING` says why it is skipped.
fn quill() {
    let why = match env::var_os("QUILL_ROOT") {
        None => {
            "QUILL_ROOT is not set (a copy of Quill's source: the directory holding include/quill/)"
                .to_string()
        }
        Some(root) => {
            let include = std::path::Path::new(&root).join("include");
            let backend = include.join("quill/Backend.h");
            match std::fs::read_to_string(&backend) {
                Ok(text) => {
                    println!("cargo:rerun-if-changed={}", backend.display());
                    cc::Build::new()
                        .cpp(true)
                        .std("c++17")
                        .opt_level(2)
                        .include(&include)
                        .file("peers/quill_shim.cpp")
                        .file("peers/quill_rec_shim.cpp")
                        .warnings(false)
                        .compile("rtlog_bench_quill");
                    println!("cargo:rustc-link-lib=stdc++");
                    println!("cargo:rustc-link-lib=pthread");
                    println!("cargo:rustc-cfg=have_quill");
                    println!("cargo:rustc-env=BENCH_QUILL_VERSION={}", quill_version(&text));
                    return;
                }
                Err(e) => {
                    format!("QUILL_ROOT={}: {}: {e}", root.to_string_lossy(), backend.display())
                }
            }
        }
    };
    println!("cargo:rustc-env=BENCH_QUILL_MISSING={why}");
}

/// "MAJOR.MINOR.PATCH" from Quill's Backend.h (`inline constexpr uint32_t VersionMajor{12};`).
fn quill_version(backend_h: &str) -> String {
    let part = |name: &str| {
        backend_h
            .split_once(&format!("{name}{{"))
            .and_then(|(_, rest)| rest.split_once('}'))
            .map_or("?".to_string(), |(v, _)| v.trim().to_string())
    };
    format!("{}.{}.{}", part("VersionMajor"), part("VersionMinor"), part("VersionPatch"))
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
