//! Bad input at start-up: each a one-line error saying what and where, a distinct exit code, and
//! nothing written; and a query naming an indicator the catalogue lacks.

use std::{fs, os::unix::fs::PermissionsExt, path::Path};

use crate::harness::{Serving, init, run};

fn serve_fails(dir: &Path) -> (Option<i32>, String) {
    let out = run(&["serve", "--dir", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    (out.status.code(), err)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn a_key_readable_by_others_is_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "BEBRU");
    fs::set_permissions(dir.join("keys/signing.key"), fs::Permissions::from_mode(0o644)).unwrap();
    let before = listing(&dir);
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    assert!(
        err.contains("keys/signing.key") && err.contains("0644") && err.contains("chmod 600"),
        "{err}"
    );
    assert_eq!(listing(&dir), before, "no store, lock or address file created");

    fs::set_permissions(dir.join("keys/signing.key"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(dir.join("keys/tls.key"), fs::Permissions::from_mode(0o604)).unwrap();
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    assert!(err.contains("keys/tls.key"), "{err}");
}

#[test]
fn a_missing_key_file_is_named() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "IEDUB");
    fs::remove_file(dir.join("keys/tls.crt")).unwrap();
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    assert!(err.contains("keys/tls.crt") && err.contains("No such file"), "{err}");
}

#[test]
fn a_corrupt_or_foreign_config_is_refused_with_its_place() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "BGSOF");
    let path = dir.join("node.toml");
    let good = fs::read_to_string(&path).unwrap();

    fs::write(&path, good.replace("[grpc]", "[grpc]\nlisten_port = 7")).unwrap();
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    let line = good.lines().position(|l| l == "[grpc]").unwrap() + 2;
    assert!(err.contains(&format!("node.toml:{line}:1: unknown field `listen_port`")), "{err}");

    fs::write(&path, "[package]\nname = \"other\"\n").unwrap();
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    assert!(err.contains("node.toml:1:"), "{err}");

    fs::write(&path, [0xff, 0xfe, 0x00, 0x01]).unwrap();
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    assert!(err.contains("node.toml"), "{err}");

    fs::remove_file(&path).unwrap();
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(78));
    assert!(err.contains("node.toml") && err.contains("No such file"), "{err}");
    assert!(!dir.join("store").exists());
}

#[test]
fn a_directory_held_by_a_running_node_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "ALTIA");
    let mut node = Serving::start(&dir);
    let (code, err) = serve_fails(&dir);
    assert_eq!(code, Some(75));
    assert!(
        err.contains("in use by another running metronode")
            && err.contains(&node.child.id().to_string()),
        "{err}"
    );
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(75));
    assert_eq!(node.signal_and_wait("TERM").code(), Some(0));
}

#[test]
fn init_with_a_bad_id_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("x");
    let out = run(&["init", "--id", "brussels", "--name", "B", "--dir", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("UN/LOCODE"));
    assert!(!dir.exists());
}

#[test]
fn a_query_of_a_near_miss_exits_non_zero_naming_the_indicator_meant() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "ALTIA");
    let _node = Serving::start(&dir);
    let d = dir.to_str().unwrap();
    let out = run(&["query", "--dir", d, "--indicator", "DRI-USE-0l"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown indicator `DRI-USE-0l`; did you mean `DRI-USE-01`?"), "{err}");
    let out = run(&["query", "--dir", d, "--indicator", "dri-use-01", "--by", "AGE_BAND"]);
    assert_eq!(out.status.code(), Some(1), "nothing published yet");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no city has published DRI-USE-01 yet"), "{err}");
}
