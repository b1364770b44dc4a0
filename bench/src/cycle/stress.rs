//! The "io" condition's load: stress-ng `--hdd 2 --iomix 1` (two workers writing, reading and
//! syncing files; one mixing every kind of file I/O), in a directory on the data file system,
//! pinned to the consumer CPU where the loggers' threads run. The benchmark starts it before a
//! condition's runs and stops it after them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the load runs before the first measurement, so its workers have files and the
/// page cache is dirty.
const RAMP: Duration = Duration::from_millis(1500);

/// A running stress-ng, stopped (its whole process group) and cleaned up on drop.
pub struct Stress {
    child: Child,
    dir: PathBuf,
}

/// The stress-ng binary, if installed.
pub fn binary() -> Option<PathBuf> {
    crate::which::which("stress-ng")
}

impl Stress {
    /// Starts the load in `dir` (created), pinned to `cpu`; returns once it has run for
    /// [`RAMP`], or why it did not start.
    pub fn start(bin: &Path, dir: &Path, cpu: usize) -> Result<Stress, String> {
        use std::os::unix::process::CommandExt;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = std::fs::File::create(dir.join("stress-ng.log")).map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.args(["--hdd", "2", "--iomix", "1", "--temp-path"]).arg(dir);
        cmd.stdin(Stdio::null()).stdout(log).stderr(err);
        // Its own process group: stopping it reaches every worker it forked.
        cmd.process_group(0);
        crate::affinity::pin_command(&mut cmd, cpu);
        let child = cmd.spawn().map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let mut s = Stress { child, dir: dir.to_path_buf() };
        std::thread::sleep(RAMP);
        if let Ok(Some(status)) = s.child.try_wait() {
            let log = std::fs::read_to_string(s.dir.join("stress-ng.log")).unwrap_or_default();
            let last: Vec<&str> = log.lines().rev().take(3).collect();
            return Err(format!("stress-ng exited at start-up ({status}): {}", last.join(" / ")));
        }
        Ok(s)
    }

    fn signal_group(&self, sig: libc::c_int) {
        // SAFETY: kill takes a pid and a signal; the negative pid names the process group of
        // our own child, which it leads (process_group(0)).
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), sig) };
    }
}

impl Drop for Stress {
    fn drop(&mut self) {
        // SIGINT: stress-ng stops its workers and removes their files.
        self.signal_group(libc::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal_group(libc::SIGKILL);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
