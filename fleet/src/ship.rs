//! `rtlog ship`: publishing a log's durable frames to a JetStream stream, at least once from
//! the acknowledged cursor, exactly once in the stream (docs/FLEET.md).
//!
//! The loop: take durable frames from the [`Follower`], publish each (pipelined, at most
//! `max_in_flight` acknowledgements awaited at once), and advance the acknowledged position
//! through the acks in publish order. The cursor file follows the acknowledged position
//! (stored at most every [`CURSOR_PERIOD`], and when idle). Meta items (segment headers,
//! call sites, boundary frames) are published alone: everything in flight is acknowledged
//! first, then the meta message, so a consumer always finds a header before the records that
//! need it.
//!
//! Any failure (a publish refused or timed out, the server gone) ends a *run*: the shipper
//! waits [`Backoff`], and starts again from the acknowledged position. Frames re-sent then
//! carry the `Nats-Msg-Id` they had, so JetStream drops those it already stored. Nothing in
//! the log directory is ever deleted or changed but the cursor file.

use crate::follow::Follower;
use crate::nats::{self, Backoff};
use crate::wire::{self, Item};
use async_nats::jetstream::context::{Context, Publish, PublishAckFuture};
use futures::stream::{FuturesOrdered, StreamExt};
use futures::FutureExt;
use rtlog::format::cursor::ShipCursor;
use rtlog::format::SegmentHeader;
use rtlog::storage::ship_cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the cursor file is replaced while acks arrive.
pub const CURSOR_PERIOD: Duration = Duration::from_millis(200);
/// How long the follower waits when nothing new is in the log: most of the lag from durable
/// to acknowledged at low rates; idle, it costs a directory listing per poll.
const POLL: Duration = Duration::from_millis(5);
/// Most items taken from the log at once.
const BATCH: usize = 4096;

/// What to ship where.
#[derive(Clone, Debug)]
pub struct ShipOptions {
    /// The log directory.
    pub dir: PathBuf,
    /// NATS server URLs (several: a cluster's nodes; the client learns the others too).
    pub servers: Vec<String>,
    /// The log's subject, e.g. `fleet.robot7`; meta messages go to `<subject>.meta`.
    pub subject: String,
    /// The JetStream stream, created if missing to hold `<first token of subject>.>`.
    pub stream: String,
    /// Replicas of a stream created here.
    pub replicas: usize,
    /// The log's identity in `Nats-Msg-Id` (default: the subject).
    pub log_id: Option<String>,
    /// Most publish acknowledgements awaited at once.
    pub max_in_flight: usize,
}

/// Progress of a shipper, readable from another thread (tests, the benchmark).
#[derive(Debug, Default)]
pub struct Progress {
    /// LSN of the last frame acknowledged (every frame up to it is in the stream).
    pub acked_lsn: AtomicU64,
    /// Messages acknowledged (duplicates included).
    pub acked: AtomicU64,
    /// Runs that ended with a failure and were started again.
    pub restarts: AtomicU64,
}

/// Ships until `stop` is set; returns early only for errors a retry cannot cure (a stream
/// that does not take the subject, a log directory that cannot be read).
pub fn run(opts: &ShipOptions, stop: &AtomicBool, progress: &Arc<Progress>) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    runtime.block_on(ship(opts, stop, progress))
}

async fn ship(opts: &ShipOptions, stop: &AtomicBool, progress: &Progress) -> Result<(), String> {
    let client = nats::connect(&opts.servers).await?;
    let js = nats::jetstream(client);
    let log_id = opts.log_id.clone().unwrap_or_else(|| opts.subject.clone());
    let mut backoff = Backoff::default();
    let mut cursor = ship_cursor::load(&opts.dir).map_err(|e| e.to_string())?.unwrap_or_default();
    progress.acked_lsn.store(cursor.lsn, Ordering::Relaxed);
    while !stop.load(Ordering::Relaxed) {
        let stream = nats::ensure_stream(&js, &opts.stream, &opts.subject, opts.replicas).await;
        let result = match stream {
            Ok(()) => {
                let mut run = Run::new(opts, &js, &log_id, cursor, progress);
                let r = run.go(stop, &mut backoff).await;
                cursor = run.acked;
                r
            }
            Err(e) => Err(Failure::Retry(e)),
        };
        store_cursor(opts, cursor)?;
        match result {
            Ok(()) => break,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry(e)) => {
                progress.restarts.fetch_add(1, Ordering::Relaxed);
                eprintln!("rtlog ship: {e}; starting again from LSN {}", cursor.lsn);
                backoff.wait(stop).await;
            }
        }
    }
    Ok(())
}

/// Why a run ended.
pub(crate) enum Failure {
    /// The server, the network or the stream: worth another run.
    Retry(String),
    /// The local log or a misconfiguration.
    Fatal(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Failure {
        Failure::Retry(e)
    }
}

type Ack = (ShipCursor, PublishAckFuture);

/// One run: from the acknowledged position until a failure or `stop`.
struct Run<'a> {
    opts: &'a ShipOptions,
    js: &'a Context,
    log_id: &'a str,
    follower: Follower,
    /// Everything up to here is acknowledged.
    acked: ShipCursor,
    stored: (ShipCursor, Instant),
    /// The LSN of the last frame published (`Rtlog-Prev` of the next).
    prev: u64,
    /// The header of the segment the frames being published come from.
    segment: Option<SegmentHeader>,
    in_flight: FuturesOrdered<std::pin::Pin<Box<dyn std::future::Future<Output = AckResult>>>>,
    progress: &'a Progress,
}

type AckResult = (ShipCursor, Result<(), String>);

impl<'a> Run<'a> {
    fn new(
        opts: &'a ShipOptions,
        js: &'a Context,
        log_id: &'a str,
        acked: ShipCursor,
        progress: &'a Progress,
    ) -> Run<'a> {
        Run {
            opts,
            js,
            log_id,
            follower: Follower::new(&opts.dir, acked.lsn),
            acked,
            stored: (acked, Instant::now()),
            prev: acked.lsn,
            segment: None,
            in_flight: FuturesOrdered::new(),
            progress,
        }
    }

    async fn go(&mut self, stop: &AtomicBool, backoff: &mut Backoff) -> Result<(), Failure> {
        let mut items = Vec::with_capacity(BATCH);
        while !stop.load(Ordering::Relaxed) {
            items.clear();
            let skipped = self.follower.stats().lsns_skipped;
            self.follower
                .poll(&mut items, BATCH)
                .map_err(|e| Failure::Fatal(format!("reading {}: {e}", self.opts.dir.display())))?;
            let now_skipped = self.follower.stats().lsns_skipped;
            if now_skipped > skipped {
                eprintln!(
                    "rtlog ship: {} frames are not in the log any more (deleted by retention \
                     without retention_keep_unshipped, or damaged): not shipped",
                    now_skipped - skipped
                );
            }
            if items.is_empty() {
                self.drain(0).await?;
                self.store_if_due(true)?;
                tokio::time::sleep(POLL).await;
                continue;
            }
            for item in items.drain(..) {
                self.publish(item).await?;
            }
            self.take_ready_acks()?;
            backoff.reset();
            self.store_if_due(false)?;
        }
        self.drain(0).await?;
        Ok(())
    }

    /// Publishes one item; a meta item alone, after everything before it is acknowledged.
    async fn publish(&mut self, item: Item) -> Result<(), Failure> {
        if let Item::Header { header, .. } = &item {
            self.segment = Some(header.clone());
        }
        let segment = self.segment.as_ref().expect("a header comes before its frames");
        let (headers, body) = wire::encode(&item, segment, self.log_id, self.prev);
        let meta = item.is_meta();
        let subject = match meta {
            true => wire::meta_subject(&self.opts.subject),
            false => self.opts.subject.clone(),
        };
        if meta {
            self.drain(0).await?;
        }
        let ack = self
            .js
            .send_publish(subject, Publish::build().payload(body.into()).headers(headers))
            .await
            .map_err(|e| format!("publishing LSN {}: {e}", item.lsn()))?;
        // Only frames move the cursor: a meta item is published with nothing in flight, so
        // its acknowledgement leaves the cursor where it is.
        let position = match &item {
            Item::Header { .. } => self.acked,
            Item::Frame(h, _) => ShipCursor { epoch: h.epoch, lsn: h.lsn },
        };
        if let Item::Frame(h, _) = &item {
            self.prev = h.lsn;
        }
        self.in_flight.push_back(Box::pin(confirm((position, ack))));
        self.drain(if meta { 0 } else { self.opts.max_in_flight.saturating_sub(1) }).await
    }

    /// Awaits acknowledgements, oldest first, until at most `keep` are in flight.
    async fn drain(&mut self, keep: usize) -> Result<(), Failure> {
        while self.in_flight.len() > keep {
            let Some((position, result)) = self.in_flight.next().await else { break };
            self.acknowledged(position, result)?;
        }
        Ok(())
    }

    /// Takes the acknowledgements that have arrived, without waiting: the acknowledged
    /// position (and so the cursor) follows the stream, not only a full window.
    fn take_ready_acks(&mut self) -> Result<(), Failure> {
        while let Some(Some((position, result))) = self.in_flight.next().now_or_never() {
            self.acknowledged(position, result)?;
        }
        Ok(())
    }

    fn acknowledged(
        &mut self,
        position: ShipCursor,
        result: Result<(), String>,
    ) -> Result<(), Failure> {
        result.map_err(|e| format!("acknowledgement of LSN {}: {e}", position.lsn))?;
        self.acked = self.acked.max(position);
        self.progress.acked.fetch_add(1, Ordering::Relaxed);
        self.progress.acked_lsn.store(self.acked.lsn, Ordering::Relaxed);
        Ok(())
    }

    /// Stores the cursor when it moved and [`CURSOR_PERIOD`] passed, or `now`.
    fn store_if_due(&mut self, now: bool) -> Result<(), Failure> {
        let (stored, at) = self.stored;
        if stored == self.acked || !(now || at.elapsed() >= CURSOR_PERIOD) {
            return Ok(());
        }
        store_cursor(self.opts, self.acked).map_err(Failure::Fatal)?;
        self.stored = (self.acked, Instant::now());
        Ok(())
    }
}

/// Awaits one acknowledgement; a duplicate is one too (the stream had it already).
async fn confirm((position, ack): Ack) -> AckResult {
    (position, ack.await.map(|_| ()).map_err(|e| e.to_string()))
}

fn store_cursor(opts: &ShipOptions, cursor: ShipCursor) -> Result<(), String> {
    if cursor.lsn == 0 {
        return Ok(());
    }
    ship_cursor::store(&opts.dir, cursor).map_err(|e| e.to_string())
}
