//! `rtlog ship`: the shipper of `rtlog_fleet::ship`, as a command.

use crate::error::CliError;
use crate::interrupt;
use rtlog_fleet::ship::{self, Progress, ShipOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// Ship a log to a NATS JetStream stream, following it as it is written.
///
/// Publishes every durable frame of the log, in order, to SUBJECT (data records and messages)
/// and SUBJECT.meta (segment headers with their producer and type tables, call sites and the
/// log's boundary frames), with Nats-Msg-Id "<log id>:<epoch>:<lsn>" so that JetStream keeps
/// each once. Creates the stream if missing (file storage, --replicas copies). After the
/// acknowledgements, stores the position reached in the log directory's file SHIPPED, and
/// starts from there when run again. Keeps running while the server is away (reconnecting
/// with backoff) until interrupted; never deletes anything. See docs/FLEET.md.
///
/// Example:
///   rtlog ship /var/log/robot --server nats://hub:4222 --subject fleet.robot7
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
    /// NATS server URL; repeat it, or separate with commas, for a cluster's nodes.
    #[arg(long = "server", value_name = "URL", required = true, value_delimiter = ',')]
    servers: Vec<String>,
    /// The log's subject, e.g. fleet.robot7.
    #[arg(long)]
    subject: String,
    /// The JetStream stream, created if missing to hold "<first token of subject>.>".
    #[arg(long, default_value = "FLEET")]
    stream: String,
    /// Replicas of the stream when this command creates it.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// The log's identity in Nats-Msg-Id (default: the subject).
    #[arg(long)]
    log_id: Option<String>,
    /// Most publish acknowledgements awaited at once.
    #[arg(long, default_value_t = 4096)]
    max_in_flight: usize,
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    interrupt::install()
        .map_err(|e| CliError::fatal(format!("installing the SIGINT handler: {e}")))?;
    let opts = ShipOptions {
        dir: args.dir.clone(),
        servers: args.servers.clone(),
        subject: args.subject.clone(),
        stream: args.stream.clone(),
        replicas: args.replicas,
        log_id: args.log_id.clone(),
        max_in_flight: args.max_in_flight.max(1),
    };
    ship::run(&opts, interrupt::flag(), &Arc::new(Progress::default())).map_err(CliError::fatal)?;
    Ok(0)
}
