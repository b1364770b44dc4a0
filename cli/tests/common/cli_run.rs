//! Running the `rtlog` binary from the CLI tests, with its output checked for panics.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `rtlog ARGS DIR` to completion.
pub fn rtlog(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_rtlog"))
        .args(args)
        .arg(dir)
        .output()
        .expect("the rtlog binary runs");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "rtlog {args:?} panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Its standard output, as UTF-8.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// Its standard error, as UTF-8.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 errors")
}

/// Runs `rtlog`, expects `code`, returns stdout.
pub fn run_ok(args: &[&str], dir: &Path, code: i32) -> String {
    let out = rtlog(args, dir);
    assert_eq!(
        out.status.code(),
        Some(code),
        "rtlog {args:?}: stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// The dump lines of `args` (after the directory's options).
pub fn dump(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["dump"];
    all.extend_from_slice(args);
    run_ok(&all, dir, 0).lines().map(str::to_owned).collect()
}
