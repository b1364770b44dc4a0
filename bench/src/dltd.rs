//! A private dlt-daemon for the "DLT with daemon" peer: its own config, FIFO directory and
//! control socket under a temporary directory, TCP bound to 127.0.0.1 on a free port, UDP off,
//! no offline trace; pinned to the consumer CPU. Applications find it through `DLT_PIPE_DIR`.
//!
//! Debian's daemon opens IPv6 sockets (`inet_pton(AF_INET6, ...)` fails on "127.0.0.1"), so the
//! bind address is the IPv4-mapped `::ffff:127.0.0.1`: it listens on 127.0.0.1 only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running private daemon; stopped (SIGTERM, then SIGKILL) and cleaned up on drop.
pub struct DltDaemon {
    child: Child,
    dir: PathBuf,
    /// The directory to pass as `DLT_PIPE_DIR`.
    pub pipe_dir: PathBuf,
    /// The TCP port it listens on (127.0.0.1 only).
    pub port: u16,
}

/// The daemon binary, if installed.
pub fn binary() -> Option<PathBuf> {
    crate::which::which("dlt-daemon")
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl DltDaemon {
    /// Starts a daemon under `base` (created), pinned to `cpu`; waits for its FIFO.
    pub fn start(bin: &Path, base: &Path, cpu: usize) -> Result<DltDaemon, String> {
        let dir = base.to_path_buf();
        let pipe_dir = dir.join("pipes");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&pipe_dir).map_err(|e| format!("{}: {e}", pipe_dir.display()))?;
        std::fs::create_dir_all(dir.join("persist")).map_err(|e| e.to_string())?;
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let conf = dir.join("dlt.conf");
        let text = format!(
            "Verbose = 0\n\
             SendContextRegistration = 0\n\
             ECUId = RTLB\n\
             SharedMemorySize = 100000\n\
             PersistanceStoragePath = {persist}\n\
             LoggingMode = 2\n\
             LoggingLevel = 4\n\
             LoggingFilename = {log}\n\
             TimeOutOnSend = 4\n\
             RingbufferMinSize = 500000\n\
             RingbufferMaxSize = 10000000\n\
             RingbufferStepSize = 500000\n\
             ControlSocketPath = {ctrl}\n\
             BindAddress = ::ffff:127.0.0.1\n\
             UDPConnectionSetup = 0\n",
            persist = dir.join("persist").display(),
            log = dir.join("daemon.log").display(),
            ctrl = dir.join("ctrl.sock").display(),
        );
        std::fs::File::create(&conf)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| format!("{}: {e}", conf.display()))?;
        let out = std::fs::File::create(dir.join("daemon.stdout")).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.arg("-c").arg(&conf).arg("-t").arg(&pipe_dir).arg("-p").arg(port.to_string());
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        crate::affinity::pin_command(&mut cmd, cpu);
        let child = cmd.spawn().map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let d = DltDaemon { child, dir, pipe_dir, port };
        let fifo = d.pipe_dir.join("dlt");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fifo.exists() {
            if Instant::now() > deadline {
                return Err(format!("dlt-daemon did not create {} within 5 s", fifo.display()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The FIFO is made before the sockets: make sure the daemon survived their setup.
        std::thread::sleep(Duration::from_millis(300));
        let mut d = d;
        if !d.alive() {
            let log = std::fs::read_to_string(d.log_path()).unwrap_or_default();
            let last: Vec<&str> = log.lines().rev().take(3).collect();
            return Err(format!("dlt-daemon exited at start-up: {}", last.join(" / ")));
        }
        Ok(d)
    }

    /// The daemon's own log (for the report's notes when something fails).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("daemon.log")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for DltDaemon {
    fn drop(&mut self) {
        // SAFETY: kill takes a pid and a signal; the pid is our own child's.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
