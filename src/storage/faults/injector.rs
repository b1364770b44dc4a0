//! The fault injector (test scaffolding; compiled only with the `test-hooks` feature).
//!
//! Tests give a logger an injector ([`crate::Logger::init_with_faults`]) and tell it to fail the
//! Nth call of an operation with an errno, once or from then on — the approach of SQLite's
//! I/O-error tests and RocksDB's fault-injection file system. Besides errors it can return
//! short writes and `EINTR` (the writer must continue them), and it can keep a *sync journal*:
//! a file of the creations, data syncs and directory syncs that succeeded. After the writing
//! process is killed, [`simulate_power_loss`] uses the journal to do what a power cut would:
//! drop the bytes no `fdatasync` covered (all of them, or a random prefix survives) and delete
//! files whose directory entry was never synced.

use super::{Fault, IoOp, JournalEvent};
use parking_lot::Mutex;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many kinds of [`IoOp`] there are.
const OPS: usize = 5;

#[derive(Clone, Copy, Debug)]
struct Rule {
    op: Option<IoOp>,
    nth: u64,
    fault: Fault,
    persistent: bool,
}

/// Counts file operations and fails the ones its rules name.
#[derive(Debug, Default)]
pub struct FaultInjector {
    calls: [AtomicU64; OPS],
    total: AtomicU64,
    rules: Mutex<Vec<Rule>>,
    injected: AtomicU64,
    journal: Mutex<Option<std::fs::File>>,
}

impl FaultInjector {
    /// An injector with no rules (it only counts).
    pub fn new() -> FaultInjector {
        FaultInjector::default()
    }

    /// Fails the `nth` call (1-based) of `op` — of any operation when `op` is `None` — with
    /// `errno`; with `persistent`, every later call of that kind fails too.
    pub fn fail_nth(&self, op: Option<IoOp>, nth: u64, errno: i32, persistent: bool) {
        self.inject_nth(op, nth, Fault::Errno(errno), persistent);
    }

    /// Makes the `nth` call of `op` (of any operation when `None`) do `fault`; with
    /// `persistent`, every later call of that kind too.
    pub fn inject_nth(&self, op: Option<IoOp>, nth: u64, fault: Fault, persistent: bool) {
        self.rules.lock().push(Rule { op, nth, fault, persistent });
    }

    /// Records every successful creation, data sync and directory sync in `path`, for
    /// [`simulate_power_loss`].
    pub fn journal_to(&self, path: &Path) -> io::Result<()> {
        let f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        *self.journal.lock() = Some(f);
        Ok(())
    }

    /// Notes a successful operation in the journal (if any).
    pub(crate) fn note(&self, event: JournalEvent<'_>) {
        if let Some(f) = self.journal.lock().as_mut() {
            let line = match event {
                JournalEvent::Created(p) => format!("create {}\n", p.display()),
                JournalEvent::Synced(p, len) => format!("sync {len} {}\n", p.display()),
                JournalEvent::DirSynced(p) => format!("dirsync {}\n", p.display()),
            };
            // The journal is test scaffolding: a failed write here shows up as a failed test.
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.rules.lock().clear();
    }

    /// Calls of `op` so far (all operations when `None`).
    pub fn calls(&self, op: Option<IoOp>) -> u64 {
        match op {
            Some(op) => self.calls[op as usize].load(Ordering::Relaxed),
            None => self.total.load(Ordering::Relaxed),
        }
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// Counts a call of `op`; the fault to inject instead of doing it, if a rule says so.
    pub fn check(&self, op: IoOp) -> Option<Fault> {
        let n_op = self.calls[op as usize].fetch_add(1, Ordering::Relaxed) + 1;
        let n_all = self.total.fetch_add(1, Ordering::Relaxed) + 1;
        let rules = self.rules.lock();
        let hit = rules.iter().find(|r| {
            let n = match r.op {
                Some(o) if o == op => n_op,
                Some(_) => return false,
                None => n_all,
            };
            n == r.nth || (r.persistent && n > r.nth)
        })?;
        self.injected.fetch_add(1, Ordering::Relaxed);
        Some(hit.fault)
    }
}

/// What [`simulate_power_loss`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PowerLoss {
    /// Files deleted because their directory entry was never synced.
    pub deleted: Vec<PathBuf>,
    /// Bytes dropped from files, past their last successful sync.
    pub bytes_dropped: u64,
}

/// Simulates a power cut after the process that kept `journal` died: every file the journal
/// saw created is cut back to its last synced length plus `keep(unsynced_bytes)` bytes of what
/// followed (0: a strict cut; anything up to `unsynced_bytes`: a partly flushed page cache),
/// and deleted if no directory sync followed its creation.
pub fn simulate_power_loss(
    journal: &Path,
    mut keep: impl FnMut(u64) -> u64,
) -> io::Result<PowerLoss> {
    #[derive(Default)]
    struct FileState {
        synced: u64,
        entry_durable: bool,
    }
    let mut files: Vec<(PathBuf, FileState)> = Vec::new();
    for line in io::BufReader::new(std::fs::File::open(journal)?).lines() {
        let line = line?;
        let (kind, rest) = line.split_once(' ').unwrap_or((&line, ""));
        match kind {
            "create" => files.push((PathBuf::from(rest), FileState::default())),
            "sync" => {
                let (len, path) = rest.split_once(' ').unwrap_or(("0", rest));
                if let Some((_, st)) = files.iter_mut().rev().find(|(p, _)| p == Path::new(path)) {
                    st.synced = len.parse().unwrap_or(0);
                }
            }
            "dirsync" => {
                for (p, st) in &mut files {
                    if p.parent() == Some(Path::new(rest)) {
                        st.entry_durable = true;
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = PowerLoss::default();
    for (path, st) in files {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if !st.entry_durable {
            std::fs::remove_file(&path)?;
            out.deleted.push(path);
            continue;
        }
        let unsynced = meta.len().saturating_sub(st.synced);
        let kept = keep(unsynced).min(unsynced);
        if kept < unsynced {
            std::fs::OpenOptions::new().write(true).open(&path)?.set_len(st.synced + kept)?;
            out.bytes_dropped += unsynced - kept;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_the_nth_call_once_or_from_then_on() {
        let f = FaultInjector::new();
        f.fail_nth(Some(IoOp::Sync), 2, libc::EIO, false);
        f.fail_nth(Some(IoOp::Write), 3, libc::ENOSPC, true);
        let syncs: Vec<bool> = (0..4).map(|_| f.check(IoOp::Sync).is_some()).collect();
        assert_eq!(syncs, [false, true, false, false]);
        let writes: Vec<bool> = (0..5).map(|_| f.check(IoOp::Write).is_some()).collect();
        assert_eq!(writes, [false, false, true, true, true]);
        assert_eq!(f.check(IoOp::Write), Some(Fault::Errno(libc::ENOSPC)));
        assert_eq!((f.calls(Some(IoOp::Sync)), f.calls(None), f.injected()), (4, 10, 5));
    }

    #[test]
    fn an_any_op_rule_counts_all_calls() {
        let f = FaultInjector::new();
        f.fail_nth(None, 3, libc::EIO, false);
        assert!(f.check(IoOp::Create).is_none());
        assert!(f.check(IoOp::Write).is_none());
        assert!(f.check(IoOp::Sync).is_some());
        assert!(f.check(IoOp::Sync).is_none());
    }
}
