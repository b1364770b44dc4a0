//! JSON string literals, written by hand: the tool only ever emits flat objects of numbers and
//! strings (and the fields of typed records), so it needs no JSON library. The escaping is the
//! library's, which `rtlog_reader_format` uses too.

pub use rtlog::schema::render::push_json_str as push_str;
