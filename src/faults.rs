//! A fault injector under the writer's file operations (a test hook; non-RT).
//!
//! Every segment-file operation asks the injector first. Tests give a logger an injector
//! ([`crate::Logger::init_with_faults`]) and tell it to fail the Nth call of an operation with
//! an errno, once or from then on — the approach of SQLite's I/O-error tests and RocksDB's
//! fault-injection file system. Without an injector the check is a `None` test.

use parking_lot::Mutex;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

/// The file operations the writer performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoOp {
    /// Creating a segment file.
    Create = 0,
    /// Writing bytes to a segment.
    Write = 1,
    /// `fdatasync` of a segment.
    Sync = 2,
    /// `fsync` of the log directory.
    SyncDir = 3,
    /// Deleting a segment (retention).
    Remove = 4,
}

const OPS: usize = 5;

#[derive(Clone, Copy, Debug)]
struct Rule {
    op: Option<IoOp>,
    nth: u64,
    errno: i32,
    persistent: bool,
}

/// Counts file operations and fails the ones its rules name.
#[derive(Debug, Default)]
pub struct FaultInjector {
    calls: [AtomicU64; OPS],
    total: AtomicU64,
    rules: Mutex<Vec<Rule>>,
    injected: AtomicU64,
}

impl FaultInjector {
    /// An injector with no rules (it only counts).
    pub fn new() -> FaultInjector {
        FaultInjector::default()
    }

    /// Fails the `nth` call (1-based) of `op` — of any operation when `op` is `None` — with
    /// `errno`; with `persistent`, every later call of that kind fails too.
    pub fn fail_nth(&self, op: Option<IoOp>, nth: u64, errno: i32, persistent: bool) {
        self.rules.lock().push(Rule { op, nth, errno, persistent });
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

    /// Counts a call of `op`; the error to return instead of doing it, if a rule says so.
    pub fn check(&self, op: IoOp) -> Option<io::Error> {
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
        Some(io::Error::from_raw_os_error(hit.errno))
    }
}

/// Asks an optional injector about `op`.
pub(crate) fn check(faults: Option<&FaultInjector>, op: IoOp) -> io::Result<()> {
    match faults.and_then(|f| f.check(op)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
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
        assert_eq!(f.check(IoOp::Write).unwrap().raw_os_error(), Some(libc::ENOSPC));
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
