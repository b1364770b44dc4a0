//! Storage (non-RT): where the writer's segments go, and the log directory's upkeep.
//!
//! The writer owns the write-ahead-log logic and reaches storage only through the [`Backend`]
//! trait; the logger opens storage once, at INIT, with [`open`]. Storage finds and reads
//! segment files through [`crate::logdir`] and decodes them with [`crate::format`]: it never
//! uses the reader.
//!
//! - [`backend`]: the [`Backend`] trait and its implementations (file, null, dummy).
//! - [`segment`]: one segment file being appended to; [`direct`]: its `O_DIRECT` writes.
//! - [`dir`]: creating and locking the log directory, syncing its entries.
//! - [`recovery`]: where a crashed log ends; [`retention`]: deleting old segments, and
//!   keeping those not shipped yet ([`ship_cursor`]: how far `rtlog ship` has got).
//! - [`replica`]: writing frames with the LSNs and epochs they were given elsewhere (the
//!   collector's rebuild of a shipped log).
//! - [`faults`]: fault-injection points (the injector itself is test scaffolding).
//! - [`sigxfsz`]: keeping `SIGXFSZ` from ending the process on a write past `RLIMIT_FSIZE`.

pub mod backend;
pub mod dir;
pub mod direct;
pub mod faults;
pub mod recovery;
pub mod replica;
pub mod retention;
pub mod segment;
pub mod ship_cursor;
pub(crate) mod sigxfsz;

pub use backend::{Backend, BackendKind};

use crate::error::Result;
use backend::dummy::{DummyBackend, DummyShared};
use backend::file::FileBackend;
use backend::null::NullBackend;
use dir::DirLock;
use faults::FaultInjector;
use std::path::Path;
use std::sync::Arc;

/// Storage opened for a logger.
pub struct Opened {
    /// Where the writer's segments go.
    pub backend: Box<dyn Backend>,
    /// The file backend's directory lock, held until the logger stops.
    pub lock: Option<DirLock>,
    /// The dummy backend's fault script and frames, for its C functions.
    pub dummy: Option<Arc<DummyShared>>,
}

/// Opens storage of `kind` (INIT): for files, creates `dir` if missing and locks it, so that
/// no other logger writes there; `direct_io` writes segments with `O_DIRECT`; `faults` (test
/// builds only) sits under every file operation.
pub fn open(
    kind: BackendKind,
    dir: &Path,
    direct_io: bool,
    faults: Option<Arc<FaultInjector>>,
) -> Result<Opened> {
    Ok(match kind {
        BackendKind::File => {
            dir::create_dir(dir)?;
            let lock = DirLock::acquire(dir)?;
            let backend = FileBackend::new(dir.to_path_buf(), faults, direct_io);
            Opened { backend: Box::new(backend), lock: Some(lock), dummy: None }
        }
        BackendKind::Null => Opened { backend: Box::new(NullBackend), lock: None, dummy: None },
        BackendKind::Dummy => {
            let shared = Arc::new(DummyShared::default());
            let backend = Box::new(DummyBackend::new(shared.clone()));
            Opened { backend, lock: None, dummy: Some(shared) }
        }
    })
}
