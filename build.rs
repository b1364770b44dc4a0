//! Generates the C header with cbindgen and gives the shared library its SONAME.
//!
//! The header is written to `$OUT_DIR/rtlog.h`. The checked-in `include/rtlog.h` must be
//! identical (a test checks it); set `RTLOG_BLESS_HEADER=1` to refresh the checked-in copy.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("rtlog.h");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
    let patch = env::var("CARGO_PKG_VERSION_PATCH").unwrap();

    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=RTLOG_BLESS_HEADER");
    // cargo sets no SONAME on cdylibs; the installed library is librtlog.so.MAJOR.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librtlog.so.{major}");

    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(format!(
        "\n/** Version of this header; rtlog_version() gives the library's. */\n\
         #define RTLOG_VERSION_MAJOR {major}\n#define RTLOG_VERSION_MINOR {minor}\n\
         #define RTLOG_VERSION_PATCH {patch}\n"
    ));
    let header = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen failed to generate include/rtlog.h");
    header.write_to_file(&out);

    let checked_in = crate_dir.join("include").join("rtlog.h");
    let fresh = std::fs::read(&out).unwrap();
    if std::fs::read(&checked_in).ok().as_deref() != Some(&fresh[..]) {
        if env::var_os("RTLOG_BLESS_HEADER").is_some() {
            std::fs::write(&checked_in, &fresh).expect("writing include/rtlog.h");
        } else {
            println!(
                "cargo:warning=include/rtlog.h is stale; regenerate it with `RTLOG_BLESS_HEADER=1 cargo build`"
            );
        }
    }
}
