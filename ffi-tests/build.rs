//! Runs bindgen on the checked-in headers (rtlog.h and rtlog_testing.h) and compiles a C probe
//! that reports the C compiler's view of every public struct's layout.

use std::env;
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("..");
    let header = root.join("include/rtlog.h");
    let testing = root.join("include/rtlog_testing.h");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed={}", testing.display());
    println!("cargo:rerun-if-changed=probe/layout_probe.c");

    let bindings = bindgen::Builder::default()
        .header(header.to_str().unwrap())
        .header(testing.to_str().unwrap())
        .clang_arg(format!("-I{}", root.join("include").display()))
        .allowlist_item("rtlog_.*|RTLOG_.*")
        .default_enum_style(bindgen::EnumVariation::Rust { non_exhaustive: false })
        .derive_debug(true)
        .layout_tests(true)
        .generate()
        .expect("bindgen could not parse include/rtlog.h and include/rtlog_testing.h");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    bindings.write_to_file(out.join("bindings.rs")).unwrap();

    cc::Build::new()
        .file("probe/layout_probe.c")
        .include(root.join("include"))
        .flag("-std=c99")
        .warnings_into_errors(true)
        .compile("layout_probe");
}
