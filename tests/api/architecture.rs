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
