//! `rtlog collect`: consuming shipped logs from a JetStream stream with a durable consumer and
//! rebuilding one log directory per robot, with the original LSNs, epochs, producers and
//! timestamps (docs/FLEET.md).
//!
//! Messages arrive in stream order, in batches. Each goes to its robot (its subject without
//! `.meta`), into a queue ordered by LSN, from which a frame is written only when the frame
//! shipped before it (`Rtlog-Prev`) is written: a message stored out of order waits for the
//! one re-sent before it, and one at or below what is written is a duplicate. After a batch
//! is written and synced (`fdatasync`), its messages are acknowledged: a crash of the
//! collector gets them again, and finds the replica's own end by recovery.
//!
//! A gap that nothing fills (the stream's limits dropped messages, a log whose shipper lost
//! its cursor and started over from a later segment) is crossed after `gap_timeout`, with a
//! warning.

use crate::nats::{self, Backoff};
use crate::wire::{self, Item, Received};
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::{Context, Message};
use futures::{FutureExt, StreamExt};
use rtlog::storage::replica::Replica;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most messages taken at once (written, synced, then acknowledged together).
const BATCH: usize = 2048;
/// Unacknowledged messages the consumer lets out: room for messages waiting out of order.
const MAX_ACK_PENDING: i64 = 100_000;

/// Where to collect from and to.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// NATS server URLs.
    pub servers: Vec<String>,
    /// The subjects to consume, e.g. `fleet.>`.
    pub subject: String,
    /// The stream that holds them.
    pub stream: String,
    /// The durable consumer's name: a collector started again resumes where it stopped.
    pub durable: String,
    /// One log directory per robot is made below this.
    pub out: PathBuf,
    /// Stop after this long without a message and with nothing waiting (`None`: never).
    pub until_idle: Option<Duration>,
    /// How long a message waits for its predecessor before the gap is crossed.
    pub gap_timeout: Duration,
}

/// Progress of a collector, readable from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    /// Data records and messages written.
    pub records: AtomicU64,
    /// Duplicates dropped.
    pub duplicates: AtomicU64,
    /// Gaps crossed after `gap_timeout`.
    pub gaps: AtomicU64,
}

/// Collects until `stop` is set (or idle, with `until_idle`).
pub fn run(
    opts: &CollectOptions,
    stop: &AtomicBool,
    progress: &Arc<Progress>,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    runtime.block_on(collect(opts, stop, progress))
}

async fn collect(
    opts: &CollectOptions,
    stop: &AtomicBool,
    progress: &Progress,
) -> Result<(), String> {
    let js = nats::jetstream(nats::connect(&opts.servers).await?);
    let mut robots = HashMap::new();
    let mut backoff = Backoff::default();
    let mut idle_since = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let outcome = consume(opts, &js, &mut robots, stop, progress, &mut idle_since).await;
        match outcome {
            Ok(()) => break,
            Err(e) => {
                eprintln!("rtlog collect: {e}; trying again");
                backoff.wait(stop).await;
            }
        }
    }
    Ok(())
}

/// One consumer session: until `stop`, idle, or a failure of the server side.
async fn consume(
    opts: &CollectOptions,
    js: &Context,
    robots: &mut HashMap<String, Robot>,
    stop: &AtomicBool,
    progress: &Progress,
    idle_since: &mut Instant,
) -> Result<(), String> {
    let stream =
        js.get_stream(&opts.stream).await.map_err(|e| format!("stream {}: {e}", opts.stream))?;
    let config = pull::Config {
        durable_name: Some(opts.durable.clone()),
        filter_subject: opts.subject.clone(),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        max_ack_pending: MAX_ACK_PENDING,
        ..Default::default()
    };
    let consumer = stream
        .get_or_create_consumer(&opts.durable, config)
        .await
        .map_err(|e| format!("consumer {}: {e}", opts.durable))?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(BATCH)
        .heartbeat(Duration::from_secs(1))
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .map_err(|e| format!("consuming: {e}"))?;
    let mut batch = Vec::with_capacity(BATCH);
    while !stop.load(Ordering::Relaxed) {
        batch.clear();
        let first = tokio::time::timeout(Duration::from_millis(200), messages.next()).await;
        match first {
            Ok(Some(m)) => batch.push(m.map_err(|e| format!("receiving: {e}"))?),
            Ok(None) => return Err("the consumer's message stream ended".into()),
            Err(_) => {}
        }
        while batch.len() < BATCH {
            match messages.next().now_or_never() {
                Some(Some(m)) => batch.push(m.map_err(|e| format!("receiving: {e}"))?),
                _ => break,
            }
        }
        if !batch.is_empty() {
            *idle_since = Instant::now();
        }
        let waiting = take(opts, robots, std::mem::take(&mut batch), progress).await?;
        if waiting == 0 && opts.until_idle.is_some_and(|d| idle_since.elapsed() >= d) {
            break;
        }
    }
    Ok(())
}

/// Queues a batch, writes what is in order, syncs, and acknowledges. Returns how many
/// messages still wait for a predecessor.
async fn take(
    opts: &CollectOptions,
    robots: &mut HashMap<String, Robot>,
    batch: Vec<Message>,
    progress: &Progress,
) -> Result<usize, String> {
    for message in batch {
        let subject = wire::log_subject(message.subject.as_str()).to_owned();
        let decoded = match &message.headers {
            Some(headers) => wire::decode(headers, &message.payload),
            None => Err("no headers".into()),
        };
        let received = match decoded {
            Ok(r) => r,
            Err(e) => {
                eprintln!(
                    "rtlog collect: {subject}: dropping a message that is not a shipped frame: {e}"
                );
                ack(&message).await;
                continue;
            }
        };
        if !robots.contains_key(&subject) {
            let dir = opts.out.join(robot_dir_name(&subject));
            let replica = Replica::open(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            robots.insert(subject.clone(), Robot { replica, queue: BTreeMap::new() });
        }
        robots.get_mut(&subject).expect("inserted above").queue(received, message);
    }
    let mut waiting = 0;
    for (subject, robot) in robots.iter_mut() {
        let done = robot.write_in_order(opts.gap_timeout, progress, subject)?;
        robot.replica.sync().map_err(|e| format!("{subject}: {e}"))?;
        for message in &done {
            ack(message).await;
        }
        waiting += robot.queue.len();
    }
    Ok(waiting)
}

async fn ack(message: &Message) {
    // A lost acknowledgement only brings the message again, as a duplicate.
    if let Err(e) = message.ack().await {
        eprintln!("rtlog collect: acknowledging: {e}");
    }
}

/// The directory of a robot's log: its subject without the first token (`fleet.robot7` →
/// `robot7`), the whole subject if it has one token.
pub fn robot_dir_name(subject: &str) -> &str {
    subject.split_once('.').map_or(subject, |(_, rest)| rest)
}

/// A message waiting for its turn.
struct Waiting {
    received: Received,
    message: Message,
    since: Instant,
}

/// One robot's replica and the messages waiting to be written into it.
struct Robot {
    replica: Replica,
    /// By LSN, a header before the frame it precedes.
    queue: BTreeMap<(u64, bool), Waiting>,
}

impl Robot {
    fn queue(&mut self, received: Received, message: Message) {
        let key = (received.item.lsn(), matches!(received.item, Item::Frame(..)));
        self.queue.insert(key, Waiting { received, message, since: Instant::now() });
    }

    /// Writes the queued messages whose predecessor is written; returns the messages done
    /// (written or duplicates), to acknowledge once the replica is synced.
    fn write_in_order(
        &mut self,
        gap_timeout: Duration,
        progress: &Progress,
        subject: &str,
    ) -> Result<Vec<Message>, String> {
        let mut done = Vec::new();
        while let Some(entry) = self.queue.first_entry() {
            let last = self.replica.last_lsn();
            let w = entry.get();
            let lsn = w.received.item.lsn();
            if lsn <= last {
                progress.duplicates.fetch_add(1, Ordering::Relaxed);
                done.push(entry.remove().message);
                continue;
            }
            let prev = w.received.prev;
            let timed_out = w.since.elapsed() >= gap_timeout;
            if prev != last && prev != 0 {
                if !timed_out {
                    break;
                }
                progress.gaps.fetch_add(1, Ordering::Relaxed);
                eprintln!("rtlog collect: {subject}: LSNs after {last} up to {prev} never came; going on at {lsn}");
            }
            let written = match &w.received.item {
                Item::Header { header, .. } => self.replica.begin_segment(header),
                Item::Frame(h, payload) => self.replica.append(h, payload),
            };
            match written {
                Ok(()) if !w.received.item.is_meta() => {
                    progress.records.fetch_add(1, Ordering::Relaxed);
                }
                Ok(()) => {}
                // A frame whose segment header has not come yet waits for it, for a while.
                Err(_) if !timed_out => break,
                Err(e) => eprintln!("rtlog collect: {subject}: dropping LSN {lsn}: {e}"),
            }
            done.push(entry.remove().message);
        }
        Ok(done)
    }
}

/// The replica directories below `out`, for the tests: one per robot.
pub fn robot_dirs(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(out)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}
