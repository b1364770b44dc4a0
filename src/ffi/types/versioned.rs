//! The `struct_size` rule for the structs the library writes into the caller's memory (and
//! those it hands out): what each published version of a struct measured.
//!
//! lttng-ust's rule: a struct begins with `uint32_t struct_size`, fields are only ever added at
//! the end, never reordered or removed. The caller sets struct_size to the sizeof it was
//! compiled with (through the struct's `_init` function); the library then writes only the
//! first `min(struct_size, its own sizeof)` bytes, so an older caller's smaller struct gets the
//! leading fields it knows, and a newer caller's larger struct gets this library's fields with
//! the rest untouched. The copying is done by `ffi/boundary.rs` ([`super::super::boundary`]'s
//! `versioned_out` and `versioned_in`), from the sizes declared here.

/// A C struct that begins with `uint32_t struct_size` and grows by appending fields.
pub trait Versioned: Copy {
    /// The C name, for error texts.
    const NAME: &'static str;
    /// The sizeof of every published version, oldest first; the last one is this library's
    /// `size_of::<Self>()` (a unit test checks it). A caller's struct_size must be one of them,
    /// or larger than the last (a newer header's struct); anything else, including a size that
    /// ends inside a field, is refused. Append the new sizeof when appending fields.
    const SIZES: &'static [usize];
}

/// The sizeof of the version of `$ty` whose last field is `$field`: where that field ends,
/// rounded up to the struct's alignment (as a C compiler pads the struct).
macro_rules! version_size {
    ($ty:ty, $field:ident: $fty:ty) => {
        (::std::mem::offset_of!($ty, $field) + ::std::mem::size_of::<$fty>())
            .next_multiple_of(::std::mem::align_of::<$ty>())
    };
}
pub(crate) use version_size;

/// Whether a caller's struct_size is acceptable for `T`, and if so how many bytes the library
/// reads or writes: the struct_size itself for a known older version, this library's sizeof for
/// its own or a newer (larger) one. `None` for a size smaller than the first version's, or one
/// between versions (it would end inside a field).
pub fn accepted_len<T: Versioned>(struct_size: u32) -> Option<usize> {
    let size = struct_size as usize;
    let ours = std::mem::size_of::<T>();
    if size >= ours {
        Some(ours)
    } else {
        T::SIZES.contains(&size).then_some(size)
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    fn check<T: Versioned>(struct_size_offset: usize) {
        assert_eq!(struct_size_offset, 0, "{}: struct_size must be the first field", T::NAME);
        assert_eq!(T::SIZES.last(), Some(&std::mem::size_of::<T>()), "{}", T::NAME);
        assert!(T::SIZES.windows(2).all(|w| w[0] < w[1]), "{}", T::NAME);
        let first = T::SIZES[0];
        assert_eq!(accepted_len::<T>(0), None);
        assert_eq!(accepted_len::<T>(4), None);
        assert_eq!(accepted_len::<T>(first as u32 - 1), None);
        assert_eq!(accepted_len::<T>(first as u32), Some(first));
        let ours = std::mem::size_of::<T>();
        assert_eq!(accepted_len::<T>(ours as u32 + 64), Some(ours));
        assert_eq!(accepted_len::<T>(u32::MAX), Some(ours));
    }

    /// Every versioned struct: struct_size first, its sizes ascending and ending with sizeof.
    #[test]
    fn versioned_structs_declare_their_sizes() {
        use std::mem::offset_of;
        check::<rtlog_stats>(offset_of!(rtlog_stats, struct_size));
        check::<rtlog_producer_stats>(offset_of!(rtlog_producer_stats, struct_size));
        check::<rtlog_dlt_stats>(offset_of!(rtlog_dlt_stats, struct_size));
        check::<rtlog_reader_counts>(offset_of!(rtlog_reader_counts, struct_size));
        check::<rtlog_record>(offset_of!(rtlog_record, struct_size));
        check::<rtlog_field>(offset_of!(rtlog_field, struct_size));
        check::<rtlog_type_info>(offset_of!(rtlog_type_info, struct_size));
        check::<rtlog_message_info>(offset_of!(rtlog_message_info, struct_size));
        check::<rtlog_message_arg>(offset_of!(rtlog_message_arg, struct_size));
    }
}
