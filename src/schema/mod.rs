//! Typed records (non-RT): record types declared at INIT with a field layout, stored in every
//! segment header, and decoded by readers.
//!
//! - [`layout`]: the layout strings (`"u32 axis; f64 position; char[16] mode"`) and the C
//!   struct layout they stand for.
//! - [`Registry`]: the types a logger registers during INIT, validated there (never on the RT
//!   path: `publish` does not look at types at all).
//! - [`Schema`]: the types of one segment, as a reader finds them in its header.
//! - [`render`]: a record's fields as text (`axis_state{axis=2 position=0.125}`) or JSON.
//!
//! A payload is decoded only when its length equals the type's size; otherwise readers show it
//! as bytes and report the mismatch. Values are read little-endian (the byte order of every
//! platform rtlog runs on).

pub mod layout;
pub mod render;

use crate::error::{Error, Result, Status};
use crate::format::TypeEntry;
pub use layout::{Field, Layout, Scalar};
use std::collections::HashMap;
use std::sync::Arc;

/// Most bytes the registered types may take in a segment header (the type table), so that a
/// header with the largest producer table still fits the format's 1 MiB limit.
pub const MAX_TYPE_TABLE_BYTES: usize = 256 << 10;

/// A record type: the id given to `publish`, a name and a layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordType {
    /// The record type number of the frames it describes.
    pub id: u16,
    /// Its name (`rtlog dump` prints it and `--type NAME` selects it).
    pub name: String,
    /// Its fields.
    pub layout: Layout,
}

impl RecordType {
    /// How it is stored in a segment header.
    pub fn entry(&self) -> TypeEntry {
        TypeEntry {
            id: self.id,
            name: self.name.clone(),
            size: self.layout.size(),
            layout: self.layout.text().to_string(),
        }
    }
}

/// A type name: 1 to 64 bytes, a letter or `_` first, then letters, digits, `_`, `.` or `:`
/// (so `motion.axis_state` or `motion::AxisState` can name a C++ type).
pub fn check_type_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.len() > layout::MAX_NAME_BYTES {
        return Err(format!(
            "type name must be 1..={} bytes, got {}",
            layout::MAX_NAME_BYTES,
            name.len()
        ));
    }
    let first_ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'));
    if !first_ok || !rest_ok {
        return Err(format!(
            "bad type name {name:?}: a letter or '_' first, then letters, digits, '_', '.' or ':'"
        ));
    }
    Ok(())
}

/// The types registered with a logger during INIT.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    types: Vec<RecordType>,
    table_bytes: usize,
}

impl Registry {
    /// Validates and adds a type. Every failure is `Status::Config` with a message naming the
    /// type and the problem.
    pub fn register(
        &mut self,
        id: u16,
        name: &str,
        layout: &str,
        max_record_size: u32,
    ) -> Result<&RecordType> {
        let fail = |msg: String| Error::new(Status::Config, msg);
        check_type_name(name).map_err(fail)?;
        if let Some(t) = self.get(id) {
            return Err(fail(format!("type id {id} is already registered (as {:?})", t.name)));
        }
        if let Some(t) = self.types.iter().find(|t| t.name == name) {
            return Err(fail(format!(
                "type name {name:?} is already registered (type id {})",
                t.id
            )));
        }
        let layout = Layout::parse(layout).map_err(|e| fail(format!("type {id} {name:?}: {e}")))?;
        if layout.size() > max_record_size {
            return Err(fail(format!(
                "type {id} {name:?} is {} bytes, more than max_record_size = {max_record_size}: \
                 raise max_record_size or shrink the layout",
                layout.size()
            )));
        }
        let t = RecordType { id, name: name.to_string(), layout };
        let bytes = t.entry().encoded_len();
        if self.table_bytes + bytes > MAX_TYPE_TABLE_BYTES {
            return Err(fail(format!(
                "type {id} {name:?} does not fit: the registered types would take more than \
                 {MAX_TYPE_TABLE_BYTES} bytes of each segment header"
            )));
        }
        self.table_bytes += bytes;
        self.types.push(t);
        Ok(self.types.last().expect("just pushed"))
    }

    /// The type registered under `id`.
    pub fn get(&self, id: u16) -> Option<&RecordType> {
        self.types.iter().find(|t| t.id == id)
    }

    /// The types as stored in segment headers, in registration order.
    pub fn entries(&self) -> Vec<TypeEntry> {
        self.types.iter().map(RecordType::entry).collect()
    }
}

/// The types of one segment, by id.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    types: Vec<Arc<RecordType>>,
}

/// Shares identical types between the schemas of successive segments, so a reader holds each
/// distinct type once however many segments it reads (and C callers can keep pointers to it).
#[derive(Debug, Default)]
pub struct Interner {
    known: HashMap<TypeEntry, Arc<RecordType>>,
}

impl Schema {
    /// The schema of a segment header's type table. An entry whose layout this version cannot
    /// parse, or whose stored size disagrees with the layout, is left out: its records read as
    /// untyped bytes. The first of two entries with the same id wins.
    pub fn of(entries: &[TypeEntry], interner: &mut Interner) -> Schema {
        let mut types: Vec<Arc<RecordType>> = Vec::with_capacity(entries.len());
        for e in entries {
            if types.iter().any(|t| t.id == e.id) {
                continue;
            }
            if let Some(t) = interner.known.get(e) {
                types.push(t.clone());
                continue;
            }
            let Ok(layout) = Layout::parse(&e.layout) else {
                continue;
            };
            if layout.size() != e.size || check_type_name(&e.name).is_err() {
                continue;
            }
            let t = Arc::new(RecordType { id: e.id, name: e.name.clone(), layout });
            interner.known.insert(e.clone(), t.clone());
            types.push(t);
        }
        types.sort_by_key(|t| t.id);
        Schema { types }
    }

    /// The type with this id.
    pub fn get(&self, id: u16) -> Option<&Arc<RecordType>> {
        self.types.binary_search_by_key(&id, |t| t.id).ok().map(|i| &self.types[i])
    }

    /// The type with this name.
    pub fn by_name(&self, name: &str) -> Option<&Arc<RecordType>> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Every type, by id.
    pub fn types(&self) -> &[Arc<RecordType>] {
        &self.types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_refuses_duplicates_bad_names_and_oversized_types() {
        let mut r = Registry::default();
        assert_eq!(r.register(1, "axis", "u32 a; f64 b", 256).unwrap().layout.size(), 16);
        let cases: &[(u16, &str, &str, u32, &str)] = &[
            (1, "other", "u8 x", 256, "type id 1 is already registered (as \"axis\")"),
            (2, "axis", "u8 x", 256, "type name \"axis\" is already registered (type id 1)"),
            (2, "", "u8 x", 256, "type name must be 1..=64 bytes, got 0"),
            (2, "9lives", "u8 x", 256, "bad type name \"9lives\""),
            (2, "a b", "u8 x", 256, "bad type name \"a b\""),
            (2, "big", "u8[300] x", 256, "type 2 \"big\" is 300 bytes, more than max_record_size"),
            (2, "bad", "u8 x; u8 x", 256, "type 2 \"bad\": duplicate field name \"x\""),
        ];
        for (id, name, layout, max, expected) in cases {
            let e = r.register(*id, name, layout, *max).unwrap_err();
            assert_eq!(e.status, Status::Config);
            assert!(e.message.contains(expected), "{:?} does not say {expected:?}", e.message);
        }
        assert!(r.register(2, "motion::Axis.v2", "u8 x", 256).is_ok());
        assert_eq!(r.entries().len(), 2);
    }

    #[test]
    fn the_type_table_has_a_budget() {
        let mut r = Registry::default();
        let layout: String = (0..150).map(|i| format!("f64 field_number_{i:03}; ")).collect();
        let mut n = 0u16;
        let e = loop {
            match r.register(n, &format!("t{n}"), &layout, 1 << 20) {
                Ok(_) => n += 1,
                Err(e) => break e,
            }
        };
        assert!(e.message.contains("more than 262144 bytes"), "{}", e.message);
        let bytes: usize = r.entries().iter().map(TypeEntry::encoded_len).sum();
        assert!(bytes <= MAX_TYPE_TABLE_BYTES && bytes + 4000 > MAX_TYPE_TABLE_BYTES, "{bytes}");
    }

    #[test]
    fn schemas_share_identical_types_and_skip_unreadable_ones() {
        let entry = |id, name: &str, layout: &str, size| TypeEntry {
            id,
            name: name.into(),
            layout: layout.into(),
            size,
        };
        let mut interner = Interner::default();
        let a = Schema::of(
            &[
                entry(5, "b", "u8 x", 1),
                entry(1, "a", "u32 x", 4),
                entry(2, "future", "f16 x", 2),
                entry(3, "liar", "u32 x", 8),
                entry(1, "dup", "u8 x", 1),
            ],
            &mut interner,
        );
        let ids: Vec<u16> = a.types().iter().map(|t| t.id).collect();
        assert_eq!(ids, [1, 5]);
        assert_eq!(a.get(1).unwrap().name, "a");
        assert_eq!(a.by_name("b").unwrap().id, 5);
        assert!(a.get(2).is_none() && a.get(3).is_none());
        let b = Schema::of(&[entry(1, "a", "u32 x", 4)], &mut interner);
        assert!(Arc::ptr_eq(a.get(1).unwrap(), b.get(1).unwrap()));
    }
}
