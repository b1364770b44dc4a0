//! Every C type of the API, and its translation to and from the core's types.
//!
//! - [`objects`]: the opaque `rtlog_logger`, `rtlog_producer` and `rtlog_reader` (which Rust
//!   object stands behind each is declared in `ffi/handle.rs`);
//! - [`enums`]: `rtlog_status`, the other enums and their raw-integer twins;
//! - [`message`]: `rtlog_level`, and the call sites and arguments of log messages;
//! - [`message_info`]: `rtlog_message_info` and `rtlog_message_arg`, a message read back;
//! - [`config`]: `rtlog_config` and its translation to [`crate::Config`];
//! - [`stats`]: the statistics structs, filled from the core's counters;
//! - [`record`]: `rtlog_record` and the reader's filters;
//! - [`schema`]: the typed-record views `rtlog_field` and `rtlog_type_info`;
//! - [`versioned`]: the `struct_size` rule of the structs the library writes or hands out, and
//!   the sizes of their published versions.
//!
//! No function here is exported: the object modules of `ffi/` call these translations.

pub mod config;
pub mod enums;
pub mod message;
pub mod message_info;
pub mod objects;
pub mod record;
pub mod schema;
pub mod stats;
pub mod versioned;

pub use config::rtlog_config;
pub use enums::*;
pub use message::{
    rtlog_arg, rtlog_arg_type, rtlog_arg_value, rtlog_callsite, rtlog_level, RawLevel,
};
pub use message_info::{rtlog_message_arg, rtlog_message_info};
pub use objects::*;
pub use record::{rtlog_reader_options, rtlog_record};
pub use schema::{rtlog_field, rtlog_field_type, rtlog_type_info};
pub use stats::{rtlog_dlt_stats, rtlog_producer_stats, rtlog_reader_counts, rtlog_stats};
pub use versioned::Versioned;
