//! The node's life: init, card, serve, SIGTERM, SIGKILL mid-stream and restart, verify.

use std::{collections::BTreeMap, fs, os::unix::fs::PermissionsExt};

use metronode::{identity::MemberId, log, merkle, pb, store::Store};
use prost::Message;

use crate::harness::{Serving, all_records, init, publish, run};

#[test]
fn init_writes_owner_only_keys_and_a_public_card() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "BEBRU");
    for key in ["keys/signing.key", "keys/tls.key"] {
        let mode = fs::metadata(dir.join(key)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{key}");
    }
    let out = run(&["card", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let card: toml::Table = toml::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(card["id"].as_str(), Some("BEBRU"));
    assert_eq!(card["country"].as_str(), Some("BE"));
    assert_eq!(card["signing_public_key"].as_str().unwrap().len(), 64);
    assert_eq!(card["tls_key_fingerprint"].as_str().unwrap().len(), 64);
    let signing_pem = fs::read_to_string(dir.join("keys/signing.key")).unwrap();
    let card_text = toml::to_string(&card).unwrap();
    assert!(!card_text.contains(signing_pem.lines().nth(1).unwrap()));

    // Standard tools read every key file: PKCS#8 v1, an ed25519 signing key whose public half
    // is the card's, and a P-256 TLS key in a certificate OpenSSL parses; the TLS key's SPKI
    // digest is the card's pin.
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).output().expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let key = |name: &str| dir.join("keys").join(name).to_str().unwrap().to_owned();
    for name in ["signing.key", "tls.key"] {
        openssl(&["pkey", "-noout", "-in", &key(name)]);
    }
    let public = openssl(&["pkey", "-in", &key("signing.key"), "-pubout", "-outform", "DER"]);
    assert_eq!(
        hex::encode(&public[public.len() - 32..]),
        card["signing_public_key"].as_str().unwrap()
    );
    let text =
        String::from_utf8(openssl(&["pkey", "-in", &key("tls.key"), "-noout", "-text"])).unwrap();
    assert!(text.contains("prime256v1") || text.contains("P-256"), "{text}");
    let cert =
        String::from_utf8(openssl(&["x509", "-in", &key("tls.crt"), "-noout", "-text"])).unwrap();
    assert!(cert.contains("ecdsa-with-SHA256"), "{cert}");
    let spki = openssl(&["pkey", "-in", &key("tls.key"), "-pubout", "-outform", "DER"]);
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&spki)),
        card["tls_key_fingerprint"].as_str().unwrap()
    );

    // A second init never overwrites.
    let again = run(&["init", "--id", "BEBRU", "--name", "B", "--dir", dir.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(fs::read_to_string(dir.join("keys/signing.key")).unwrap(), signing_pem);
}

#[test]
fn sigterm_drains_flushes_and_exits_zero() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "IEDUB");
    let mut node = Serving::start(&dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = node.url();
    let (seq, _) = rt.block_on(async {
        let mut c = pb::publisher_client::PublisherClient::connect(url).await.unwrap();
        publish(&mut c, "before shutdown").await.unwrap()
    });
    assert_eq!(seq, 0);
    let status = node.signal_and_wait("TERM");
    let log = node.log();
    assert_eq!(status.code(), Some(0), "{log}");
    for step in ["shutdown requested", "draining", "flushing store", "shutdown: complete"] {
        assert!(log.contains(step), "missing {step:?} in {log}");
    }
    assert!(log.contains("\"member\":\"IEDUB\""), "start-up line names the member: {log}");
    assert!(!dir.join("grpc.addr").exists());

    // SIGINT behaves the same; meanwhile the container health probe sees the node.
    let mut node = Serving::start(&dir);
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    let probe = run(&["health", "--http", &http]);
    assert!(probe.status.success(), "{}", String::from_utf8_lossy(&probe.stderr));
    assert_eq!(node.signal_and_wait("INT").code(), Some(0), "{}", node.log());
    assert!(!run(&["health", "--http", &http]).status.success(), "a stopped node is not healthy");
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("IEDUB: 1 records"));
}

/// Appends from several concurrent clients, kills the node with SIGKILL mid-stream, restarts it
/// and checks every acknowledged record is there and the whole log verifies. Three rounds, so
/// the kill lands at different points.
#[test]
fn sigkill_mid_stream_loses_no_acknowledged_record() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "BGSOF");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut acked: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for round in 0..3 {
        let mut node = Serving::start(&dir);
        let url = node.url();
        let target = acked.len() + 40 + round * 7;
        let got = rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for w in 0..4 {
                let (url, tx) = (url.clone(), tx.clone());
                tokio::spawn(async move {
                    let mut c = pb::publisher_client::PublisherClient::connect(url).await.unwrap();
                    for i in 0.. {
                        match publish(&mut c, &format!("round {round} writer {w} no {i}")).await {
                            Ok(ack) => {
                                if tx.send(ack).is_err() {
                                    return;
                                }
                            }
                            Err(_) => return,
                        }
                    }
                });
            }
            drop(tx);
            let mut got = Vec::new();
            while let Some(ack) = rx.recv().await {
                got.push(ack);
                if acked.len() + got.len() >= target {
                    break;
                }
            }
            got
        });
        // Kill while the writers are still writing.
        node.child.kill().unwrap();
        node.child.wait().unwrap();
        for (seq, hash) in got {
            assert!(acked.insert(seq, hash).is_none(), "seq {seq} acknowledged twice");
        }

        let node = Serving::start(&dir);
        let records = rt.block_on(all_records(&node.url(), "BGSOF"));
        assert!(records.len() >= acked.len());
        for (seq, hash) in &acked {
            let rec = &records[*seq as usize];
            assert_eq!(&merkle::leaf_hash(&rec.body).to_vec(), hash, "record {seq} changed");
        }
        // The reading side verifies the chain and the tree head it is served.
        let card = card_key(&dir);
        let origin: MemberId = "BGSOF".parse().unwrap();
        let envs = records.iter().enumerate().map(|(i, r)| Ok((i as u64, r.encode_to_vec())));
        let tree = log::verify_chain(envs, &origin, &card).unwrap();
        let head = rt.block_on(async {
            let mut c = pb::federation_client::FederationClient::connect(node.url()).await.unwrap();
            c.get_tree_head(pb::GetTreeHeadRequest { origin: "BGSOF".into() })
                .await
                .unwrap()
                .into_inner()
        });
        let head = log::check_tree_head(&head.encode_to_vec(), &origin, &card, &tree).unwrap();
        assert_eq!(head.size, tree.size(), "a restarted node re-signs a head over every record");
        drop(node);
    }
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Altia's data directory under `root`, its node stopped after publishing four notices.
fn four_notices(root: &std::path::Path) -> std::path::PathBuf {
    let dir = init(root, "ALTIA");
    let mut node = Serving::start(&dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
        for i in 0..4 {
            publish(&mut c, &format!("n{i}")).await.unwrap();
        }
    });
    assert_eq!(node.signal_and_wait("TERM").code(), Some(0));
    dir
}

/// Flips bits `mask` of byte `at` of record 2's body (or, with `signature`, of its signature)
/// in Altia's record file, in place, as disk corruption or an intruder would.
fn damage_record_2(dir: &std::path::Path, signature: bool, at: usize, mask: u8) {
    let origin: MemberId = "ALTIA".parse().unwrap();
    let store = Store::open(&dir.join("store")).unwrap();
    let env = store.record(&origin, 2).unwrap().unwrap();
    let record = pb::SignedRecord::decode(env).unwrap();
    drop(store);
    let part = if signature { record.signature } else { record.body };
    let file = dir.join("store").join("records").join("ALTIA.records");
    let mut bytes = std::fs::read(&file).unwrap();
    let start = bytes.windows(part.len()).position(|w| w == &part[..]).unwrap();
    bytes[start + at] ^= mask;
    std::fs::write(&file, &bytes).unwrap();
}

/// Waits until `node` counts a damaged stored log, and checks that its log says `what`.
fn damage_found(node: &Serving, http: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, metrics) = crate::harness::http_get(http, "/metrics", None);
        if String::from_utf8_lossy(&metrics).contains("metronode_stored_logs_damaged 1") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not counted: {}", node.log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let log = node.log();
    assert!(log.contains("a stored log does not verify"), "{log}");
    assert!(log.contains(what), "{log}");
}

#[test]
fn verify_names_the_first_bad_record() {
    let root = tempfile::tempdir().unwrap();
    let dir = four_notices(root.path());
    // The last byte of record 2's body.
    let last = {
        let store = Store::open(&dir.join("store")).unwrap();
        let env = store.record(&"ALTIA".parse().unwrap(), 2).unwrap().unwrap();
        pb::SignedRecord::decode(env).unwrap().body.len() - 1
    };
    damage_record_2(&dir, false, last, 0x20);
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("record ALTIA/2: signature check failed"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    // The node starts (its index and the signed head agree; start-up reads no body under the
    // head), never serves the changed body as the log's, and finds it by checking every
    // signature once it serves.
    let node = Serving::start(&dir);
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    let entry =
        |seq: u64| crate::harness::http_get(&http, &format!("/log/ALTIA/entry/{seq}"), None);
    assert_eq!(entry(1).0, 200);
    assert_eq!(entry(2).0, 404);
    damage_found(&node, &http, "record ALTIA/2: signature check failed");
    drop(node);
    // A record file cut short is named with what it lacks, once, on one line.
    let file = dir.join("store").join("records").join("ALTIA.records");
    fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(10).unwrap();
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("ALTIA.records: damaged: holds 10 bytes, but 4 records"), "{err}");
    assert_eq!(err.matches("holds 10 bytes").count(), 1, "said once: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn a_damaged_signature_under_the_head_is_served_then_found_and_counted() {
    let root = tempfile::tempdir().unwrap();
    let dir = four_notices(root.path());
    // One bit of record 2's signature: its body, which the signed tree head commits to, stays
    // as signed.
    damage_record_2(&dir, true, 7, 0x01);
    // The node starts (the head proves every body) and then finds the record by checking every
    // signature: logged with the record named, and counted for the alert.
    let node = Serving::start(&dir);
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    damage_found(&node, &http, "record ALTIA/2: signature check failed");
    drop(node);
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("record ALTIA/2: signature check failed"), "{err}");
}

fn card_key(dir: &std::path::Path) -> metronode::identity::NodeId {
    let out = run(&["card", "--dir", dir.to_str().unwrap()]);
    let card: toml::Table = toml::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let bytes = hex::decode(card["signing_public_key"].as_str().unwrap()).unwrap();
    metronode::identity::NodeId::from_bytes(&bytes).unwrap()
}
