//! Log messages on the read side: turning a message's format string and decoded arguments
//! back into text (issue 14). Non-RT: this runs on whoever reads the log, once per message,
//! never on an RT thread.
//!
//! - [`printf`]: a renderer that prints a printf format as glibc's `printf` would, with the
//!   rules for what C leaves undefined (a missing argument, one of the wrong kind, a string the
//!   producer cut).
//!
//! - [`decoded`]: a message frame decoded, with its call site, and its text.
//! - [`json`]: JSON string literals, for every JSON the library writes.
//!
//! A leaf: it imports only `format`.

pub mod decoded;
pub mod json;
pub mod printf;

pub use decoded::Message;
pub use printf::{render, render_bytes, Arg, Rendered};
