//! The opaque C objects. C sees only pointers to them; what a pointer really points to is
//! declared once, by their `Castable` implementations in `ffi/handle.rs`, and every exported
//! function goes through those casts.

/// An opaque logger. Created by rtlog_init, freed by rtlog_destroy. Its functions may be called
/// from any thread (see each function for the phase); behind it is an `Arc<crate::Logger>`.
pub struct rtlog_logger {
    _private: [u8; 0],
}

/// An opaque producer handle: one RT thread's end of its two rings. Created by
/// rtlog_producer_create, owned by the logger (freed by rtlog_destroy). Use it from one thread
/// at a time: publishing through one handle from two threads at once garbles that producer's
/// records (repeated or missing seqs, records out of order), though no other producer's.
/// Behind it is a `crate::Producer`.
pub struct rtlog_producer {
    _private: [u8; 0],
}

/// An opaque log reader. Created by rtlog_reader_open, freed by rtlog_reader_close. Use it from
/// one thread at a time. Behind it is a `crate::Reader` (with the C views of the record types
/// rtlog_reader_schema handed out).
pub struct rtlog_reader {
    _private: [u8; 0],
}
