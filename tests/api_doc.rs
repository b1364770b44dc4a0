//! docs/API.md documents every function of include/rtlog.h and include/rtlog_testing.h: one
//! `### \`name\`` section per function, holding the header's declaration verbatim (whitespace
//! aside), a phase, a thread, and every status the header's comment says the function returns;
//! and no section for a function neither header has. A function added to the C API fails this
//! test until its section is written.

use std::collections::{BTreeMap, BTreeSet};

/// A function of the header: its declaration (whitespace collapsed) and the statuses its
/// doc comment names.
struct Declared {
    declaration: String,
    statuses: BTreeSet<String>,
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `RTLOG_OK`, `RTLOG_END` and `RTLOG_ERR_*` words of a text.
fn statuses(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| *w == "RTLOG_OK" || *w == "RTLOG_END" || w.starts_with("RTLOG_ERR_"))
        .map(str::to_string)
        .collect()
}

/// The name of the function a declaration declares: the identifier before its first `(`.
fn function_name(declaration: &str) -> Option<String> {
    let head = &declaration[..declaration.find('(')?];
    let name = head.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
    name.starts_with("rtlog_").then(|| name.to_string())
}

/// Every function declared in the header's `extern "C"` block, with its doc comment.
fn header_functions(header: &str) -> BTreeMap<String, Declared> {
    let start = header.find("extern \"C\" {").expect("extern \"C\" block in the header");
    let mut out = BTreeMap::new();
    let mut rest = &header[start..];
    while let Some(open) = rest.find("/**") {
        let close = open + rest[open..].find("*/").expect("closed doc comment");
        let doc = &rest[open..close];
        let after = &rest[close + 2..];
        let end = after.find(';').expect("declaration after a doc comment");
        let declaration = collapse(&after[..=end]);
        if let Some(name) = function_name(&declaration) {
            out.insert(name, Declared { declaration, statuses: statuses(doc) });
        }
        rest = &after[end..];
    }
    out
}

/// The `### \`name\`` sections of the document, by name.
fn doc_sections(doc: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        let is_heading = line.starts_with("## ") || line.starts_with("### ");
        if is_heading {
            if let Some((name, body)) = current.take() {
                out.insert(name, body);
            }
            if let Some(name) = line.strip_prefix("### `").and_then(|l| l.strip_suffix('`')) {
                if name.starts_with("rtlog_") {
                    current = Some((name.to_string(), String::new()));
                }
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some((name, body)) = current {
        out.insert(name, body);
    }
    out
}

#[test]
fn api_md_documents_every_function_of_the_header() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let production = header_functions(&read("include/rtlog.h"));
    let testing = header_functions(&read("include/rtlog_testing.h"));
    let doc = read("docs/API.md");
    let sections = doc_sections(&doc);
    assert!(production.len() >= 30, "only {} functions found in rtlog.h", production.len());
    assert!(testing.len() >= 7, "only {} functions found in rtlog_testing.h", testing.len());
    let mut functions = production;
    functions.extend(testing);
    assert!(functions.len() >= 35, "only {} functions found in the headers", functions.len());

    let mut problems = Vec::new();
    for (name, f) in &functions {
        let Some(body) = sections.get(name) else {
            problems.push(format!(
                "{name}: no section `### `{name}`` in docs/API.md (add one with `{}`)",
                f.declaration
            ));
            continue;
        };
        if !collapse(body).contains(&f.declaration) {
            problems.push(format!("{name}: the section lacks the declaration `{}`", f.declaration));
        }
        for word in ["Phase:", "Thread:", "Errors:"] {
            if !body.contains(word) {
                problems.push(format!("{name}: the section has no `{word}` line"));
            }
        }
        let documented = statuses(body);
        for s in f.statuses.difference(&documented) {
            problems.push(format!("{name}: the header says it returns {s}; docs/API.md does not"));
        }
    }
    for name in sections.keys().filter(|n| !functions.contains_key(*n)) {
        problems.push(format!("{name}: docs/API.md documents it, no header declares it"));
    }
    assert!(problems.is_empty(), "docs/API.md is out of date:\n  {}", problems.join("\n  "));
}

#[test]
fn the_parsers_see_what_they_should() {
    let header = "x\nextern \"C\" {\n/**\n * Doc. Returns RTLOG_ERR_IO; RTLOG_END.\n */\n\
                  enum rtlog_status rtlog_f(int a,\n    int b);\n/** Other. */\nvoid rtlog_g(void);\n";
    let f = header_functions(header);
    assert_eq!(f.len(), 2);
    assert_eq!(f["rtlog_f"].declaration, "enum rtlog_status rtlog_f(int a, int b);");
    assert_eq!(
        f["rtlog_f"].statuses,
        ["RTLOG_END", "RTLOG_ERR_IO"].iter().map(|s| s.to_string()).collect()
    );
    let doc = "## A\n### `rtlog_f`\nbody RTLOG_OK\n### other\nx\n## B\n### `rtlog_g`\ng\n";
    let s = doc_sections(doc);
    assert_eq!(s.len(), 2);
    assert_eq!(s["rtlog_f"], "body RTLOG_OK\n");
    assert_eq!(s["rtlog_g"], "g\n");
}
