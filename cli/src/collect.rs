//! `rtlog collect`: the collector of `rtlog_fleet::collect`, as a command.

use crate::error::CliError;
use crate::interrupt;
use rtlog_fleet::collect::{self, CollectOptions, Progress};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Collect shipped logs from a NATS JetStream stream into one log directory per robot.
///
/// Consumes SUBJECT (a wildcard such as 'fleet.>') with a durable consumer, in order, and
/// writes each robot's frames into OUT/<subject without its first token>, with the original
/// LSNs, epochs, producers and timestamps: every rtlog tool reads the result. Acknowledges a
/// message after it is written and synced; run again, it resumes where it stopped. Runs until
/// interrupted, or with --until-idle until nothing came for that long. See docs/FLEET.md.
///
/// Example:
///   rtlog collect --server nats://hub:4222 --subject 'fleet.>' --out /srv/fleet-logs
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// NATS server URL; repeat it, or separate with commas, for a cluster's nodes.
    #[arg(long = "server", value_name = "URL", required = true, value_delimiter = ',')]
    servers: Vec<String>,
    /// The subjects to consume, e.g. 'fleet.>'.
    #[arg(long)]
    subject: String,
    /// The directory below which each robot's log is rebuilt.
    #[arg(long)]
    out: PathBuf,
    /// The JetStream stream that holds the subjects.
    #[arg(long, default_value = "FLEET")]
    stream: String,
    /// The durable consumer's name.
    #[arg(long, default_value = "rtlog-collect")]
    durable: String,
    /// Stop after this many seconds without a message (default: run until interrupted).
    #[arg(long, value_name = "SECONDS")]
    until_idle: Option<f64>,
    /// Seconds a message waits for the one shipped before it before the gap is crossed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    gap_timeout: f64,
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    interrupt::install()
        .map_err(|e| CliError::fatal(format!("installing the SIGINT handler: {e}")))?;
    let seconds =
        |s: f64| Duration::try_from_secs_f64(s).map_err(|e| CliError::fatal(e.to_string()));
    let opts = CollectOptions {
        servers: args.servers.clone(),
        subject: args.subject.clone(),
        stream: args.stream.clone(),
        durable: args.durable.clone(),
        out: args.out.clone(),
        until_idle: args.until_idle.map(seconds).transpose()?,
        gap_timeout: seconds(args.gap_timeout)?,
    };
    collect::run(&opts, interrupt::flag(), &Arc::new(Progress::default()))
        .map_err(CliError::fatal)?;
    Ok(0)
}
