//! The module graph of `src`, read from the source: one node per file (`service::login::flow`),
//! one edge per `use` or `crate::`/`super::` path that names another file's module. Test
//! modules (`#[cfg(test)]` to the end of a file) and comments are left out: tests may reach
//! anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path below the crate root: `["service", "login", "flow"]`.
pub type ModPath = Vec<String>;

pub struct Graph {
    pub files: BTreeMap<ModPath, PathBuf>,
    pub edges: BTreeMap<ModPath, BTreeSet<ModPath>>,
    /// Each module's code, as `code_of` gives it.
    pub code: BTreeMap<ModPath, String>,
}

pub fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn mod_path(root: &Path, file: &Path) -> ModPath {
    let rel = file
        .strip_prefix(root)
        .expect("under src")
        .with_extension("");
    let mut parts: ModPath = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The file's code without its test module and without comments.
pub fn code_of(text: &str) -> String {
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
    let body = &tree[open + 1..close];
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for ch in body.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(ch);
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p))
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// The longest module a `crate::`, `super::` or `self::` path names, if it names one.
fn resolve(path: &str, here: &ModPath, files: &BTreeMap<ModPath, PathBuf>) -> Option<ModPath> {
    let segments: Vec<&str> = path
        .split("::")
        .map(|s| s.split(" as ").next().unwrap_or(s).trim())
        .filter(|s| !s.is_empty())
        .collect();
    let (mut base, rest): (ModPath, &[&str]) = match *segments.first()? {
        "crate" => (Vec::new(), &segments[1..]),
        "self" => (here.clone(), &segments[1..]),
        "super" => {
            let ups = segments.iter().take_while(|s| **s == "super").count();
            let keep = here.len().saturating_sub(ups);
            (here[..keep].to_vec(), &segments[ups..])
        }
        _ => return None,
    };
    let mut best = base.clone();
    for segment in rest {
        base.push((*segment).to_owned());
        if files.contains_key(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// Every `use` tree (a statement starting a line) and every inline `crate::…`/`super::…` path.
fn paths_in(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let statement = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p));
        if let Some(rest) = statement {
            let start = offset + (line.len() - rest.len());
            let end = code[start..].find(';').map_or(code.len(), |e| start + e);
            out.extend(expand(&code[start..end]));
        }
        offset += line.len();
    }
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let begin = from + at;
            let len = code[begin..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(code.len() - begin);
            out.push(code[begin..begin + len].to_owned());
            from = begin + len.max(1);
        }
    }
    out
}

impl Graph {
    pub fn read() -> Self {
        let root = src();
        let mut list = Vec::new();
        rust_files(&root, &mut list);
        let files: BTreeMap<ModPath, PathBuf> =
            list.into_iter().map(|f| (mod_path(&root, &f), f)).collect();
        let mut edges = BTreeMap::new();
        let mut sources = BTreeMap::new();
        for (module, file) in &files {
            let code = code_of(&std::fs::read_to_string(file).expect("a readable file"));
            let paths = paths_in(&code);
            let targets: BTreeSet<ModPath> = paths
                .iter()
                .filter_map(|p| resolve(p, module, &files))
                // A module and its own ancestors or descendants are one unit.
                .filter(|t| !t.starts_with(module) && !module.starts_with(t))
                .collect();
            edges.insert(module.clone(), targets);
            sources.insert(module.clone(), code);
        }
        Graph {
            files,
            edges,
            code: sources,
        }
    }

    /// Whether a module's code names an outside crate's path (`poem_openapi::Enum`).
    pub fn names_crate(&self, module: &ModPath, krate: &str) -> bool {
        let needle = format!("{krate}::");
        self.code.get(module).is_some_and(|code| {
            code.match_indices(&needle).any(|(at, _)| {
                code[..at]
                    .chars()
                    .last()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
            })
        })
    }

    /// The graph with every module cut to its first `depth` segments below `under`
    /// (`under = ["service"]`, `depth = 1`: one node per capability folder).
    pub fn folded(&self, under: &[&str], depth: usize) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let fold = |m: &ModPath| -> Option<ModPath> {
            let inside = m.len() > under.len() && m.iter().zip(under).all(|(a, b)| a == b);
            inside.then(|| m[..under.len() + depth].to_vec())
        };
        let mut out: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        for (from, tos) in &self.edges {
            let Some(a) = fold(from) else { continue };
            for to in tos {
                match fold(to) {
                    Some(b) if b != a => {
                        out.entry(a.clone()).or_default().insert(b);
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

/// The strongly connected components with more than one module (Tarjan), each as its edges.
pub fn cycles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        found: Vec<Vec<&'a ModPath>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a ModPath) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for t in w.graph.get(v).into_iter().flatten() {
            if !w.index.contains_key(t) {
                visit(w, t);
                let low = w.low[t].min(w.low[v]);
                w.low.insert(v, low);
            } else if w.stack.contains(&t) {
                let low = w.index[t].min(w.low[v]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                component.push(top);
                if top == v {
                    break;
                }
            }
            if component.len() > 1 {
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.found
        .iter()
        .map(|component| {
            let mut lines = Vec::new();
            for a in component {
                for b in graph.get(*a).into_iter().flatten() {
                    if component.contains(&b) {
                        lines.push(format!("{} -> {}", a.join("::"), b.join("::")));
                    }
                }
            }
            lines.sort();
            lines
        })
        .collect()
}
