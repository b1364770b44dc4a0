//! Finding an installed program (the dlt-daemon, stress-ng) without running a shell.

use std::path::PathBuf;

/// The first `name` in `PATH`, then in /usr/bin and /usr/sbin (Debian puts daemons there, and
/// `PATH` may lack sbin).
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
