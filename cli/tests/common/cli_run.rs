//! Running the `rtlog` binary from the CLI tests, with its output checked for panics.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Generous, for a loaded machine; the tests normally finish far sooner.
pub const PATIENCE: Duration = Duration::from_secs(20);

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

/// Lines of a child's stdout, read on a thread so that the test can wait with a timeout.
pub fn line_channel(child: &mut Child) -> mpsc::Receiver<String> {
    lines_of(child.stdout.take().unwrap())
}

/// Lines of a pipe, read on a thread; the channel closes at the pipe's end.
pub fn lines_of(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub fn next_lines(rx: &mpsc::Receiver<String>, n: usize) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    let mut lines = Vec::new();
    while lines.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(e) => panic!("only {} of {n} lines ({e}): {lines:?}", lines.len()),
        }
    }
    lines
}

/// A running `rtlog`, killed if the test fails before it exits.
pub struct Reap(pub Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `rtlog ARGS DIR` with stdout and stderr piped.
pub fn spawn(args: &[&str], dir: &Path) -> Reap {
    let child = Command::new(env!("CARGO_BIN_EXE_rtlog"))
        .args(args)
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rtlog binary starts");
    Reap(child)
}

/// Waits (within [`PATIENCE`]) for the child to exit; its exit code and stderr.
pub fn wait_exit(child: &mut Reap, what: &str) -> (Option<i32>, String) {
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{what}: still running");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut errors = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        e.read_to_string(&mut errors).unwrap();
    }
    (status.code(), errors)
}

/// Stops a following child with SIGINT and expects exit 0; its stderr.
pub fn interrupt(child: &mut Reap, what: &str) -> String {
    // SAFETY: kill(2) on the pid of a child this test owns and has not reaped.
    assert_eq!(unsafe { libc::kill(child.0.id() as i32, libc::SIGINT) }, 0);
    let (code, errors) = wait_exit(child, what);
    assert_eq!(code, Some(0), "{what}: {errors}");
    errors
}
