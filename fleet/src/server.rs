//! Private `nats-server -js` processes on loopback, for the tests and the benchmark: each on a
//! free port with its own store directory, stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Clusters started before giving up (see [`Server::cluster`]).
const CLUSTER_ATTEMPTS: usize = 3;
/// How long a cluster's nodes get to agree on a metadata leader.
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(30);
/// What a node logs once it knows the cluster's JetStream metadata leader: another node, or
/// itself (nats-server 2.9).
const META_LEADER: [&str; 2] =
    ["JetStream cluster new metadata leader", "Self is new JetStream cluster metadata leader"];
/// What a server logs once it accepts clients.
const READY: &str = "Server is ready";

/// One `nats-server` with JetStream.
pub struct Server {
    child: Option<Child>,
    /// Its client port on 127.0.0.1.
    pub port: u16,
    args: Vec<String>,
    log: PathBuf,
    /// The log's length when the server was last started: what it logged since starts here.
    log_start: usize,
}

/// A port nobody listens on now (the kernel's choice for port 0).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether `nats-server` can be run here.
pub fn available() -> bool {
    Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Server {
    /// Starts a single server storing under `dir`.
    pub fn single(dir: &Path) -> std::io::Result<Server> {
        let port = free_port()?;
        Server::start(dir, port, Vec::new())
    }

    /// Starts a cluster of three servers (`cluster_name` rtlog), each storing under
    /// `dir/nN`, routed to each other: JetStream streams there can have 3 replicas.
    pub fn cluster(dir: &Path) -> std::io::Result<Vec<Server>> {
        // A port `free_port` found free can be taken before the server binds it (by another
        // test's server, or as the ephemeral port of an outgoing connection); then a node does
        // not join, and the cluster cannot place a replicated stream. So a cluster whose
        // nodes have not all seen a metadata leader is started again on other ports, with
        // stores of its own (a failed attempt's stores name peers that are gone).
        let mut last = None;
        for attempt in 0..CLUSTER_ATTEMPTS {
            match Server::try_cluster(&dir.join(format!("attempt{attempt}"))) {
                Ok(nodes) if nodes.iter().all(|n| n.log_shows(&META_LEADER, CLUSTER_TIMEOUT)) => {
                    return Ok(nodes)
                }
                Ok(_) => last = Some(std::io::Error::other("the cluster elected no leader")),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no cluster attempt")))
    }

    fn try_cluster(dir: &Path) -> std::io::Result<Vec<Server>> {
        let ports = [free_port()?, free_port()?, free_port()?];
        let routes = [free_port()?, free_port()?, free_port()?];
        let all_routes =
            routes.iter().map(|p| format!("nats://127.0.0.1:{p}")).collect::<Vec<_>>().join(",");
        (0..3)
            .map(|i| {
                let extra = vec![
                    "--name".into(),
                    format!("n{i}"),
                    "--cluster_name".into(),
                    "rtlog".into(),
                    "--cluster".into(),
                    format!("nats://127.0.0.1:{}", routes[i]),
                    "--routes".into(),
                    all_routes.clone(),
                ];
                Server::start(&dir.join(format!("n{i}")), ports[i], extra)
            })
            .collect()
    }

    /// Whether this server's log, since its last start, shows one of `lines` within `timeout`.
    fn log_shows(&self, lines: &[&str], timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let log = std::fs::read(&self.log).unwrap_or_default();
            let since_start =
                String::from_utf8_lossy(log.get(self.log_start..).unwrap_or_default());
            if lines.iter().any(|line| since_start.contains(line)) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts a hub and a robot's leaf node connected to it, as docs/FLEET.md's topology has
    /// them: each with JetStream in a domain of its own (`hub`, and `leaf_domain` for the
    /// robot), so that the robot's shipper stores into the leaf node's own stream, which
    /// acknowledges while the uplink is away, and the hub sources that stream when the leaf is
    /// connected ([`source_leaf_stream`]). Returns (hub, leaf).
    pub fn hub_and_leaf(dir: &Path, leaf_domain: &str) -> std::io::Result<(Server, Server)> {
        let (hub_port, leaf_listen, leaf_port) = (free_port()?, free_port()?, free_port()?);
        let hub = Server::configured(
            &dir.join("hub"),
            hub_port,
            &format!("server_name: hub\nleafnodes {{ listen: \"127.0.0.1:{leaf_listen}\" }}"),
            "hub",
        )?;
        let leaf = Server::configured(
            &dir.join(leaf_domain),
            leaf_port,
            &format!(
                "server_name: {leaf_domain}\nleafnodes {{ remotes: [ {{ url: \
                 \"nats-leaf://127.0.0.1:{leaf_listen}\" }} ] }}"
            ),
            leaf_domain,
        )?;
        Ok((hub, leaf))
    }

    /// Starts a server from a configuration file written into `dir`: JetStream in `domain`,
    /// storing under `dir/store`, plus `extra` (configuration lines).
    fn configured(dir: &Path, port: u16, extra: &str, domain: &str) -> std::io::Result<Server> {
        std::fs::create_dir_all(dir)?;
        let store = dir.join("store");
        let config = format!(
            "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: {store:?}, domain: {domain} }}\n\
             {extra}\n"
        );
        let file = dir.join("server.conf");
        std::fs::write(&file, config)?;
        Server::launch(dir, port, vec!["-c".to_owned(), file.display().to_string()])
    }

    fn start(dir: &Path, port: u16, extra: Vec<String>) -> std::io::Result<Server> {
        std::fs::create_dir_all(dir)?;
        let mut args = vec![
            "-js".to_owned(),
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-sd".into(),
            dir.join("store").display().to_string(),
        ];
        args.extend(extra);
        Server::launch(dir, port, args)
    }

    /// Runs `nats-server ARGS` for a server listening on `port`, logging into `dir`.
    fn launch(dir: &Path, port: u16, args: Vec<String>) -> std::io::Result<Server> {
        let mut server =
            Server { child: None, port, args, log: dir.join("server.log"), log_start: 0 };
        server.restart()?;
        Ok(server)
    }

    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, from its store) and waits until it accepts connections.
    pub fn restart(&mut self) -> std::io::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        self.log_start = log.metadata()?.len() as usize;
        let child = Command::new("nats-server")
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        // Ready, and ours: another process may listen on the port this one failed to bind.
        while TcpStream::connect(("127.0.0.1", self.port)).is_err()
            || !self.log_shows(&[READY], Duration::ZERO)
        {
            let exited = self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_some());
            if exited || Instant::now() > deadline {
                return Err(std::io::Error::other(format!(
                    "nats-server on port {} did not start; see {}",
                    self.port,
                    self.log.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stops the server: `kill` true sends SIGKILL (a crash), false SIGTERM (a clean stop).
    pub fn stop(&mut self, kill: bool) {
        if let Some(mut child) = self.child.take() {
            let signal = if kill { libc::SIGKILL } else { libc::SIGTERM };
            // SAFETY: kill(2) on our own child's pid; no memory is involved.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop(true);
    }
}

/// Runs `work` to its end on a runtime of its own (the tests' and the benchmark's helpers are
/// synchronous).
fn block_on<T>(work: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(work)
}

/// Creates, on the hub at `servers`, the stream `name` that sources the stream `leaf_stream`
/// of the leaf node whose JetStream domain is `leaf_domain` (file storage, one replica): the
/// hub's copy of a robot's log, which JetStream fills whenever the leaf node is connected.
/// The collector reads it like any stream.
pub fn source_leaf_stream(
    servers: &[String],
    name: &str,
    leaf_stream: &str,
    leaf_domain: &str,
) -> Result<(), String> {
    use async_nats::jetstream::stream::{Config, External, Source, StorageType};
    block_on(async {
        let js = crate::nats::jetstream(crate::nats::connect(servers).await?);
        let source = Source {
            name: leaf_stream.to_owned(),
            external: Some(External {
                api_prefix: format!("$JS.{leaf_domain}.API"),
                delivery_prefix: None,
            }),
            ..Default::default()
        };
        let config = Config {
            name: name.to_owned(),
            sources: Some(vec![source]),
            storage: StorageType::File,
            ..Default::default()
        };
        js.get_or_create_stream(config).await.map(|_| ()).map_err(|e| format!("stream {name}: {e}"))
    })
}

/// A message of a stream, as [`stream_messages`] reads it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its subject.
    pub subject: String,
    /// `Nats-Msg-Id`.
    pub msg_id: String,
    /// What it carries.
    pub received: crate::wire::Received,
}

/// Every message of `stream` on `servers`, in stream order (an ephemeral ordered consumer):
/// what the tests check for gaps and duplicates.
pub fn stream_messages(servers: &[String], stream: &str) -> Result<Vec<Stored>, String> {
    use async_nats::jetstream::consumer::pull::OrderedConfig;
    use futures::StreamExt;
    block_on(async {
        let js = crate::nats::jetstream(crate::nats::connect(servers).await?);
        let mut stream = js.get_stream(stream).await.map_err(|e| e.to_string())?;
        let count = stream.info().await.map_err(|e| e.to_string())?.state.messages;
        let consumer =
            stream.create_consumer(OrderedConfig::default()).await.map_err(|e| e.to_string())?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while (out.len() as u64) < count {
            let next = tokio::time::timeout(Duration::from_secs(30), messages.next()).await;
            let m = match next {
                Ok(Some(Ok(m))) => m,
                other => {
                    return Err(format!("reading message {} of {count}: {other:?}", out.len()))
                }
            };
            let headers = m.headers.clone().unwrap_or_default();
            let msg_id =
                headers.get(crate::wire::MSG_ID).map(|v| v.to_string()).unwrap_or_default();
            let received = crate::wire::decode(&headers, &m.payload)?;
            out.push(Stored { subject: m.subject.to_string(), msg_id, received });
        }
        Ok(out)
    })
}
