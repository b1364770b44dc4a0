//! Helpers shared by the CLI tests: the library tests' helpers (temporary directories, test
//! configurations, loggers; `tests/common` of the `rtlog` crate, used as they are) and running
//! the `rtlog` binary.
#![allow(dead_code, unused_imports)]

mod cli_run;
#[path = "../../../tests/common/mod.rs"]
mod library;
mod messages;

pub use cli_run::*;
pub use library::messages::Kinds;
pub use library::*;
pub use messages::*;
