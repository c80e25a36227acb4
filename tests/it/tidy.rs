//! House rules checked on the source tree: every Rust file opens with a `//!` line, the
//! invariants ARCHITECTURE.md states about where things may be named hold, and its code map
//! names every module.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
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
fn every_rust_file_opens_with_a_module_doc_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in [
        "core/src",
        "node/src",
        "node/tests",
        "node/build.rs",
        "tests/src",
        "tests/it",
        "tests/benches",
        "fuzz/src",
        "fuzz/fuzz_targets",
        "fuzz/examples",
    ] {
        let p = root.join(dir);
        if p.is_file() { files.push(p) } else { rust_files(&p, &mut files) }
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    let missing: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//! "))
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading `//!` line: {missing:?}");
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The non-test Rust sources under `dirs` (files or folders), with their text.
fn sources(dirs: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in dirs {
        let p = root().join(dir);
        if p.is_file() {
            files.push(p);
        } else if p.is_dir() {
            rust_files(&p, &mut files);
        }
    }
    files
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f.strip_prefix(root()).unwrap().display().to_string(), text)
        })
        .collect()
}

/// The files of `dirs` whose code (comments left out) contains any of `words`.
fn naming(dirs: &[&str], words: &[&str]) -> Vec<String> {
    sources(dirs)
        .into_iter()
        .filter(|(_, text)| {
            text.lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .any(|code| words.iter().any(|w| code.contains(w)))
        })
        .map(|(f, _)| f)
        .collect()
}

#[test]
fn the_pure_core_depends_on_no_runtime_rpc_or_storage() {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root().join("core/Cargo.toml")).unwrap()).unwrap();
    let deps = manifest["dependencies"].as_table().unwrap();
    for banned in ["tokio", "tonic", "prost", "sled", "metronode", "axum", "rustls"] {
        assert!(!deps.keys().any(|k| k.starts_with(banned)), "core depends on {banned}");
    }
    // Nor does it reach for the disk or the network itself.
    let io = naming(&["core/src"], &["std::fs", "std::net", "File::", "TcpStream"]);
    assert!(io.is_empty(), "IO in the pure core: {io:?}");
}

#[test]
fn sled_tonic_and_status_are_named_only_where_architecture_says() {
    let sled: Vec<String> = naming(&["node/src"], &["sled::"])
        .into_iter()
        .filter(|f| f != "node/src/store.rs" && !f.starts_with("node/src/store/"))
        .collect();
    assert!(sled.is_empty(), "only store names sled: {sled:?}");
    let tonic = naming(
        &["node/src/record.rs", "node/src/record", "node/src/log.rs", "node/src/log"],
        &["tonic"],
    );
    assert!(tonic.is_empty(), "record and log know nothing of tonic: {tonic:?}");
    // Replies' statuses are made in service.rs alone; the syncer is a client, and names a
    // peer's fault (a late reply, an endpoint in its card that does not parse, a reply that does
    // not hold what was asked for) as one.
    let status: Vec<String> = naming(
        &["node/src"],
        &["Status::internal", "Status::invalid_argument", "Status::not_found", "Status::new("],
    )
    .into_iter()
    .filter(|f| f != "node/src/service.rs" && f != "node/src/peers/sync.rs")
    .collect();
    assert!(status.is_empty(), "statuses made outside service.rs: {status:?}");
}

#[test]
fn node_holds_read_models_not_the_analysis_that_reads_it() {
    // `analysis` reads through `Node`; `Node` holds the read models (`read_model`), which know
    // the log and not the node, so the two do not import each other.
    let cycle = naming(&["node/src/node.rs", "node/src/read_model.rs"], &["analysis::"]);
    assert!(cycle.is_empty(), "node and analysis import each other: {cycle:?}");
    let node = naming(&["node/src/read_model.rs"], &["crate::node", "node::Node"]);
    assert!(node.is_empty(), "the read models name the node: {node:?}");
}

#[test]
fn the_code_map_names_every_module() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut unnamed = Vec::new();
    for dir in ["core/src", "node/src"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let module = name.trim_end_matches(".rs");
            if path.is_dir() || ["lib", "main", "pb"].contains(&module) {
                continue;
            }
            let file = format!("{dir}/{name}");
            let named = [file.clone(), format!("`{name}`"), format!("`{module}`")];
            if !named.iter().any(|n| map.contains(n.as_str())) {
                unnamed.push(file);
            }
        }
    }
    assert!(unnamed.is_empty(), "modules ARCHITECTURE.md's code map does not name: {unnamed:?}");
}
