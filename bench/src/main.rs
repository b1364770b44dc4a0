//! `rtlog-bench`: rtlog's benchmarks against its peers, in one command that writes a report.
//!
//! ```text
//! cargo run --release -p rtlog-bench -- [--out DIR] [--data-dir DIR] [--quick] [--only SECTIONS]
//! ```
//!
//! - `--out DIR`: where report.md, latency.csv, the CDF plots and children.log go
//!   (default `target/bench-report`).
//! - `--data-dir DIR`: scratch space on the file system under test, for the file-backend runs,
//!   dd and the recovery log (default `target/bench-data`; removed afterwards).
//! - `--quick`: a smoke test (one repetition, few samples, small files).
//! - `--only latency,messages,burst,cycle,crc,file,stall,recovery`: run some sections only
//!   (`cycle`: the control loop of issue 16, see [`cycle`]).
//!
//! Method: see docs/PERFORMANCE.md. Each measurement runs in a child process
//! (`rtlog-bench child ...`, see [`child`]); this process orchestrates ([`runner`]) and writes
//! the report ([`report`], [`plot`]).

mod affinity;
mod child;
mod crc;
mod cycle;
mod dltd;
mod harness;
mod load;
mod peers;
mod plot;
mod report;
mod runner;
mod stats;
mod timing;
mod which;

use affinity::Placement;
use report::Machine;
use runner::{Plan, Results, Runner};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const SECTIONS: [&str; 8] =
    ["latency", "messages", "burst", "cycle", "crc", "file", "stall", "recovery"];

fn usage() -> ! {
    eprintln!(
        "usage: rtlog-bench [--out DIR] [--data-dir DIR] [--quick] [--only {}]",
        SECTIONS.join(",")
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        if let Err(e) = child::main(&args[1..]) {
            eprintln!("rtlog-bench child: {e}");
            std::process::exit(1);
        }
        return;
    }
    let mut out = PathBuf::from("target/bench-report");
    let mut data = PathBuf::from("target/bench-data");
    let mut quick = false;
    let mut only: Vec<String> = SECTIONS.iter().map(|s| s.to_string()).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = it.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--data-dir" => data = it.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--quick" => quick = true,
            "--only" => {
                only =
                    it.next().unwrap_or_else(|| usage()).split(',').map(str::to_string).collect();
                if only.iter().any(|s| !SECTIONS.contains(&s.as_str())) {
                    usage();
                }
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    if let Err(e) = run(out, data, quick, &only, &args) {
        eprintln!("rtlog-bench: {e}");
        std::process::exit(1);
    }
}

fn sh(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn cpu_summary() -> Vec<String> {
    let lscpu = sh("lscpu", &[]);
    let keys = [
        "Model name",
        "CPU(s)",
        "Thread(s) per core",
        "Hypervisor vendor",
        "L2 cache",
        "L3 cache",
        "CPU max MHz",
    ];
    lscpu
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            keys.contains(&k.trim()).then(|| format!("{}: {}", k.trim(), v.trim()))
        })
        .collect()
}

fn run(
    out: PathBuf,
    data: PathBuf,
    quick: bool,
    only: &[String],
    args: &[String],
) -> Result<(), String> {
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let plan = if quick { Plan::quick() } else { Plan::full() };
    let place = Placement::detect();
    let cpus = affinity::allowed_cpus().len();
    let t0 = Instant::now();
    let date = sh("date", &["-u", "+%Y-%m-%d %H:%M:%S"]);
    let load_start = loadavg();
    println!("rtlog-bench: report in {}, scratch data in {}", out.display(), data.display());
    if place.producer == place.consumer {
        println!("warning: only one CPU is usable: producers and consumers share it");
    }
    let hz = timing::calibrate_tsc(Duration::from_millis(200));
    let tsc_step = timing::granularity();
    println!(
        "TSC {:.4} GHz ({}), producers on CPU {}, consumers on CPU {}, load {}",
        hz / 1e9,
        timing::tsc_flags(),
        place.producer,
        place.consumer,
        load_start
    );
    let no_daemon_dir =
        std::env::temp_dir().join(format!("rtlog-bench-nodaemon-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&no_daemon_dir);
    let log = std::fs::File::create(out.join("children.log")).map_err(|e| e.to_string())?;
    let mut r = Runner {
        exe,
        out: out.clone(),
        data: data.clone(),
        hz,
        place,
        plan,
        log,
        t0,
        daemon: None,
        no_daemon_dir: no_daemon_dir.clone(),
        res: Results { tsc_step_ns: tsc_step as f64 * 1e9 / hz, ..Results::default() },
        skips_reported: Vec::new(),
    };
    let want = |s: &str| only.iter().any(|o| o == s);
    if want("latency") || want("burst") || want("cycle") {
        r.start_daemon();
    }
    if want("latency") {
        let snap = load::Snap::now(&r.own_pids());
        r.latency();
        r.res.foreign.push(("latency", snap.foreign_share(cpus, &r.own_pids())));
    }
    if want("messages") {
        let snap = load::Snap::now(&r.own_pids());
        r.messages();
        r.res.foreign.push(("messages", snap.foreign_share(cpus, &r.own_pids())));
    }
    if want("burst") {
        let snap = load::Snap::now(&r.own_pids());
        r.burst_throughput();
        r.res.foreign.push(("burst", snap.foreign_share(cpus, &r.own_pids())));
    }
    if want("cycle") {
        let snap = load::Snap::now(&r.own_pids());
        r.cycle();
        r.res.foreign.push(("cycle", snap.foreign_share(cpus, &r.own_pids())));
    }
    if let Some(d) = r.daemon.as_mut() {
        if !d.alive() {
            let msg = format!("dlt-daemon exited during the run (log: {})", d.log_path().display());
            r.res.notes.push(msg);
        }
    }
    r.daemon = None;
    let _ = std::fs::remove_dir_all(&no_daemon_dir);
    if want("crc") {
        r.crc();
    }
    if want("file") {
        let snap = load::Snap::now(&r.own_pids());
        r.file_backend();
        r.res.foreign.push(("file", snap.foreign_share(cpus, &r.own_pids())));
    }
    if want("stall") {
        let snap = load::Snap::now(&r.own_pids());
        r.stall();
        r.res.foreign.push(("stall", snap.foreign_share(cpus, &r.own_pids())));
    }
    if want("recovery") {
        let snap = load::Snap::now(&r.own_pids());
        r.recovery();
        r.res.foreign.push(("recovery", snap.foreign_share(cpus, &r.own_pids())));
    }
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::create_dir_all(&data);
    let fs = sh("df", &["-T", &data.display().to_string()]).lines().nth(1).map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        format!(
            "{} ({}) mounted on {}",
            w.first().unwrap_or(&""),
            w.get(1).unwrap_or(&""),
            w.last().unwrap_or(&"")
        )
    });
    let _ = std::fs::remove_dir(&data);
    let mut peers = vec![format!("crossbeam-queue 0.3, crossbeam-channel 0.5")];
    peers.push(match option_env!("BENCH_SPDLOG_VERSION") {
        Some(v) => format!("spdlog {v}"),
        None => "spdlog not installed".into(),
    });
    peers.push(match option_env!("BENCH_DLT_VERSION") {
        Some(v) => format!(
            "DLT {v}{}",
            r.res
                .dlt_port
                .map_or(String::new(), |p| format!(" (private dlt-daemon on 127.0.0.1:{p})"))
        ),
        None => "DLT not installed".into(),
    });
    peers.push(match option_env!("BENCH_QUILL_VERSION") {
        Some(v) => format!("Quill {v} (from QUILL_ROOT)"),
        None => format!("Quill not compiled: {}", peers::messages::QUILL_MISSING),
    });
    let mut command = String::from("cargo run --release -p rtlog-bench --");
    for a in args {
        command.push(' ');
        command.push_str(a);
    }
    if let Ok(c) = std::env::var("RTLOG_BENCH_COMMAND") {
        command = c;
    }
    let machine = Machine {
        cpu: cpu_summary(),
        kernel: sh("uname", &["-sr"]),
        date,
        load: (load_start, loadavg()),
        fs: fs.unwrap_or_default(),
        tsc_hz: hz,
        tsc_flags: timing::tsc_flags(),
        tsc_step,
        place,
        peers,
        command,
        elapsed: t0.elapsed().as_secs_f64(),
        rustc: sh("rustc", &["--version"]),
    };
    let md = report::markdown(&r.res, &machine, &plan);
    let write = |name: &str, text: &str| {
        std::fs::write(out.join(name), text)
            .map_err(|e| format!("{}: {e}", out.join(name).display()))
    };
    write("report.md", &md)?;
    write("latency.csv", &report::csv(&r.res))?;
    if let Some(svg) = report::cdf_plot(&r.res.lat, report::HEADLINE, &plan) {
        write("latency-cdf.svg", &svg)?;
    }
    let burst = runner::LatCase { load: "burst", producers: 1, size: 64 };
    if let Some(svg) = report::cdf_plot(&r.res.lat, burst, &plan) {
        write("latency-cdf-burst.svg", &svg)?;
    }
    for case in runner::LatCase::messages() {
        if let Some(svg) = report::cdf_plot(&r.res.msg, case, &plan) {
            write(&format!("messages-cdf-{}.svg", case.load), &svg)?;
        }
    }
    for cond in cycle::Condition::ALL {
        if let Some((name, svg)) = cycle::report::plot(&r.res.cycle, cond, &plan) {
            write(&name, &svg)?;
        }
    }
    println!("\n{}", targets_text(&r.res));
    println!(
        "done in {:.0} s: {} (plots: latency-cdf*.svg, messages-cdf-*.svg, cycle-cdf-*.svg; children's stderr: children.log)",
        t0.elapsed().as_secs_f64(),
        out.join("report.md").display()
    );
    Ok(())
}

fn targets_text(res: &Results) -> String {
    let mut s = String::from("targets:\n");
    for v in report::verdicts(res) {
        let tag = match v.outcome {
            report::Outcome::Met => "met       ",
            report::Outcome::Missed => "MISSED    ",
            report::Outcome::Unresolved => "unresolved",
            report::Outcome::NotMeasured => "n/a       ",
        };
        s.push_str(&format!("  {tag} {}: {}\n", v.target, v.measured));
    }
    s
}
