//! The NATS side shared by the shipper and the collector: connecting, the JetStream context,
//! the stream, and the backoff between attempts.

use async_nats::jetstream::stream::{Config, StorageType};
use async_nats::jetstream::Context;
use async_nats::{Client, ConnectOptions, ServerAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a JetStream request (a publish's acknowledgement included) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to the first of `servers` that answers, in the order given (the first is the
/// preferred one, e.g. the robot's leaf node). The client reconnects by itself, without
/// limit and with its own backoff, to any server of the list or of the cluster, and a server
/// that is down at start is waited for; meanwhile publishes fail and the caller's runs retry.
pub async fn connect(servers: &[String]) -> Result<Client, String> {
    let addrs = servers
        .iter()
        .map(|s| s.parse::<ServerAddr>().map_err(|e| format!("server {s:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    ConnectOptions::new()
        .retry_on_initial_connect()
        .retain_servers_order()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(2))
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis(50 << attempts.min(6) as u64).min(Duration::from_secs(2))
        })
        .connect(addrs)
        .await
        .map_err(|e| format!("connecting to {}: {e}", servers.join(",")))
}

/// The JetStream context of `client`, with [`REQUEST_TIMEOUT`].
pub fn jetstream(client: Client) -> Context {
    let mut js = async_nats::jetstream::new(client);
    js.set_timeout(REQUEST_TIMEOUT);
    js
}

/// The stream that holds `<first token of subject>.>` (e.g. `fleet.>` for `fleet.robot7`):
/// created, on file storage with `replicas` copies, when missing.
pub async fn ensure_stream(
    js: &Context,
    name: &str,
    subject: &str,
    replicas: usize,
) -> Result<(), String> {
    let prefix = subject.split('.').next().unwrap_or(subject);
    let config = Config {
        name: name.to_owned(),
        subjects: vec![format!("{prefix}.>")],
        storage: StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.map(|_| ()).map_err(|e| format!("stream {name}: {e}"))
}

/// Waits between attempts: 100 ms, doubling to 5 s, back to 100 ms after a success.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { next: Self::FIRST }
    }
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(5);

    /// Sleeps for the current delay (cut short by `stop`), and doubles it.
    pub async fn wait(&mut self, stop: &AtomicBool) {
        let until = tokio::time::Instant::now() + self.next;
        while !stop.load(Ordering::Relaxed) && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.next = (self.next * 2).min(Self::MAX);
    }

    /// After a success: the next wait is the first one again.
    pub fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}
