//! Tests for `config`: the template parses, and bad files are reported with their place.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/data/node.toml"))
}

#[test]
fn the_init_template_parses_to_what_was_asked() {
    let id: MemberId = "BGSOF".parse().unwrap();
    let text = template(
        &id,
        "Sofia \"Stolichna\"",
        "127.0.0.1:7400".parse().unwrap(),
        "0.0.0.0:7401".parse().unwrap(),
        "https://sofia.example:7401",
    );
    let cfg = parse(&text).unwrap();
    assert_eq!(cfg.member_id(), id);
    assert_eq!(cfg.node.name, "Sofia \"Stolichna\"");
    assert_eq!(cfg.node.endpoint, "https://sofia.example:7401");
    assert_eq!(cfg.federation.listen.port(), 7401);
    assert_eq!(cfg.keys.signing_key, PathBuf::from("keys/signing.key"));
    assert!(!cfg.keys.allow_loose_permissions);
}

#[test]
fn a_minimal_file_gets_defaults() {
    let cfg = parse("[node]\nid = \"ALTIA\"\nname = \"Tirana\"\n").unwrap();
    assert_eq!(cfg.grpc.listen.port(), 7400);
    assert_eq!(cfg.store.path, PathBuf::from("store"));
    assert_eq!(cfg.logging.format, LogFormat::Auto);
}

#[test]
fn errors_name_file_line_column_and_field() {
    let err = parse("[node]\nid = \"ALTIA\"\nname = \"Tirana\"\ncolour = \"red\"\n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("/data/node.toml:4:1: ") && msg.contains("colour"), "{msg}");

    let msg = parse("[node]\nid = \"ALTIA\"\nname = \n").unwrap_err().to_string();
    assert!(msg.starts_with("/data/node.toml:3:"), "{msg}");

    let msg = parse("[node]\nid = \"tirana\"\nname = \"Tirana\"\n").unwrap_err().to_string();
    assert!(msg.contains("field `node.id`") && msg.contains("UN/LOCODE"), "{msg}");

    let msg = parse("[node]\nid = \"ALTIA\"\nname = \"Tirana\"\n[grpc]\nlisten = \"here\"\n")
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("/data/node.toml:5:"), "{msg}");

    let msg = parse("[node]\nid = \"ALTIA\"\nname = \"T\"\nendpoint = \"http://x\"\n")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("node.endpoint"), "{msg}");
}

#[test]
fn a_foreign_file_is_refused() {
    let msg = parse("[package]\nname = \"serde\"\nversion = \"1\"\n").unwrap_err().to_string();
    assert!(msg.starts_with("/data/node.toml:1:2: ") && msg.contains("package"), "{msg}");
    let msg = parse("\u{feff}\u{0}\u{1}binary").unwrap_err().to_string();
    assert!(msg.starts_with("/data/node.toml:"), "{msg}");
}

/// deploy/node.example.toml, the operators' example, parses as it is.
#[test]
fn the_shipped_example_parses() {
    let text = include_str!("../../../deploy/node.example.toml");
    let cfg = parse(text).unwrap();
    assert_eq!(cfg.member_id().as_str(), "BEBRU");
    assert_eq!(cfg.http.listen.port(), 7480);
    assert!(cfg.privacy.contains_key("survey"));
}
