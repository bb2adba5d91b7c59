//! The server's layout rules, checked on its sources: every file holds one
//! concern in at most 500 lines, and no module uses a module that uses it
//! back (directly or around a loop). A cycle is how a core ends up shaped
//! like one process again, so it fails the build here rather than in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

/// Module path ("features::channels::local") → file.
fn modules(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    out
}

/// The longest known module that `path` names.
fn resolve(path: &str, known: &BTreeMap<String, PathBuf>) -> Option<String> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|m| known.contains_key(m))
}

/// The identifier-ish path right after each occurrence of `prefix`.
fn paths_after<'a>(src: &'a str, prefix: &str) -> Vec<&'a str> {
    src.match_indices(prefix)
        .filter(|(i, _)| !src[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(i, _)| {
            let rest = &src[i + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// What module `name` uses, by `crate::`, `super::` and `use child::` paths
/// (unit tests at the end of a file are left out: they may use anything).
fn uses(name: &str, src: &str, known: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let src = src.split("#[cfg(test)]\nmod tests").next().unwrap_or(src);
    let here: Vec<&str> = if name.is_empty() { Vec::new() } else { name.split("::").collect() };
    let mut deps = BTreeSet::new();
    for path in paths_after(src, "crate::") {
        deps.extend(resolve(path, known));
    }
    let parent = here[..here.len().saturating_sub(1)].join("::");
    for path in paths_after(src, "super::") {
        deps.insert(resolve(&format!("{parent}::{path}"), known).unwrap_or_else(|| parent.clone()));
    }
    for line in src.lines().map(str::trim_start) {
        let line = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(rest) = line.strip_prefix("use ") {
            let child = rest.split("::").next().unwrap_or("");
            let full = if name.is_empty() { child.to_owned() } else { format!("{name}::{child}") };
            if known.contains_key(&full) {
                deps.insert(full);
            }
        }
    }
    deps.remove(name);
    deps
}

fn find_cycle(deps: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if !done.insert(n.to_owned()) {
            return None;
        }
        stack.push(n.to_owned());
        for m in deps.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, deps, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    deps.keys().find_map(|n| visit(n, deps, &mut Vec::new(), &mut done))
}

fn src_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_server_source_file_is_over_500_lines() {
    let long: Vec<String> = modules(&src_root())
        .into_values()
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by concern: {long:?}");
}

#[test]
fn no_module_uses_a_module_that_uses_it_back() {
    let known = modules(&src_root());
    let deps: BTreeMap<String, BTreeSet<String>> = known
        .iter()
        .map(|(name, path)| (name.clone(), uses(name, &std::fs::read_to_string(path).unwrap(), &known)))
        .collect();
    assert!(deps["services"].contains("features::channels"), "the scan sees real dependencies");
    assert_eq!(find_cycle(&deps), None, "an import cycle between server modules");
}

#[test]
fn the_scan_finds_a_cycle_when_there_is_one() {
    let known: BTreeMap<String, PathBuf> =
        ["a", "b", "c"].iter().map(|m| (m.to_string(), PathBuf::from(format!("{m}.rs")))).collect();
    let deps: BTreeMap<String, BTreeSet<String>> = [
        ("a", uses("a", "use crate::b::Thing;", &known)),
        ("b", uses("b", "fn f() { crate::c::g() }", &known)),
        ("c", uses("c", "use crate::a;\n#[cfg(test)]\nmod tests { use crate::b; }", &known)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(find_cycle(&deps), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
