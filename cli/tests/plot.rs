//! `rtlog plot`: the SVG it writes is well-formed XML with one polyline per field and producer,
//! one point per plotted record, loss markers as ticks and the CRITICAL and SAFE stretches
//! shaded; PNG output is a PNG; unknown types and fields, and selections that match nothing,
//! are errors (exit 2) that say what the log has.
//!
//! The test log, written with the Rust API: type `joint` (a scalar, an array and a string)
//! from producers `arm` and `leg` on the critical stream; `arm` overfills its ring once (a loss
//! marker, and CRITICAL until the fault is cleared), then the log spends a while in SAFE.

mod common;
use common::*;
use rtlog::{Logger, State, Status, Stream};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const JOINT: &str = "u32 axis; f64 torque; f64[3] pos; char[8] mode";
/// Records each producer publishes per phase, besides the overfill.
const PER_PHASE: usize = 5;
/// The ring's depth: `arm` publishes this many more than fit, unticked.
const DEPTH: u32 = 4;
const REFUSED: usize = 3;

fn joint(i: usize) -> Vec<u8> {
    let mut b = vec![0u8; 48];
    b[..4].copy_from_slice(&(i as u32).to_le_bytes());
    b[8..16].copy_from_slice(&(i as f64 * 0.5).to_le_bytes());
    for k in 0..3 {
        b[16 + 8 * k..24 + 8 * k].copy_from_slice(&((i * 10 + k) as f64).to_le_bytes());
    }
    b[40..43].copy_from_slice(b"run");
    b
}

/// Waits (generously, the machine is shared) until the supervisor has made the change.
fn wait_state(lg: &Logger, want: State) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while lg.state() != want {
        assert!(Instant::now() < deadline, "state {:?}, waited for {want:?}", lg.state());
        std::thread::sleep(Duration::from_millis(2));
    }
    // Later records get later timestamps than the state frame.
    std::thread::sleep(Duration::from_millis(5));
}

/// Writes the test log; returns the records written per producer.
fn write_log(dir: &TempDir) -> HashMap<&'static str, usize> {
    let mut c = config(dir);
    c.critical_depth = DEPTH;
    let lg = Logger::init(c).unwrap();
    let names = ["arm", "leg"];
    let ps: Vec<_> = names.iter().map(|n| lg.create_producer(n).unwrap()).collect();
    assert_eq!(lg.register_type(1, "joint", JOINT).unwrap(), 48);
    lg.start().unwrap();
    let mut written = HashMap::new();
    // A tick after each round, so that the rings (DEPTH deep) never refuse a record here.
    let phase = |lg: &Logger, written: &mut HashMap<&'static str, usize>| {
        for i in 0..PER_PHASE {
            for (name, &p) in names.iter().zip(&ps) {
                assert_eq!(producer(p).publish(Stream::Critical, 1, &joint(i)), Status::Ok);
                *written.entry(*name).or_default() += 1;
            }
            lg.tick().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    phase(&lg, &mut written);
    // The overfill: DEPTH accepted, REFUSED refused (a loss marker, then CRITICAL).
    lg.tick().unwrap();
    let statuses: Vec<Status> = (0..DEPTH as usize + REFUSED)
        .map(|i| producer(ps[0]).publish(Stream::Critical, 1, &joint(i)))
        .collect();
    assert_eq!(statuses.iter().filter(|&&s| s == Status::Full).count(), REFUSED);
    *written.entry("arm").or_default() += DEPTH as usize;
    lg.tick().unwrap();
    wait_state(&lg, State::Critical);
    phase(&lg, &mut written);
    lg.clear_fault().unwrap();
    wait_state(&lg, State::Normal);
    phase(&lg, &mut written);
    lg.enter_safe_mode("test").unwrap();
    wait_state(&lg, State::Safe);
    phase(&lg, &mut written);
    lg.clear_fault().unwrap();
    wait_state(&lg, State::Normal);
    phase(&lg, &mut written);
    lg.shutdown().unwrap();
    written
}

/// A fresh test log, with the records written per producer.
fn log() -> (TempDir, HashMap<&'static str, usize>) {
    let dir = TempDir::new("cli-plot");
    let written = write_log(&dir);
    (dir, written)
}

/// A file name in a fresh directory of the test's own.
fn output(tag: &str, name: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(tag);
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join(name);
    (dir, path)
}

/// Runs `rtlog plot ARGS -o OUT LOG`.
fn plot(log: &TempDir, args: &[&str], out: &Path) -> std::process::Output {
    let mut all = vec!["plot"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", out.to_str().unwrap()]);
    rtlog(&all, &log.0)
}

/// Runs `rtlog plot ARGS` to an SVG file, expects success, returns what the chart shows.
fn plot_svg(log: &TempDir, args: &[&str]) -> Svg {
    let (_d, out) = output("plot-svg", "chart.svg");
    let run = plot(log, args, &out);
    assert_eq!(run.status.code(), Some(0), "{args:?}: {}", stderr(&run));
    let svg = read_svg(&out);
    // The summary: the path, then what the chart shows.
    let series: Vec<usize> =
        svg.legend.iter().filter(|l| l.0.contains('/')).flat_map(|l| svg.lines_of(&l.0)).collect();
    let ticks = svg.legend.iter().filter(|l| l.0.starts_with("loss marker"));
    let ticks: usize = ticks.map(|l| svg.lines_of(&l.0).len()).sum();
    let summary = format!(
        "{}: {} line(s), {} point(s), {ticks} loss marker(s), ",
        out.display(),
        series.len(),
        series.iter().sum::<usize>()
    );
    assert!(stdout(&run).starts_with(&summary), "{}\nnot {summary}", stdout(&run));
    svg
}

/// What an SVG chart shows: the legend's labels with the colour of their swatch, and the
/// polylines as (stroke colour, points).
struct Svg {
    legend: Vec<(String, String)>,
    polylines: Vec<(String, usize)>,
}

fn read_svg(path: &Path) -> Svg {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let mut svg = Svg { legend: Vec::new(), polylines: Vec::new() };
    let mut swatch = String::new();
    for n in doc.descendants() {
        match n.tag_name().name() {
            "rect" => swatch = n.attribute("fill").unwrap_or_default().to_string(),
            "text" => {
                let text = n.text().unwrap_or_default().trim().to_string();
                svg.legend.push((text, swatch.clone()));
            }
            "polyline" => {
                let points = n.attribute("points").unwrap_or_default().split_whitespace().count();
                svg.polylines.push((n.attribute("stroke").unwrap_or_default().to_string(), points));
            }
            _ => {}
        }
    }
    svg
}

impl Svg {
    /// The point counts of the polylines in the colour of `label`'s swatch.
    fn lines_of(&self, label: &str) -> Vec<usize> {
        let (_, colour) = self
            .legend
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no legend entry {label:?} in {:?}", self.legend));
        self.polylines.iter().filter(|(c, _)| c == colour).map(|p| p.1).collect()
    }

    fn has(&self, label: &str) -> bool {
        self.legend.iter().any(|(l, _)| l == label)
    }
}

#[test]
fn one_line_per_field_and_producer_with_a_point_per_record() {
    let (log, written) = log();
    let svg = plot_svg(&log, &["--type", "joint", "--field", "torque", "--field", "pos[1]"]);
    for producer in ["arm", "leg"] {
        for field in ["torque", "pos[1]"] {
            let label = format!("{producer}/{field}");
            assert_eq!(svg.lines_of(&label), [written[producer]], "{label}");
        }
    }
    assert!(!svg.has("arm/pos[0]") && !svg.has("arm/axis"));
}

#[test]
fn losses_are_ticks_and_critical_and_safe_are_shaded() {
    let (log, _) = log();
    let svg = plot_svg(&log, &["--type", "joint", "--field", "torque"]);
    // One loss marker (arm's), drawn as a two-point tick.
    assert_eq!(svg.lines_of("loss marker (1)"), [2]);
    assert!(svg.has("CRITICAL") && svg.has("SAFE"), "{:?}", svg.legend);
    // `leg` lost nothing: plotted alone, it has no tick.
    let svg = plot_svg(&log, &["--type", "joint", "--field", "torque", "--producer", "leg"]);
    assert!(!svg.legend.iter().any(|(l, _)| l.starts_with("loss marker")), "{:?}", svg.legend);
    assert!(svg.has("SAFE"));
}

#[test]
fn a_bare_array_name_plots_every_element() {
    let (log, written) = log();
    let svg = plot_svg(&log, &["--type", "1", "--field", "pos", "--producer", "arm"]);
    for k in 0..3 {
        assert_eq!(svg.lines_of(&format!("arm/pos[{k}]")), [written["arm"]]);
    }
    assert!(!svg.has("leg/pos[0]"));
}

#[test]
fn png_output_is_a_png() {
    let (log, _) = log();
    let (_d, out) = output("plot-png", "torque.png");
    let run = plot(&log, &["--type", "joint", "--field", "torque"], &out);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{:?}", &bytes[..8.min(bytes.len())]);
    assert!(bytes.len() > 2000, "{} bytes", bytes.len());
    // IHDR: 1200 x 600.
    assert_eq!(&bytes[16..24], &[0, 0, 4, 176, 0, 0, 2, 88]);
}

#[test]
fn unknown_types_and_fields_and_empty_selections_are_errors_that_say_what_there_is() {
    let (log, _) = log();
    let (_d, out) = output("plot-errors", "x.svg");
    let cases: [(&[&str], &str); 7] = [
        (
            &["--type", "jiont", "--field", "torque"],
            "has no record type named \"jiont\"; its registered types: \"joint\" (1)",
        ),
        (
            &["--type", "joint", "--field", "torq"],
            "type \"joint\" has no field \"torq\"; its fields: axis, torque, pos[3], mode[8]",
        ),
        (&["--type", "joint", "--field", "mode"], "field \"mode\" of type \"joint\" is a string"),
        (&["--type", "joint", "--field", "pos[3]"], "has 3 elements"),
        (&["--type", "7", "--field", "torque"], "has no record of type 7"),
        (&["--type", "joint", "--field", "torque", "--lsn", "100000.."], "nothing to plot"),
        (&["--field", "torque"], "plot needs --type"),
    ];
    for (args, message) in cases {
        let run = plot(&log, args, &out);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {}", stderr(&run));
        assert!(stderr(&run).contains(message), "{args:?}: {}", stderr(&run));
    }
    assert!(!out.exists(), "a failed plot wrote its file");
    let (_d, txt) = output("plot-ext", "x.txt");
    let run = plot(&log, &["--type", "joint", "--field", "torque"], &txt);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("must end in .svg or .png"), "{}", stderr(&run));
}
