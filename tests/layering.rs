//! The layering rules of docs/ARCHITECTURE.md, checked on the source tree.
//!
//! Reads every `src/**/*.rs` file of the library (the CLI under `src/bin/` is a client of the
//! library and is not checked), finds which of the crate's modules each one refers to — `use`
//! trees and inline `crate::`, `super::` and `self::` paths, comments and string literals
//! excluded — and fails on a broken rule:
//!
//! 1. `rt/` refers only to `rt/`, `error` and `format::FrameKind`, and uses no lock, no file and
//!    no I/O (`parking_lot`, `Mutex`, `RwLock`, `std::fs`, `std::io`).
//! 2. Outside `ffi/`: no `extern "C"`, no `#[no_mangle]`, no C types; nothing refers to `ffi`.
//! 3. `format`, `state`, `error`, `logdir` and `message` are leaves: they refer only to each
//!    other, and `format` does no I/O.
//! 4. `writer` and `storage/` never refer to `reader`; `reader` and `logdir` never refer to
//!    `writer` or `storage/`.
//! 5. Only `ffi/` and `lib.rs` refer to `logger`.
//! 6. No cycle among modules, and no module reaches a moved item through `lib.rs`'s
//!    re-exports (the code uses the paths where things live).
//! 7. In `ffi/`, the object modules import only `handle`, `types` and `boundary` of `ffi/`,
//!    never each other.
//!
//! A module's `pub use` of its own children is its table of contents, not a dependency, and
//! `lib.rs`'s re-exports of moved paths are there for tests, benchmarks and fuzz targets only.
//!
//! The `checker_*` tests at the end feed the checker small made-up trees, one per rule, so the
//! checker itself is shown to catch each kind of break.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path such as `rt::ring` (`""` is the crate root).
type Module = String;

/// Every module of the tree and its source, comments and literals blanked out.
struct Tree {
    sources: BTreeMap<Module, String>,
}

impl Tree {
    fn from_src(src: &Path) -> Tree {
        let mut files = Vec::new();
        collect(src, &mut files);
        let mut t = Tree { sources: BTreeMap::new() };
        for f in files {
            let rel = f.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
            if rel.starts_with("bin/") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            t.add(&rel, &text);
        }
        t
    }

    /// Adds the file at `rel` (relative to `src/`).
    fn add(&mut self, rel: &str, text: &str) {
        let module = match rel.trim_end_matches(".rs") {
            "lib" => String::new(),
            s => s.trim_end_matches("/mod").replace('/', "::"),
        };
        self.sources.insert(module, strip(text));
    }

    /// The module a path names: its longest prefix that is a module of the tree.
    fn resolve(&self, path: &[String]) -> Module {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| self.sources.contains_key(m))
            .unwrap_or_default()
    }

    /// Every (module referred to, full path) in `module`'s source.
    fn references(&self, module: &str) -> Vec<(Module, String)> {
        let src = &self.sources[module];
        let file_scope: Vec<String> =
            if module.is_empty() { vec![] } else { module.split("::").map(String::from).collect() };
        let mut out = Vec::new();
        for Found { inline, path, reexport } in paths(src) {
            let scope = [file_scope.clone(), inline].concat();
            let mut full: Vec<String> = match path[0].as_str() {
                "crate" => vec![],
                "super" => scope[..scope.len().saturating_sub(1)].to_vec(),
                "self" => scope.clone(),
                // A 2018-style `use child::x` in a module that has that child.
                first if self.sources.contains_key(&join(&scope, first)) => scope.clone(),
                _ => continue,
            };
            let rest = if path[0] == "crate" || path[0] == "super" || path[0] == "self" {
                &path[1..]
            } else {
                &path[..]
            };
            // `super::super::x`
            let mut rest = rest.to_vec();
            while rest.first().is_some_and(|s| s == "super") {
                full.pop();
                rest.remove(0);
            }
            full.extend(rest);
            let target = self.resolve(&full);
            // A module's re-exports of its own children are its table of contents.
            let own_child = !module.is_empty() && target.starts_with(&format!("{module}::"));
            if target != module && !(reexport && own_child) {
                out.push((target, full.join("::")));
            }
        }
        out
    }

    /// Which module refers to which. The root is left out: `lib.rs` is a table of contents
    /// whose re-exports are not dependencies.
    fn graph(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        self.sources
            .keys()
            .filter(|m| !m.is_empty())
            .map(|m| (m.clone(), self.references(m).into_iter().map(|(t, _)| t).collect()))
            .collect()
    }
}

fn join(scope: &[String], name: &str) -> Module {
    let mut v = scope.to_vec();
    v.push(name.to_string());
    v.join("::")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source with comments removed and string and char literals emptied, so that only code
/// is searched (a doc link or a message naming a module is not a dependency).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == b'/' && next == Some(b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'r' && (next == Some(b'"') || next == Some(b'#')) && raw_string_at(b, i) {
            let hashes = b[i + 1..].iter().take_while(|&&h| h == b'#').count();
            let close: Vec<u8> =
                std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' && (next == Some(b'\\') || b.get(i + 2) == Some(&b'\'')) {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

fn raw_string_at(b: &[u8], i: usize) -> bool {
    let before_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    let hashes = b[i + 1..].iter().take_while(|&&h| h == b'#').count();
    before_ok && b.get(i + 1 + hashes) == Some(&b'"')
}

/// Every path that starts at `crate`, `super`, `self` or a plain name followed by `::`, with
/// `use` groups (`a::{b, c::d}`) expanded, and the inline modules (`mod tests { .. }`) it
/// stands in, whose names extend the file's module for `self` and `super`.
fn paths(src: &str) -> Vec<Found> {
    let tokens = tokenize(src);
    let mut out = Vec::new();
    // Inside a `pub use` (or `pub(crate) use`) statement.
    let mut reexport = false;
    // Open inline modules, with the brace depth inside each.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        let starts = is_ident(t)
            && tokens.get(i + 1).is_some_and(|t| t == "::")
            && (i == 0 || tokens[i - 1] != "::");
        if t == "mod" && tokens.get(i + 2).is_some_and(|t| t == "{") {
            depth += 1;
            inline.push((tokens[i + 1].clone(), depth));
            i += 3;
        } else if t == "use" {
            let prev = if i > 0 { tokens[i - 1].as_str() } else { "" };
            reexport = prev == "pub"
                || (prev == ")" && tokens[..i].iter().rev().nth(3).is_some_and(|t| t == "pub"));
            i += 1;
        } else if t == ";" {
            reexport = false;
            i += 1;
        } else if t == "{" {
            depth += 1;
            i += 1;
        } else if t == "}" {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth -= 1;
            i += 1;
        } else if starts {
            let mut found = Vec::new();
            i = path_tree(&tokens, i, Vec::new(), &mut found);
            let inline: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
            out.extend(found.into_iter().map(|path| Found {
                inline: inline.clone(),
                path,
                reexport,
            }));
        } else {
            i += 1;
        }
    }
    out
}

/// A path found in a module's source.
struct Found {
    /// The inline modules it stands in.
    inline: Vec<String>,
    path: Vec<String>,
    /// It is re-exported (`pub use`).
    reexport: bool,
}

/// Reads a path (and its `{...}` group, if any) at `tokens[i]`; returns the index after it.
fn path_tree(
    tokens: &[String],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        Some(t) if is_ident(t) || t == "*" => {
                            i = path_tree(tokens, i, path.clone(), out);
                        }
                        Some(_) => i += 1,
                        None => return i,
                    }
                }
            }
            Some(t) if is_ident(t) => {
                path.push(t.to_string());
                i += 1;
                if tokens.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
    i
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

fn tokenize(src: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            let mut t = c.to_string();
            while let Some(&n) = chars.peek() {
                if n.is_alphanumeric() || n == '_' {
                    t.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(t);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push("::".into());
        } else if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    tokens
}

fn under(module: &str, root: &str) -> bool {
    module == root || module.starts_with(&format!("{root}::"))
}

/// Every broken rule of `tree`, as readable lines.
fn violations(tree: &Tree) -> Vec<String> {
    let mut v = Vec::new();
    let leaves = ["format", "state", "error", "logdir", "message"];
    for module in tree.sources.keys() {
        let src = &tree.sources[module];
        let name = if module.is_empty() { "lib" } else { module.as_str() };
        let refs = tree.references(module);
        // Rule 1.
        if under(module, "rt") {
            for (target, path) in &refs {
                let ok = under(target, "rt")
                    || target == "error"
                    || (target == "format"
                        && ["format::FrameKind", "format::Level"]
                            .iter()
                            .any(|p| path.starts_with(p)))
                    || under(target, "format::message");
                if !ok {
                    v.push(format!("rule 1: {name} (RT) refers to {path}"));
                }
            }
            for word in ["parking_lot", "Mutex", "RwLock", "std::fs", "std::io"] {
                if contains_code(src, word) {
                    v.push(format!("rule 1: {name} (RT) uses {word}"));
                }
            }
        }
        // Rule 2.
        if !under(module, "ffi") {
            for word in ["extern \"\"", "no_mangle", "c_char", "c_void", "std::os::raw"] {
                if contains_code(src, word) {
                    let word = word.replace("\"\"", "\"C\"");
                    v.push(format!("rule 2: {name} (outside ffi/) has {word}"));
                }
            }
            for (target, path) in &refs {
                if under(target, "ffi") && !module.is_empty() {
                    v.push(format!("rule 2: {name} refers to the C boundary ({path})"));
                }
            }
        }
        // Rule 3.
        if leaves.iter().any(|l| under(module, l)) {
            for (target, path) in &refs {
                if !leaves.iter().any(|l| under(target, l)) {
                    v.push(format!("rule 3: leaf {name} refers to {path}"));
                }
            }
        }
        if under(module, "format") {
            for word in ["std::fs", "std::io", "File"] {
                if contains_code(src, word) {
                    v.push(format!("rule 3: format does I/O ({word})"));
                }
            }
        }
        // Rule 4.
        let write_side = module == "writer" || under(module, "storage");
        let read_side = under(module, "reader") || under(module, "logdir");
        for (target, path) in &refs {
            if write_side && under(target, "reader") {
                v.push(format!("rule 4: {name} (write side) refers to the reader ({path})"));
            }
            if read_side && (target == "writer" || under(target, "storage")) {
                v.push(format!("rule 4: {name} (read side) refers to the write side ({path})"));
            }
        }
        // Rule 5.
        if !module.is_empty() && !under(module, "ffi") {
            for (target, path) in &refs {
                if under(target, "logger") && !under(module, "logger") {
                    v.push(format!("rule 5: {name} refers to the logger ({path})"));
                }
            }
        }
        // Rule 7.
        if under(module, "ffi") && module != "ffi" {
            let shared = ["ffi::handle", "ffi::types", "ffi::boundary"];
            let is_shared = |m: &str| shared.iter().any(|s| under(m, s));
            for (target, path) in &refs {
                if !is_shared(module) && under(target, "ffi") && !is_shared(target) {
                    v.push(format!("rule 7: ffi object module {name} refers to {path}"));
                }
            }
        }
        // Rule 6, re-exports: a path that only the root resolves names a re-export.
        if !module.is_empty() {
            for (target, path) in &refs {
                if target.is_empty() {
                    v.push(format!("rule 6: {name} reaches {path} through lib.rs's re-exports"));
                }
            }
        }
    }
    v.extend(
        cycles(&tree.graph()).into_iter().map(|c| format!("rule 6: cycle {}", c.join(" -> "))),
    );
    v
}

/// Whether `word` appears in code as a whole word or path.
fn contains_code(src: &str, word: &str) -> bool {
    src.match_indices(word).any(|(at, _)| {
        let before = src[..at].chars().next_back();
        let after = src[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && boundary(after)
    })
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_library_keeps_its_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let tree = Tree::from_src(&src);
    for m in ["rt::ring", "rt::producer", "storage::backend", "format", "logdir::scan", "ffi"] {
        assert!(
            tree.sources.contains_key(m),
            "the checker found no module {m}: is it reading src/?"
        );
    }
    let v = violations(&tree);
    assert!(v.is_empty(), "layering rules broken (docs/ARCHITECTURE.md):\n{}", v.join("\n"));
}

/// A made-up tree: the root, and the given (file, source) pairs.
fn tree(files: &[(&str, &str)]) -> Tree {
    let mut t = Tree { sources: BTreeMap::new() };
    t.add("lib.rs", "pub mod rt; pub mod format; pub mod writer; pub use rt::ring;");
    for (rel, text) in files {
        t.add(rel, text);
    }
    t
}

fn assert_flags(files: &[(&str, &str)], rule: &str) {
    let v = violations(&tree(files));
    assert!(v.iter().any(|l| l.starts_with(rule)), "expected a {rule} violation, got {v:?}");
}

#[test]
fn checker_accepts_a_clean_tree() {
    let v = violations(&tree(&[
        ("rt/mod.rs", "pub mod ring; pub mod producer;"),
        ("rt/ring.rs", "use crate::format::FrameKind; // crate::writer in a comment\n"),
        ("rt/producer.rs", "use super::ring::{self, Slot}; const S: &str = \"crate::writer\";"),
        ("format.rs", "pub struct FrameKind;"),
        ("writer.rs", "use crate::rt::{ring::Slot, producer};"),
    ]));
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn checker_catches_rt_reaching_the_non_rt_side() {
    assert_flags(&[("rt/ring.rs", "use crate::writer;"), ("writer.rs", "")], "rule 1");
    assert_flags(&[("rt/ring.rs", "use crate::format::{FrameKind, SegmentHeader};")], "rule 1");
    assert_flags(&[("rt/ring.rs", "fn f() { let _ = std::fs::read(\"x\"); }")], "rule 1");
    assert_flags(&[("rt/ring.rs", "use parking_lot::Mutex;")], "rule 1");
}

#[test]
fn checker_catches_c_outside_ffi() {
    assert_flags(&[("writer.rs", "#[no_mangle] pub extern \"C\" fn f() {}")], "rule 2");
    assert_flags(&[("writer.rs", "use crate::ffi::types;"), ("ffi/mod.rs", "")], "rule 2");
}

#[test]
fn checker_catches_leaves_that_import() {
    assert_flags(&[("format.rs", "use crate::writer::Writer;"), ("writer.rs", "")], "rule 3");
    assert_flags(&[("format.rs", "fn f() -> std::io::Result<()> { Ok(()) }")], "rule 3");
}

#[test]
fn checker_catches_write_and_read_sides_meeting() {
    assert_flags(&[("writer.rs", "use crate::reader::Reader;"), ("reader.rs", "")], "rule 4");
    assert_flags(
        &[("reader.rs", "use crate::storage::segment;"), ("storage/segment.rs", "")],
        "rule 4",
    );
}

#[test]
fn checker_catches_imports_of_the_logger() {
    assert_flags(
        &[("writer.rs", "fn f(_: &crate::logger::Logger) {}"), ("logger.rs", "")],
        "rule 5",
    );
}

#[test]
fn checker_catches_ffi_object_modules_importing_each_other() {
    assert_flags(
        &[("ffi/dlt.rs", "use super::logger::logger;"), ("ffi/logger.rs", ""), ("ffi/mod.rs", "")],
        "rule 7",
    );
    let v = violations(&tree(&[
        ("ffi/mod.rs", "pub mod handle; pub mod logger;"),
        ("ffi/handle.rs", ""),
        ("ffi/logger.rs", "use super::handle::Castable;"),
    ]));
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn checker_catches_cycles_and_re_exported_paths() {
    assert_flags(
        &[("writer.rs", "use crate::supervisor::S;"), ("supervisor.rs", "use super::writer::W;")],
        "rule 6: cycle",
    );
    assert_flags(&[("writer.rs", "use crate::ring::Slot;")], "rule 6");
}
