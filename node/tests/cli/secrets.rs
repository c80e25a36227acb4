//! Secrets stay in their files: the signing key, the TLS key and an analyst's bearer token never
//! appear in a log line (at trace level), command output, error message, gRPC error reply, HTTP
//! answer, `/metrics`, `Debug` output, or any file of the data directory besides the key files,
//! through a node's whole life and a run of bad input. The figures go to the "Secrets" section
//! of RELIABILITY.md.
//!
//! Each 32-byte secret is searched for as every 16-character (or 16-byte) window of its lower-
//! and upper-case hex, its standard and URL-safe base64 at each of the three byte alignments (so
//! any PEM or base64 text holding it matches), its raw bytes, and every 24-character window of
//! its `Debug` form: a partial or re-encoded leak is found as well as a whole one.

use std::{
    collections::HashMap,
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use ed25519_dalek::pkcs8::DecodePrivateKey;
use metronode::pb;

use crate::harness::{Serving, bin, http_get, reliability_note, run};

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that depend on `bytes` alone when they start `lead` bytes into a
/// stream (`lead` 0, 1 or 2): what any base64 text holding them contains.
fn base64_inner(bytes: &[u8], lead: usize, alphabet: &[u8; 64]) -> String {
    let bits = |i: usize| {
        let byte = i / 8;
        (byte >= lead && byte < lead + bytes.len()) && bytes[byte - lead] & (0x80 >> (i % 8)) != 0
    };
    let (first, end) = ((8 * lead).div_ceil(6), (8 * (lead + bytes.len())) / 6);
    (first..end)
        .map(|c| {
            let v = (0..6).fold(0usize, |v, b| v << 1 | usize::from(bits(6 * c + b)));
            alphabet[v] as char
        })
        .collect()
}

/// The windows by which a leak of each secret is recognised, each with the secret's name.
#[derive(Default)]
struct Needles(HashMap<Vec<u8>, &'static str>);

impl Needles {
    fn add(&mut self, name: &'static str, secret: &[u8]) {
        let mut texts = vec![hex::encode(secret), hex::encode_upper(secret)];
        for lead in 0..3 {
            texts.push(base64_inner(secret, lead, STANDARD));
            texts.push(base64_inner(secret, lead, URL_SAFE));
        }
        for text in texts.iter().map(String::as_bytes).chain([secret]) {
            for w in text.windows(16) {
                self.0.insert(w.to_vec(), name);
            }
        }
        for w in format!("{secret:?}").as_bytes().windows(24) {
            self.0.insert(w.to_vec(), name);
        }
    }

    /// The names of the secrets found in `haystack`.
    fn find(&self, haystack: &[u8]) -> Vec<&'static str> {
        let mut found: Vec<&'static str> = [16, 24]
            .iter()
            .flat_map(|&n| haystack.windows(n).filter_map(|w| self.0.get(w).copied()))
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

/// Everything the node and its commands said, by where it came from.
#[derive(Default)]
struct Said(Vec<(String, Vec<u8>)>);

impl Said {
    fn add(&mut self, what: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.0.push((what.into(), bytes.into()));
    }

    /// Runs the binary and keeps its stdout and stderr; returns its exit code and stderr.
    fn run(&mut self, what: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
        let out = bin().args(args).envs(env.iter().copied()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        self.add(format!("{what} (stdout)"), out.stdout);
        self.add(format!("{what} (stderr)"), out.stderr);
        (out.status.code(), err)
    }

    fn bytes(&self) -> usize {
        self.0.iter().map(|(_, b)| b.len()).sum()
    }
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs `serve`, `card` and `verify` on each kind of bad input (undone afterwards): each must
/// fail as a bad configuration or key file (exit code 78) with a message holding `hint`.
/// Returns the number of kinds.
fn bad_input(dir: &Path, token: &str, said: &mut Said) -> usize {
    let d = dir.to_str().unwrap();
    let config = dir.join("node.toml");
    let text = fs::read_to_string(&config).unwrap();
    let signing = dir.join("keys/signing.key");
    let signing_pem = fs::read_to_string(&signing).unwrap();
    let tls = dir.join("keys/tls.key");
    let mut cases = 0;
    let mut expect = |said: &mut Said, what: &str, env: &[(&str, &str)], hint: &str| {
        for command in ["serve", "card", "verify"] {
            let (got, err) = said.run(&format!("{what}: {command}"), &[command, "--dir", d], env);
            assert_eq!(got, Some(78), "{what}: {command}: {err}");
            assert!(err.contains(hint), "{what}: {command}: {err}");
        }
        cases += 1;
    };
    set_mode(&signing, 0o644);
    expect(said, "signing key readable by others", &[], "chmod 600");
    set_mode(&signing, 0o600);
    set_mode(&tls, 0o640);
    expect(said, "TLS key readable by the group", &[], "chmod 600");
    set_mode(&tls, 0o600);
    let half: String =
        signing_pem.lines().take(2).map(|l| format!("{}\n", &l[..l.len() / 2])).collect();
    fs::write(&signing, half).unwrap();
    expect(said, "truncated signing key", &[], "not a PEM-encoded PKCS#8");
    fs::write(&signing, &signing_pem).unwrap();
    // An operator who gives the key itself where its path belongs.
    expect(
        said,
        "signing key pasted as its path",
        &[("METRONODE_KEYS__SIGNING_KEY", &signing_pem)],
        "keys.signing_key",
    );
    let tls_pem = fs::read_to_string(&tls).unwrap();
    let pasted =
        text.replace("tls_key = \"keys/tls.key\"", &format!("tls_key = \"\"\"{tls_pem}\"\"\""));
    assert_ne!(pasted, text, "the template names the TLS key file");
    fs::write(&config, pasted).unwrap();
    expect(said, "TLS key pasted into node.toml", &[], "keys.tls_key");
    fs::write(&config, &text).unwrap();
    // A token where the hashed entries belong, and one in an entry of its own.
    expect(
        said,
        "token as the token list",
        &[("METRONODE_HTTP__TOKENS", token)],
        "METRONODE_HTTP__TOKENS",
    );
    let entry = format!("{text}\n[[http.tokens]]\nname = \"x\"\ntoken = \"{token}\"\n");
    fs::write(&config, entry).unwrap();
    expect(said, "token in node.toml", &[], "unknown field `token`");
    fs::write(&config, format!("{text}\nthis is not TOML\n")).unwrap();
    expect(said, "node.toml not TOML", &[], "node.toml:");
    fs::write(&config, &text).unwrap();
    cases
}

/// The secrets of a data directory: the ed25519 signing key's 32-byte seed and the P-256 TLS
/// key's 32-byte private scalar.
fn key_seeds(dir: &Path) -> [(PathBuf, [u8; 32]); 2] {
    let signing = dir.join("keys/signing.key");
    let key =
        ed25519_dalek::SigningKey::from_pkcs8_pem(&fs::read_to_string(&signing).unwrap()).unwrap();
    let tls = dir.join("keys/tls.key");
    let (_, der) =
        ed25519_dalek::pkcs8::spki::der::pem::decode_vec(fs::read(&tls).unwrap().as_slice())
            .unwrap();
    // ECPrivateKey (RFC 5915) inside the PKCS#8: version 1, then the scalar, an OCTET STRING.
    let at = der.windows(5).position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20]).expect("P-256") + 5;
    [(signing, key.to_bytes()), (tls, der[at..at + 32].try_into().unwrap())]
}

/// gRPC calls that fail, each reply kept whole (`Debug` shows code, message and metadata).
async fn grpc_errors(url: String, said: &mut Said) {
    let mut f = pb::federation_client::FederationClient::connect(url.clone()).await.unwrap();
    let mut p = pb::publisher_client::PublisherClient::connect(url.clone()).await.unwrap();
    let mut a = pb::analytics_client::AnalyticsClient::connect(url).await.unwrap();
    let replies = [
        format!("{:?}", f.get_tree_head(pb::GetTreeHeadRequest { origin: "nobody".into() }).await),
        format!("{:?}", f.get_blob(pb::GetBlobRequest { sha256: vec![7; 32] }).await.map(|_| ())),
        format!(
            "{:?}",
            p.approve_manifest(pb::ApproveManifestRequest { manifest_hash: vec![1; 32] }).await
        ),
        format!(
            "{:?}",
            p.withdraw_artefact(pb::WithdrawArtefactRequest {
                artefact_id: "none".into(),
                reason: "test".into()
            })
            .await
        ),
        format!(
            "{:?}",
            a.query_indicator(pb::QueryRequest {
                indicator_id: "NOPE".into(),
                ..Default::default()
            })
            .await
        ),
    ];
    for (i, r) in replies.into_iter().enumerate() {
        assert!(r.starts_with("Err(Status"), "call {i} should fail: {r}");
        said.add(format!("gRPC error reply {i}"), r);
    }
}

#[test]
fn keys_and_tokens_never_leave_their_files() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("bgsof");
    let d = dir.to_str().unwrap();
    let mut said = Said::default();
    let init = ["init", "--id", "BGSOF", "--name", "Sofia", "--dir", d, "--listen", "127.0.0.1:0"];
    let (code, err) =
        said.run("init", &[&init[..], &["--federation-listen", "127.0.0.1:0"]].concat(), &[]);
    assert_eq!(code, Some(0), "{err}");

    // The secrets, and proof the search finds each where it is meant to be.
    let token_out = run(&["token", "--name", "analyst"]);
    let token_text = String::from_utf8(token_out.stdout).unwrap();
    let token = token_text.lines().next().unwrap().rsplit(' ').next().unwrap().to_owned();
    let mut needles = Needles::default();
    let seeds = key_seeds(&dir);
    needles.add("signing key", &seeds[0].1);
    needles.add("TLS key", &seeds[1].1);
    needles.add("bearer token", &hex::decode(&token).unwrap());
    assert_eq!(needles.find(&fs::read(&seeds[0].0).unwrap()), ["signing key"]);
    assert_eq!(needles.find(&fs::read(&seeds[1].0).unwrap()), ["TLS key"]);
    assert_eq!(needles.find(token_text.as_bytes()), ["bearer token"]);

    // The token's hashed entry, a privacy budget, and no open loopback: every HTTP call needs it.
    let config = dir.join("node.toml");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("open_on_loopback = true", "open_on_loopback = false");
    let entry = token_text.split_once("add to node.toml:\n").unwrap().1;
    let privacy = "[privacy.survey]\nper_release = \"0.5\"\nbudget = \"0.5\"\nweight_clip = 800\n";
    fs::write(&config, format!("{text}\n{entry}\n{privacy}")).unwrap();

    let mut csv = Vec::new();
    metronode::synth::generate(&metronode::synth::SOFIA, "survey", 2000, 9, &mut csv).unwrap();
    let good = root.path().join("survey.csv");
    fs::write(&good, &csv).unwrap();
    let bad = root.path().join("bad.csv");
    let mut bad_csv = String::from_utf8(csv).unwrap();
    bad_csv.push_str("not,a,row\n");
    fs::write(&bad, bad_csv).unwrap();
    let doc = root.path().join("policy.pdf");
    fs::write(&doc, b"%PDF-1.7\n% a policy\n".repeat(500)).unwrap();
    let meta = root.path().join("meta.toml");
    fs::write(&meta, crate::crash::META).unwrap();
    let (good, bad, doc, meta) = (
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        doc.to_str().unwrap(),
        meta.to_str().unwrap(),
    );

    let mut node = Serving::start_with_env(&dir, &[("RUST_LOG", "trace")]);
    let ok = |said: &mut Said, what: &str, args: &[&str]| {
        let (code, err) = said.run(what, args, &[]);
        assert_eq!(code, Some(0), "{what}: {err}");
    };
    let fails = |said: &mut Said, what: &str, args: &[&str]| {
        let (code, err) = said.run(what, args, &[]);
        assert_eq!(code, Some(1), "{what}: {err}");
    };
    ok(&mut said, "card", &["card", "--dir", d]);
    let ingest = ["ingest", "--dir", d, "--dataset", "survey", "--period", "2025"];
    ok(&mut said, "ingest dry run", &[&ingest[..], &["--dry-run", good]].concat());
    ok(&mut said, "ingest", &[&ingest[..], &["--format", "json", good]].concat());
    fails(&mut said, "ingest over budget", &[&ingest[..], &[good]].concat());
    fails(&mut said, "ingest of a bad file", &[&ingest[..], &["--dry-run", bad]].concat());
    ok(&mut said, "budget", &["budget", "--dir", d]);
    ok(
        &mut said,
        "publish",
        &["publish", "--dir", d, "--type", "policy", "--title", "Policy", "--metadata", meta, doc],
    );
    fails(
        &mut said,
        "publish without metadata",
        &["publish", "--dir", d, "--type", "policy", "--title", "Policy", doc],
    );
    ok(&mut said, "query", &["query", "--dir", d, "--indicator", "DRI-USE-01", "--by", "age_band"]);
    fails(
        &mut said,
        "query of an unknown indicator",
        &["query", "--dir", d, "--indicator", "NOPE"],
    );
    ok(&mut said, "peers", &["peers", "--dir", d]);
    ok(&mut said, "federation show", &["federation", "show", "--dir", d]);
    fails(
        &mut said,
        "federation approve of no proposal",
        &["federation", "approve", "--dir", d, "--hash", &"ab".repeat(32)],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(grpc_errors(node.url(), &mut said));

    // HTTP: the right token is let in, a wrong or missing one is refused.
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    let paths = [
        "/",
        "/metrics",
        "/healthz",
        "/readyz",
        "/api/v1/indicators",
        "/api/v1/members",
        "/api/v1/query?indicator=DRI-USE-01&by=age_band",
        "/api/v1/artefacts",
        "/artefacts",
        "/api/v1/artefacts/BGSOF/9/download",
    ];
    for path in paths {
        let (status, body) = http_get(&http, path, Some(&token));
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        said.add(format!("HTTP {path}"), body);
    }
    let wrong = format!("{}{}", &token[..32], "0".repeat(32));
    for (what, t) in [("wrong token", Some(wrong.as_str())), ("no token", None)] {
        let (status, body) = http_get(&http, "/api/v1/indicators", t);
        assert_eq!(status, 401, "{what}");
        said.add(format!("HTTP with {what}"), body);
    }
    // A stranger on the federation port, sending the token in plain text.
    {
        use std::io::{Read, Write};
        let fed = node
            .log()
            .split("\"federation\":\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let mut s = std::net::TcpStream::connect(&fed).unwrap();
        let request = format!("GET / HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n");
        // The node may hang up before reading it all; what it logs is what counts.
        let _ = s.write_all(request.as_bytes());
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        said.add("federation port, not TLS", reply);
    }
    assert_eq!(node.signal_and_wait("TERM").code(), Some(0), "{}", node.log());
    let log = node.log();
    assert!(
        log.contains("metronode starting") && log.contains("\"config\":"),
        "the start-up line prints the configuration"
    );
    assert!(log.contains("TRACE"), "the node logged at trace level");
    said.add("node log at trace level", log);

    // Debug output of everything that holds a secret.
    let identity = metronode::node::Identity::load(&dir).unwrap();
    said.add("Debug of the configuration", format!("{:?} {:#?}", identity.config, identity.config));
    said.add("Debug of the identity", format!("{identity:?} {identity:#?}"));
    let opened = metronode::node::Node::open(identity).unwrap();
    said.add("Debug of the open node", format!("{opened:?}"));
    drop(opened);
    // Every file of the data directory but the keys: store, blobs, audit log, configuration.
    let mut files = vec![dir.clone()];
    let mut n_files = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if !path.starts_with(dir.join("keys")) {
            n_files += 1;
            said.add(format!("file {}", path.display()), fs::read(&path).unwrap());
        }
    }
    let cases = bad_input(&dir, &token, &mut said);

    let leaks: Vec<String> = said
        .0
        .iter()
        .flat_map(|(what, bytes)| {
            needles.find(bytes).into_iter().map(move |s| format!("{s} in {what}"))
        })
        .collect();
    let lines = vec![
        format!(
            "Written by `secrets::keys_and_tokens_never_leave_their_files` \
             (node/tests/cli/secrets.rs). Searched for: the signing key's and the TLS key's \
             32-byte seeds and an analyst's bearer token, as every 16-character window of their \
             hex (both cases), their base64 and URL-safe base64 at all three alignments (so any \
             PEM or base64 text holding them matches), every 16-byte window of their raw bytes, \
             and every 24-character window of their `Debug` form. The search found each secret \
             in its own file and the token in the output of `metronode token`, its only intended \
             place."
        ),
        String::new(),
        format!(
            "Searched {} outputs ({} KiB): `init`, `card`, ingests (good, dry run, a bad file, \
             over budget), `budget`, `publish` (good, no metadata), `query` (good, unknown), \
             `peers`, `federation show` and `approve`; 5 gRPC error replies in full (`Debug` of \
             the `Status`); {} HTTP answers with the token (dashboard, `/metrics`, API, a \
             download) and 2 refusals (wrong token, no token); a plain-text request carrying the \
             token to the federation port; the node's whole log at `RUST_LOG=trace` (its \
             start-up line prints the configuration); `Debug` of the configuration, the identity \
             and the open node; the {n_files} files of the data directory besides the keys; and \
             {cases} kinds of bad input, each run through `serve`, `card` and `verify`: key files \
             readable by others (signing, TLS), a truncated signing key, the signing key pasted \
             as its path in `METRONODE_KEYS__SIGNING_KEY`, the TLS key pasted into `node.toml`, \
             the token as `METRONODE_HTTP__TOKENS`, the token in a `[[http.tokens]]` entry, and \
             a `node.toml` that is not TOML.",
            said.0.len(),
            said.bytes() / 1024,
            paths.len()
        ),
        String::new(),
        if leaks.is_empty() { "Leaked: nothing.".to_owned() } else { format!("Leaked: {leaks:?}") },
    ];
    reliability_note("Secrets", &lines);
    assert!(leaks.is_empty(), "{leaks:#?}");
}
