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
fn the_template_writes_every_default_the_parser_applies() {
    let id: MemberId = "ALTIA".parse().unwrap();
    let endpoint = "https://tirana.example:7401";
    let (listen, federation) = ("127.0.0.1:7400".parse().unwrap(), "0.0.0.0:7401".parse().unwrap());
    let mut full = parse(&template(&id, "Tirana", listen, federation, endpoint)).unwrap();
    let minimal =
        parse(&format!("[node]\nid = \"ALTIA\"\nname = \"Tirana\"\nendpoint = \"{endpoint}\"\n"))
            .unwrap();
    // The listeners are the node's own values; everything else must be the parser's default.
    full.grpc.listen = minimal.grpc.listen;
    full.federation.listen = minimal.federation.listen;
    full.http.listen = minimal.http.listen;
    let sections = |c: &Config| {
        [
            format!("{:?}", c.grpc),
            format!("{:?}", c.federation),
            format!("{:?}", c.http),
            format!("{:?}", c.artefacts),
            format!("{:?}", c.keys),
            format!("{:?}", c.store),
            format!("{:?}", c.ingest),
            format!("{:?}", c.logging),
            format!("{:?}", c.disclosure),
        ]
    };
    for (written, default) in sections(&full).iter().zip(sections(&minimal)) {
        assert_eq!(written, &default);
    }
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

fn with_env(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::parse_with_env(
        text,
        Path::new("/data/node.toml"),
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

#[test]
fn environment_variables_override_any_field() {
    let text = "[node]\nid = \"ALTIA\"\nname = \"Tirana\"\n[federation]\nsync_interval_ms = 5000\n";
    let cfg = with_env(
        text,
        &[
            ("METRONODE_FEDERATION__SYNC_INTERVAL_MS", "1000"),
            ("METRONODE_NODE__ENDPOINT", "https://tirana.example:7401"),
            ("METRONODE_HTTP__LISTEN", "0.0.0.0:7480"),
            ("METRONODE_HTTP__OPEN_ON_LOOPBACK", "false"),
            ("METRONODE_LOGGING__FORMAT", "json"),
            ("METRONODE_PRIVACY__SURVEY__PER_RELEASE", "0.5"),
            ("METRONODE_PRIVACY__SURVEY__BUDGET", "2"),
            ("METRONODE_PRIVACY__SURVEY__WEIGHT_CLIP", "2000"),
            // Not overrides: no section separator, or another program's prefix.
            ("METRONODE_DIR", "/elsewhere"),
            ("PATH", "/usr/bin"),
        ],
    )
    .unwrap();
    assert_eq!(cfg.federation.sync_interval_ms, 1000);
    assert_eq!(cfg.node.endpoint, "https://tirana.example:7401");
    assert_eq!(cfg.http.listen, "0.0.0.0:7480".parse().unwrap());
    assert!(!cfg.http.open_on_loopback);
    assert_eq!(cfg.logging.format, LogFormat::Json);
    assert_eq!(cfg.privacy["survey"].per_release, "0.5");
    assert_eq!(cfg.privacy["survey"].budget, "2");
}

#[test]
fn a_bad_environment_override_names_the_variable() {
    let text = "[node]\nid = \"ALTIA\"\nname = \"Tirana\"\n";
    let msg =
        with_env(text, &[("METRONODE_FEDERATION__SYNC_INTERVAL", "1000")]).unwrap_err().to_string();
    assert!(
        msg.contains("METRONODE_FEDERATION__SYNC_INTERVAL") && msg.contains("sync_interval"),
        "{msg}"
    );
    let msg = with_env(text, &[("METRONODE_FEDERATION__SYNC_INTERVAL_MS", "soon")])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("METRONODE_FEDERATION__SYNC_INTERVAL_MS"), "{msg}");
    let msg = with_env(text, &[("METRONODE_NODE__ID", "tirana")]).unwrap_err().to_string();
    assert!(msg.contains("node.id"), "{msg}");
    // File errors keep their line and column even with overrides present.
    let msg =
        with_env("[node]\nid = \n", &[("METRONODE_NODE__NAME", "T")]).unwrap_err().to_string();
    assert!(msg.starts_with("/data/node.toml:2:"), "{msg}");
}

#[test]
fn a_secret_given_by_mistake_is_not_repeated() {
    let text = "[node]\nid = \"ALTIA\"\nname = \"Tirana\"\n";
    let secret = "d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f";
    // A token where the list of hashed tokens belongs, or where a boolean does.
    for var in ["METRONODE_HTTP__TOKENS", "METRONODE_HTTP__PUBLIC", "METRONODE_LOGGING__FORMAT"] {
        let msg = with_env(text, &[(var, secret)]).unwrap_err().to_string();
        assert!(msg.contains(var) && msg.contains("expected"), "{msg}");
        assert!(!msg.contains(&secret[..16]), "{msg}");
    }
    // A key pasted where its path belongs, in the file or from the environment.
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n");
    let in_file = format!("{text}[keys]\ntls_key = \"\"\"{pem}\"\"\"\n");
    let msg = Config::parse(&in_file, Path::new("node.toml")).unwrap_err().to_string();
    assert!(msg.contains("keys.tls_key") && !msg.contains(&secret[..16]), "{msg}");
    let msg = with_env(text, &[("METRONODE_KEYS__SIGNING_KEY", &pem)]).unwrap_err().to_string();
    assert!(msg.contains("keys.signing_key") && !msg.contains(&secret[..16]), "{msg}");
    // Paths stay paths.
    let paths = format!("{text}[keys]\nsigning_key = \"/run/secrets/metronode-signing.key\"\n");
    assert!(Config::parse(&paths, Path::new("node.toml")).is_ok());
}
