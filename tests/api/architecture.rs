//! The layering rule of issue 18, checked on the source: every query lives in `src/store`.
//! Services call store functions; handlers call services; neither names an entity's query
//! API. (A test over the source, not the server: it fails the moment a query is written
//! elsewhere, naming the file and line.)

use std::path::Path;

/// What only a query needs: sea-orm's query traits and an entity's query and write API.
const QUERY_MARKERS: &[&str] = &[
    "EntityTrait",
    "QueryFilter",
    "ActiveModelTrait",
    "QuerySelect",
    "::Entity::",
    "::ActiveModel",
    "sea_query::",
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

#[test]
fn every_query_lives_in_the_store() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let store = root.join("src").join("store");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&store)) {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(m) = QUERY_MARKERS.iter().find(|m| code.contains(*m)) {
                found.push(format!(
                    "{}:{}: {m}",
                    file.strip_prefix(root).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "queries outside src/store (move them into the aggregate's store module):\n{}",
        found.join("\n")
    );
}

use crate::architecture_graph::{Graph, ModPath, code_of, cycles};

fn show(cycles: &[Vec<String>]) -> String {
    cycles
        .iter()
        .map(|c| c.join("\n  "))
        .collect::<Vec<_>>()
        .join("\n\n  ")
}

#[test]
fn no_import_cycle_between_modules() {
    let graph = Graph::read();
    let found = cycles(&graph.edges);
    assert!(
        found.is_empty(),
        "modules that import each other (cut one edge: move what both need into a third \
         module, or pass it in):\n  {}",
        show(&found)
    );
}

#[test]
fn service_capabilities_depend_on_each_other_in_one_direction() {
    let graph = Graph::read();
    let found = cycles(&graph.folded(&["service"], 1));
    assert!(
        found.is_empty(),
        "service capabilities that depend on each other (see the order in src/service/mod.rs):\n  {}",
        show(&found)
    );
}

/// Where a module may not point: (from, to). `to` is a module of this crate or an outside
/// crate's name.
const BANNED: &[(&str, &str)] = &[
    // Handlers reach the database only through services; the records a service hands out
    // are re-exported by it under the capability's own names.
    ("api", "store"),
    ("api", "sea_orm"),
    ("web", "store"),
    ("web", "sea_orm"),
    ("service", "api"),
    ("service", "web"),
    ("domain", "auth"),
    ("domain", "store"),
    ("domain", "service"),
    ("domain", "api"),
    ("domain", "web"),
    ("domain", "poem"),
    ("domain", "poem_openapi"),
    ("store", "service"),
    ("store", "api"),
    ("store", "web"),
    ("auth", "service"),
    ("auth", "api"),
    ("auth", "web"),
    ("mail", "service"),
    ("mail", "api"),
    ("mail", "web"),
    ("crypto", "store"),
    ("crypto", "auth"),
];

fn breaks(graph: &Graph, module: &ModPath, to: &str) -> bool {
    let internal = graph
        .edges
        .get(module)
        .is_some_and(|targets| targets.iter().any(|t| t.first().is_some_and(|f| f == to)));
    internal || graph.names_crate(module, to)
}

#[test]
fn layers_point_one_way() {
    let graph = Graph::read();
    let mut found = Vec::new();
    for module in graph.files.keys() {
        let Some(top) = module.first() else { continue };
        for (from, to) in BANNED.iter().filter(|(from, _)| top == from) {
            if breaks(&graph, module, to) {
                found.push(format!(
                    "{} -> {to} ({from} may not use {to})",
                    module.join("::")
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "banned directions:\n  {}",
        found.join("\n  ")
    );
}

/// One job per file: no source file over 400 lines outside its tests (issue 19).
#[test]
fn no_source_file_is_over_400_lines() {
    let graph = Graph::read();
    let mut found = Vec::new();
    for (module, file) in &graph.files {
        let lines = code_of(&std::fs::read_to_string(file).unwrap())
            .lines()
            .count();
        if lines > 400 {
            found.push(format!("{}: {lines} lines", module.join("::")));
        }
    }
    assert!(
        found.is_empty(),
        "files over 400 lines outside tests (split by job):\n  {}",
        found.join("\n  ")
    );
}

/// The checks above are only as good as the graph: it must see real edges and real cycles.
#[test]
fn the_module_graph_sees_edges_and_cycles() {
    let graph = Graph::read();
    let path = |s: &str| -> ModPath { s.split("::").map(str::to_owned).collect() };
    let edges_of = |m: &str| graph.edges.get(&path(m)).cloned().unwrap_or_default();
    // A `use` tree, a `crate::` path and a `super::` path each give an edge.
    assert!(edges_of("service::login::flow").contains(&path("service::sessions::throttle")));
    assert!(edges_of("service::login::flow").contains(&path("store::audit")));
    assert!(edges_of("state").contains(&path("store::oauth_client_record")));
    let mut made_up = std::collections::BTreeMap::new();
    made_up.insert(path("a"), [path("b")].into());
    made_up.insert(path("b"), [path("c")].into());
    made_up.insert(path("c"), [path("a")].into());
    made_up.insert(path("d"), [path("a")].into());
    assert_eq!(cycles(&made_up), vec![vec!["a -> b", "b -> c", "c -> a"]]);
}
