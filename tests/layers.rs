//! The crate's modules form one-way layers (shared/DESIGN.md): a module may use only modules of
//! a lower layer. This reads `src/` as text (comments left out) and fails on any upward or
//! sideways `crate::module` reference, naming the file.

use std::collections::BTreeMap;
use std::path::Path;

/// Each top-level module and its layer, bottom first.
const LAYERS: &[(&str, u32)] = &[
    ("limits", 0),
    ("encoding", 0),
    ("error", 1),
    ("http", 2),
    ("retry", 2),
    ("credentials", 3),
    ("policy", 4),
    ("sts", 5),
    ("providers", 6),
    ("oss", 7),
    ("object_store", 8),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::<name>` references of a file, comments removed.
fn references(text: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            refs.push(name);
        }
        // `use crate::{a, b::c}` groups.
        if let Some(i) = code.find("use crate::{") {
            for part in code[i + "use crate::{".len()..].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                refs.push(name);
            }
        }
    }
    refs
}

#[test]
fn no_module_uses_a_module_of_its_own_or_a_higher_layer() {
    let layers: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut unknown = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        // The crate root wires the modules together; test-only modules sit above everything.
        if top == "lib" || top == "fuzz_tests" || top == "docs" {
            continue;
        }
        let Some(&own) = layers.get(top.as_str()) else {
            unknown.push(top);
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for dep in references(&text) {
            if dep == top {
                continue;
            }
            if let Some(&theirs) = layers.get(dep.as_str()) {
                if theirs >= own {
                    violations.push(format!("{} uses crate::{dep}", rel.display()));
                }
            }
        }
    }
    assert!(unknown.is_empty(), "modules with no layer: {unknown:?}");
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scanner_sees_plain_and_grouped_references() {
    let refs =
        references("use crate::oss::Client; // crate::sts\nuse crate::{policy, error::Error};");
    assert!(refs.contains(&"oss".to_owned()));
    assert!(refs.contains(&"policy".to_owned()));
    assert!(refs.contains(&"error".to_owned()));
    assert!(!refs.contains(&"sts".to_owned()));
}
