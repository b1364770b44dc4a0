//! One handle mechanism for every C object (after rustls-ffi's `Castable`).
//!
//! C holds a pointer to an opaque type (`rtlog_logger`, ...). Each opaque type implements
//! [`Castable`]: its `RustType` is the Rust object behind it, and its `Ownership` says how the
//! pointer refers to that object:
//!
//! | C type           | Rust object            | ownership                                   |
//! |------------------|------------------------|---------------------------------------------|
//! | `rtlog_logger`   | [`Logger`]             | [`ArcBoxed`]: a `Box<Arc<Logger>>` from rtlog_init, freed by rtlog_destroy |
//! | `rtlog_producer` | [`Producer`]           | [`Borrowed`]: owned by its logger, freed by rtlog_destroy |
//! | `rtlog_reader`   | [`ReaderHandle`]       | [`Boxed`]: a `Box<ReaderHandle>` from rtlog_reader_open, freed by rtlog_reader_close |
//!
//! The helpers [`try_ref`] and [`try_mut`] turn a NULL pointer into
//! `RTLOG_ERR_INVALID_ARGUMENT` before any dereference, recording a last-error text only when
//! asked (non-RT callers ask; RT callers must not, since recording allocates). [`into_raw`],
//! [`lend`], [`take`] and [`free`] are the only places where an object becomes a C pointer or
//! stops being one. No other code in `ffi/` casts an object pointer.

use super::boundary::{arg, arg_mut};
use super::types::message_info::CMessage;
use super::types::schema::CTypes;
use super::types::{rtlog_logger, rtlog_producer, rtlog_reader, rtlog_status};
use crate::logger::Logger;
use crate::reader::Reader;
use crate::rt::producer::Producer;
use std::ptr::NonNull;
use std::sync::Arc;

/// How a C pointer refers to its Rust object: the type it points to is `Pointee<T>`.
pub trait Ownership {
    /// What the C pointer points to, for a Rust object `T`.
    type Pointee<T>;
}

/// The pointer is a `Box<T>` made by [`into_raw`]; C frees it with the type's destroy function.
pub enum Boxed {}
/// The pointer is a `Box<Arc<T>>` made by [`into_raw`]: the object may outlive C's handle
/// (an internal thread holds another `Arc`); C frees the handle with its destroy function.
pub enum ArcBoxed {}
/// The pointer refers to a `T` owned by another object (made by [`lend`]); C never frees it.
pub enum Borrowed {}

impl Ownership for Boxed {
    type Pointee<T> = T;
}
impl Ownership for ArcBoxed {
    type Pointee<T> = Arc<T>;
}
impl Ownership for Borrowed {
    type Pointee<T> = T;
}

/// The ownership kinds whose handles C creates and frees ([`into_raw`], [`take`], [`free`]).
pub trait Owned: Ownership {}
impl Owned for Boxed {}
impl Owned for ArcBoxed {}

/// An opaque C type and the Rust object behind it. One implementation per C object, here.
pub trait Castable {
    /// How the C pointer refers to the object.
    type Ownership: Ownership;
    /// The Rust object behind the C type.
    type RustType;
}

/// What a pointer to the C type `C` points to.
pub type Pointee<C> = <<C as Castable>::Ownership as Ownership>::Pointee<<C as Castable>::RustType>;

impl Castable for rtlog_logger {
    type Ownership = ArcBoxed;
    type RustType = Logger;
}

impl Castable for rtlog_producer {
    type Ownership = Borrowed;
    type RustType = Producer;
}

impl Castable for rtlog_reader {
    type Ownership = Boxed;
    type RustType = ReaderHandle;
}

/// The Rust object behind an `rtlog_reader *`: the reader, the C views of the record types
/// handed out by rtlog_reader_schema (kept until the reader is closed), and the texts of the
/// message last described by rtlog_reader_message(_arg) (kept until the next such call).
pub struct ReaderHandle {
    /// The reader.
    pub reader: Reader,
    /// The C views of record types handed out so far.
    pub c_types: CTypes,
    /// The texts behind the last rtlog_message_info and rtlog_message_arg handed out.
    pub c_message: CMessage,
}

impl From<Reader> for ReaderHandle {
    fn from(reader: Reader) -> ReaderHandle {
        ReaderHandle { reader, c_types: CTypes::default(), c_message: CMessage::default() }
    }
}

/// The object behind a C pointer, or `INVALID_ARGUMENT` for NULL (with a last-error text
/// naming the argument `name` when `record` is true; RT callers pass false).
///
/// # Safety
/// A non-NULL `ptr` must be a live handle of its type (made by [`into_raw`] or [`lend`] and
/// not freed), not mutated by another thread during the returned lifetime.
#[inline(always)]
pub unsafe fn try_ref<'a, C: Castable>(
    ptr: *const C,
    name: &str,
    record: bool,
) -> Result<&'a Pointee<C>, rtlog_status> {
    // SAFETY: a non-NULL ptr points to a live `Pointee<C>` (this function's contract and the
    // `Castable` implementation of C, which says what its handles point to).
    unsafe { arg(ptr.cast::<Pointee<C>>(), name, record) }
}

/// The object behind a C pointer, mutably, or `INVALID_ARGUMENT` for NULL (as [`try_ref`]).
///
/// # Safety
/// A non-NULL `ptr` must be a live handle of its type, used by no other thread during the
/// returned lifetime (the one-thread-at-a-time rule of the type's documentation).
#[inline(always)]
pub unsafe fn try_mut<'a, C: Castable>(
    ptr: *mut C,
    name: &str,
    record: bool,
) -> Result<&'a mut Pointee<C>, rtlog_status> {
    // SAFETY: a non-NULL ptr points to a live, unaliased `Pointee<C>` (this function's
    // contract and the `Castable` implementation of C).
    unsafe { arg_mut(ptr.cast::<Pointee<C>>(), name, record) }
}

/// Moves an object to the heap and gives C its handle (free it with [`take`] or [`free`]).
pub fn into_raw<C: Castable>(value: Pointee<C>) -> *mut C
where
    C::Ownership: Owned,
{
    Box::into_raw(Box::new(value)).cast()
}

/// The handle of an object owned elsewhere (C never frees it).
pub fn lend<C: Castable<Ownership = Borrowed>>(object: NonNull<C::RustType>) -> *mut C {
    object.as_ptr().cast()
}

/// Takes the object back from C (None for NULL); the handle is invalid afterwards.
///
/// # Safety
/// A non-NULL `ptr` must come from [`into_raw`] for the same type, not taken yet, and not be
/// used by any thread afterwards.
pub unsafe fn take<C: Castable>(ptr: *mut C) -> Option<Pointee<C>>
where
    C::Ownership: Owned,
{
    // SAFETY: a non-NULL ptr is a `Box<Pointee<C>>` from `into_raw`, taken once (the contract).
    (!ptr.is_null()).then(|| *unsafe { Box::from_raw(ptr.cast::<Pointee<C>>()) })
}

/// Frees the object behind a handle; NULL is a no-op.
///
/// # Safety
/// As for [`take`].
pub unsafe fn free<C: Castable>(ptr: *mut C)
where
    C::Ownership: Owned,
{
    // SAFETY: forwarded with the same contract.
    drop(unsafe { take(ptr) });
}
