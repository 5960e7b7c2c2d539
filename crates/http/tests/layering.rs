//! The module map of `ticket-http` (README, "Module map") holds: the modules' references to
//! each other form no cycle, the inbound and outbound sides do not use each other, and no
//! module uses one above it (`lib.rs`, a `mod.rs`): those wire their children together and
//! re-export them, so a child using one closes a cycle this reader cannot see (a parent
//! names its children by relative paths) or hides an edge behind a re-export.
//!
//! Read from the sources: every `crate::` path of each module under `src/`, `use` trees
//! included, counts as an edge to the longest module it names. Sibling modules are named
//! only by `crate::` paths (`super::` only in `use super::*;` of a test module), so these
//! are all the edges.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The two sides of the adapter.
const SIDES: [&str; 2] = ["inbound", "outbound"];

/// Module path (`inbound::dto`; `""` for the crate root) to its source without comments.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
                let relative = path.strip_prefix(&src).unwrap().with_extension("");
                let mut segments: Vec<String> = relative
                    .iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect();
                if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
                    segments.pop();
                }
                out.insert(segments.join("::"), without_comments(&path));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// Doc links and prose may name any module; only code counts.
fn without_comments(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts with `crate::`, as its segments (a use tree gives one per leaf).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        // `ticket_crate::`, `$crate::`, `other::crate::` are not this crate's paths.
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | ':')) {
            continue;
        }
        let mut rest = code[at + "crate::".len()..].chars().peekable();
        use_tree(&mut rest, Vec::new(), &mut out);
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_whitespace(chars: &mut Chars) {
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
}

/// Reads `a::b::{c, d::e as f, self, *}` after a `crate::` into `out`, one path per leaf.
fn use_tree(chars: &mut Chars, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    loop {
        skip_whitespace(chars);
        if chars.next_if_eq(&'{').is_some() {
            loop {
                skip_whitespace(chars);
                if chars.next_if_eq(&'}').is_some() || chars.peek().is_none() {
                    return;
                }
                use_tree(chars, prefix.clone(), out);
                // Past an `as` alias to the next item.
                while chars.next_if(|c| !matches!(c, ',' | '}')).is_some() {}
                chars.next_if_eq(&',');
            }
        }
        let mut segment = String::new();
        while let Some(c) = chars.next_if(|c| c.is_alphanumeric() || *c == '_') {
            segment.push(c);
        }
        if !segment.is_empty() && segment != "self" {
            prefix.push(segment);
        }
        skip_whitespace(chars);
        if chars.next_if_eq(&':').is_some() && chars.next_if_eq(&':').is_some() {
            continue;
        }
        out.push(prefix);
        return;
    }
}

/// The longest module that `path` names (the root when no other).
fn target<'a>(path: &[String], modules: &'a BTreeMap<String, String>) -> &'a str {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get_key_value(&path[..n].join("::")))
        .map_or("", |(name, _)| name.as_str())
}

/// Whether `ancestor` contains `module` (the root contains every module).
fn is_ancestor(ancestor: &str, module: &str) -> bool {
    ancestor.is_empty() || module.starts_with(&format!("{ancestor}::"))
}

fn side(module: &str) -> Option<&str> {
    let top = module.split("::").next()?;
    SIDES.contains(&top).then_some(top)
}

/// Module to the modules it references.
fn graph(modules: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    modules
        .iter()
        .map(|(name, code)| {
            let targets = crate_paths(code)
                .iter()
                .map(|path| target(path, modules))
                .filter(|t| t != name)
                .collect();
            (name.as_str(), targets)
        })
        .collect()
}

/// A cycle as its modules in order, if there is one.
fn find_cycle<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(i) = stack.iter().position(|n| *n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn render(graph: &BTreeMap<&str, BTreeSet<&str>>) -> String {
    graph
        .iter()
        .map(|(from, to)| {
            let to: Vec<&str> = to.iter().copied().collect();
            format!("  {from} -> {}\n", to.join(", "))
        })
        .collect()
}

#[test]
fn modules_form_a_dag_and_the_sides_stay_apart() {
    let modules = modules();
    let graph = graph(&modules);
    let map = render(&graph);
    // A parser that found nothing would pass everything.
    assert!(
        graph["inbound::openapi"].contains("inbound::routes"),
        "the reader missed a known edge:\n{map}"
    );

    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "modules reference each other in a cycle: {}\n{map}",
            cycle.join(" -> ")
        );
    }
    for (from, targets) in &graph {
        for to in targets {
            assert!(
                !is_ancestor(to, from),
                "{from} uses {to}, a module above it (wiring and re-exports); name the module \
                 that defines the item instead\n{map}"
            );
            let (a, b) = (side(from), side(to));
            assert!(
                a.is_none() || b.is_none() || a == b,
                "{from} uses {to}: inbound and outbound must not use each other\n{map}"
            );
        }
    }
}

#[test]
fn modules_name_each_other_only_by_crate_paths() {
    for (module, code) in modules() {
        let stray = code
            .lines()
            .filter(|line| line.contains("super::") && line.trim() != "use super::*;")
            .collect::<Vec<_>>();
        assert!(
            stray.is_empty(),
            "{module}: `super::` hides an edge from the module map; use a `crate::` path: {stray:?}"
        );
    }
}

#[test]
fn the_reader_follows_use_trees() {
    let paths = crate_paths(
        "use crate::a::{b::{C, d::E as F}, self, g::*};\nlet x = crate::h::i(); $crate::no;",
    );
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(joined, ["a::b::C", "a::b::d::E", "a", "a::g", "h::i"]);
}
