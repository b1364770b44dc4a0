//! The README's `rtlog` commands, run as written: each `sh` block that follows a
//! `<!-- readme-test: demo-log -->` line is run line by line, with `rtlog` on `PATH`, in a
//! directory whose `build/demo-log` is a log like the one `cmake --workflow --preset demo`
//! writes (written here with the Rust API, as `examples-c/control_loop.c` writes it).
//!
//! A line is expected to exit with the code its comment starts with (`# exit 2: ...`), or 0,
//! and to print something on stdout (and nothing on stderr) when it exits 0: a filter that
//! matches nothing, or a command that no longer exists, fails the test. A line that follows
//! (`-f`, `--follow`) runs until it prints its first line, then is stopped with SIGINT and
//! must exit 0.

mod common;
use common::*;
use rtlog::{Status, Stream};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Generous, for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

const MARKER: &str = "<!-- readme-test: demo-log -->";

/// The lines of each `sh` block that follows [`MARKER`].
fn marked_commands(readme: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != MARKER {
            continue;
        }
        assert_eq!(lines.next().map(str::trim), Some("```sh"), "{MARKER} must precede ```sh");
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        for command in block.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            assert!(!command.ends_with('\\'), "continued lines are not supported: {command}");
            commands.push(command.to_string());
        }
    }
    commands
}

/// The exit code that the line's comment announces (`# exit N...`), or 0.
fn expected_code(command: &str) -> i32 {
    let comment = command.split_once(" #").map_or("", |(_, c)| c.trim());
    comment
        .strip_prefix("exit ")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A log like the demo's: producers joint-0..3, each publishing per cycle a 24-byte record of
/// type 1 (joint state) on the critical stream and a 16-byte one of type 2 (wakeup latency)
/// on the normal stream, and a warning message now and then.
fn write_demo_like_log(dir: &TempDir) {
    use rtlog::format::{message::ArgType, Level};
    let names = ["joint-0", "joint-1", "joint-2", "joint-3"];
    let (lg, ps) = start(config(dir), &names);
    let warning = site(
        Level::Warn,
        131,
        c"joint %u over speed limit at cycle %lu",
        &[ArgType::U32, ArgType::U64],
    );
    for cycle in 0..100u64 {
        if cycle % 25 == 0 {
            // SAFETY: the call site is leaked (it lives forever); the arguments are numbers.
            let s = unsafe { producer(ps[3]).publish_message(warning, &[u(3), u(cycle)]) };
            assert_eq!(s, Status::Ok);
        }
        for &p in &ps {
            let state = [cycle.to_le_bytes(), 0.5f64.to_le_bytes(), 0f64.to_le_bytes()].concat();
            let latency = [cycle.to_le_bytes(), 1000i64.to_le_bytes()].concat();
            for (stream, record_type, payload) in
                [(Stream::Critical, 1, &state), (Stream::Normal, 2, &latency)]
            {
                while producer(p).publish(stream, record_type, payload) == Status::Full {
                    lg.tick().unwrap();
                }
            }
        }
        lg.tick().unwrap();
    }
    lg.shutdown().unwrap();
}

/// `sh -c COMMAND` in `cwd`, with the tool under test first on `PATH`.
fn shell(command: &str, cwd: &Path) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_rtlog")).parent().unwrap().to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(command).current_dir(cwd).env("PATH", path);
    sh
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a following command until its first line of output, then stops it with SIGINT.
fn run_following(command: &str, cwd: &Path) -> Output {
    // `exec`, so that the signal reaches rtlog rather than the shell.
    let mut child = shell(&format!("exec {command}"), cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = tx.send(first);
    });
    let first = rx.recv_timeout(PATIENCE);
    // SAFETY: kill(2) on the pid of a child this test owns and has not reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut out = child.wait_with_output().unwrap();
    out.stdout = first.unwrap_or_default().into_bytes();
    out
}

#[test]
fn readme_commands_run_as_written() {
    let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(readme_path).unwrap();
    let commands = marked_commands(&readme);
    assert!(commands.len() >= 3, "no marked blocks left in the README: {commands:?}");

    let cwd = TempDir::new("readme");
    std::fs::create_dir_all(cwd.0.join("build")).unwrap();
    // Removed with `cwd`, or on its own if the test fails first.
    let log = TempDir(cwd.0.join("build/demo-log"));
    write_demo_like_log(&log);
    for command in &commands {
        let words: Vec<&str> = command.split(" #").next().unwrap().split_whitespace().collect();
        let follows = words.contains(&"-f") || words.contains(&"--follow");
        let out = if follows {
            run_following(command, &cwd.0)
        } else {
            shell(command, &cwd.0).output().unwrap()
        };
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let expected = if follows { 0 } else { expected_code(command) };
        assert_eq!(out.status.code(), Some(expected), "{command}\n{stdout}{stderr}");
        if expected == 0 {
            assert!(!stdout.is_empty(), "{command}: printed nothing");
            assert_eq!(stderr, "", "{command}");
        } else {
            assert!(stderr.starts_with("rtlog: "), "{command}: no message: {stderr}");
        }
    }
}

#[test]
fn comments_announce_exit_codes() {
    assert_eq!(expected_code("rtlog verify x   # exit 0 when clean, 1 when damaged"), 0);
    assert_eq!(expected_code("rtlog dump x --producer rt0   # exit 2: no such producer"), 2);
    assert_eq!(expected_code("rtlog inspect x   # segments, epochs"), 0);
    assert_eq!(expected_code("rtlog inspect x"), 0);
}
