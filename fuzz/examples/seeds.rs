//! Writes the seed corpora under `fuzz/corpus/<target>/`: real inputs of every target, small
//! (kilobytes), the same bytes on every run. Run it when a format changes:
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds`.

use std::{
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use ed25519_dalek::SigningKey;
use metronode::{
    artefact, catalogue::Catalogue, config, federation, identity::MemberId, merkle, pb,
    pb::record_body::Payload, record::GENESIS_PREV, synth,
};
use metronode_fuzz::{
    KEYS, RECORD_TAG, TREE_HEAD_TAG, log_op, manifest_op, member, push_chunk, record_mode, sign,
};
use prost::Message;
use sha2::{Digest, Sha256};

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut written = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)?;
        written += 1;
        Ok(())
    };
    for (name, bytes) in record_seeds() {
        write("record", &name, &bytes)?;
    }
    for (name, bytes) in ingest_seeds()? {
        write("ingest_csv", &name, &bytes)?;
    }
    for (name, bytes) in manifest_seeds()? {
        write("manifest", &name, &bytes)?;
    }
    for (name, bytes) in artefact_seeds() {
        write("artefact_metadata", &name, bytes.as_bytes())?;
    }
    for (name, bytes) in config_seeds()? {
        write("config", &name, bytes.as_bytes())?;
    }
    anyhow::ensure!(written > 0);
    println!("wrote {written} seeds under {}", root.display());
    Ok(())
}

type Seeds = Vec<(String, Vec<u8>)>;

fn body(seq: u64, prev: merkle::Hash, payload: Payload) -> Vec<u8> {
    pb::RecordBody {
        origin: "BEBRU".into(),
        seq,
        prev_hash: prev.to_vec(),
        issued_at_unix_ms: 1_740_000_000_000 + seq as i64,
        payload: Some(payload),
    }
    .encode_to_vec()
}

fn with_mode(mode: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(bytes);
    out
}

fn record_seeds() -> Seeds {
    let notice = Payload::Notice(pb::Notice { title: "hello".into(), text: "first".into() });
    let first = body(0, GENESIS_PREV, notice);
    let founding = founding_manifest().bytes;
    let second = body(
        1,
        merkle::leaf_hash(&first),
        Payload::ManifestProposal(pb::ManifestProposal { manifest: founding }),
    );
    let approval = Payload::ManifestApproval(pb::ManifestApproval { manifest_hash: vec![7; 32] });
    let third = body(2, merkle::leaf_hash(&second), approval);
    let envelope = |key: &SigningKey, body: &[u8]| {
        pb::SignedRecord {
            body: body.to_vec().into(),
            signature: sign(key, RECORD_TAG, body).into(),
        }
        .encode_to_vec()
    };
    let mut tree = merkle::MerkleTree::new();
    for b in [&first, &second] {
        tree.push(merkle::leaf_hash(b));
    }
    let head = pb::TreeHead {
        origin: "BEBRU".into(),
        size: 2,
        // Unwrap safety: the tree has two leaves.
        root_hash: tree.root(2).unwrap().to_vec(),
        timestamp_unix_ms: 1_740_000_000_100,
    }
    .encode_to_vec();
    let signed_head = pb::SignedTreeHead {
        body: head.clone(),
        signature: sign(&KEYS[1], TREE_HEAD_TAG, &head),
        checkpoint_signature: Vec::new(),
    }
    .encode_to_vec();

    let mut ops = Vec::new();
    for title in [&b"one"[..], b"two", b"three"] {
        ops.push(log_op::HONEST);
        push_chunk(&mut ops, title);
    }
    ops.push(log_op::DELIVER);
    ops.extend([log_op::TREE_HEAD, 3]);
    // A second record at position 1 (a fork), then a replay of record 0 and a bad envelope.
    ops.extend([log_op::CRAFTED, 1, 1]);
    push_chunk(&mut ops, b"fork");
    ops.push(log_op::SIGNED_BODY);
    push_chunk(&mut ops, &first);
    ops.push(log_op::ENVELOPE);
    push_chunk(&mut ops, &envelope(&KEYS[0], &third));
    ops.push(log_op::DELIVER);
    ops.extend([log_op::TREE_HEAD | 0x40, 2, 9]);

    vec![
        ("envelope-notice".into(), with_mode(record_mode::ENVELOPE, &envelope(&KEYS[0], &first))),
        (
            "envelope-proposal-rotated-key".into(),
            with_mode(record_mode::ENVELOPE, &envelope(&KEYS[1], &second)),
        ),
        ("envelope-tree-head".into(), with_mode(record_mode::ENVELOPE, &signed_head)),
        ("body-approval".into(), with_mode(record_mode::SIGNED_BODY, &third)),
        ("body-tree-head".into(), with_mode(record_mode::SIGNED_BODY, &head)),
        ("log-honest-fork-replay".into(), with_mode(record_mode::LOG, &ops)),
    ]
}

fn ingest_seeds() -> anyhow::Result<Seeds> {
    // Unwrap safety: BEBRU is a pilot city.
    let city = synth::city("BEBRU").unwrap();
    let mut out = Vec::new();
    for dataset in synth::DATASETS {
        let rows = if dataset == "district_admin" { 19 } else { 6 };
        let mut csv = Vec::new();
        synth::generate(&city, dataset, rows, 7, &mut csv)?;
        out.push((format!("{dataset}.csv"), csv));
    }
    // The survey file again with a byte-order mark and CRLF line ends, and its header alone.
    let survey = out[0].1.clone();
    let mut bom = b"\xef\xbb\xbf".to_vec();
    for &b in &survey {
        if b == b'\n' {
            bom.push(b'\r');
        }
        bom.push(b);
    }
    out.push(("survey-bom-crlf.csv".into(), bom));
    let header = survey.split(|b| *b == b'\n').next().unwrap_or_default().to_vec();
    out.push(("survey-header-only.csv".into(), header));
    Ok(out)
}

fn card(i: u8, id: &str) -> pb::MemberCard {
    let key = SigningKey::from_bytes(&[10 + i; 32]);
    pb::MemberCard {
        id: id.into(),
        name: format!("City {id}"),
        country: id[..2].into(),
        signing_public_key: key.verifying_key().to_bytes().to_vec(),
        tls_key_fingerprint: Sha256::digest([i]).to_vec(),
        endpoint: format!("https://{}.example:7401", id.to_ascii_lowercase()),
    }
}

fn founding_manifest() -> federation::Manifest {
    let cards = ["BEBRU", "IEDUB", "BGSOF", "ALTIA"].iter().zip(0..).map(|(id, i)| card(i, id));
    // Unwrap safety: four valid cards and a threshold of two.
    federation::founding("pilots", 2, cards.collect()).unwrap()
}

fn manifest_seeds() -> anyhow::Result<Seeds> {
    let v1 = founding_manifest();
    let v2 = federation::next_version(
        &v1,
        vec![card(9, "NLAMS")],
        &[member("ALTIA")],
        Some(3),
        "join NLAMS, ALTIA leaves",
    )?;
    let mut ops = vec![manifest_op::FOUND];
    push_chunk(&mut ops, &v1.bytes);
    // BEBRU proposes version 2; IEDUB approves it (threshold 2 of version 1).
    ops.extend([manifest_op::PROPOSE, 1]);
    push_chunk(&mut ops, &v2.bytes);
    ops.extend([manifest_op::APPROVE, 3, 1]);
    // This node proposes version 3 without NLAMS; members 1 and 2 approve.
    let upsert = pb::Manifest { members: vec![card(5, "BGSOF")], ..Default::default() };
    ops.push(manifest_op::NEXT);
    push_chunk(&mut ops, &upsert.encode_to_vec());
    ops.extend([3, 2, 0b110]);

    let mut partial = vec![manifest_op::PROPOSE, 0];
    push_chunk(&mut partial, &v1.bytes);
    partial.extend([manifest_op::APPROVE, 2, 0]);

    Ok(vec![
        ("manifest-v1".into(), v1.bytes.clone()),
        ("manifest-v2".into(), v2.bytes),
        ("membership-found-join-leave".into(), ops),
        ("membership-one-founder".into(), partial),
    ])
}

fn artefact_seeds() -> Vec<(String, String)> {
    let common = "language = [\"en\"]\nissued = \"2025-03-01\"\nstatus = \"in_force\"\nlicense = \"CC-BY-4.0\"\ncontact_email = \"digital@bebru.example\"\ncc4dr_principles = [\"access_and_literacy\"]\n";
    let charter = format!(
        "Brussels Digital Rights Charter\n{common}description = \"Commitments of Brussels on digital inclusion and rights, with 2030 targets (demo document)\"\nrights_areas = [\"inclusion_equality_equity\", \"privacy_safety_security_protection\"]\nrelated_indicators = [\"DRI-SKL-01\", \"DRI-USE-01\"]\n[details]\nadopted_by = \"City council (demo)\"\nadopted_on = \"2025-03-01\"\ncommitments = [{{ commitment_id = \"C1\", text = \"At least basic digital skills for 80% of residents by 2030\" }}]\n"
    );
    let open_data = format!(
        "Brussels Open Data Policy\n{common}description = \"Open by default: licences, portal and inventory (demo document)\"\nrights_areas = [\"public_goods_open_infrastructure\", \"transparency_accountability\"]\nrelated_indicators = [\"DRI-GOV-01\"]\nid = \"bebru-open-data\"\n[details]\ndefault_license = \"CC-BY-4.0\"\nportal_url = \"https://data.bebru.example\"\n"
    );
    // The register entry's example template: every ATS field, valid.
    let ats = format!(
        "Parking permits\n{}",
        artefact::template("algorithm-register-entry", artefact::Fill::Examples).unwrap()
    );
    let dpia = format!(
        "Survey DPIA\n{common}description = \"Impact assessment\"\nrights_areas = [\"privacy_safety_security_protection\"]\nissued_at = 2025-03-01T10:00:00Z\n[details]\nprocessing_description = \"survey\"\nnecessity_proportionality = \"needed\"\nrisk_assessment = \"low\"\nmitigations = \"noise\"\npublication_level = \"summary\"\n"
    );
    let training = format!(
        "Digital skills for staff\n{common}description = \"A module\"\nrights_areas = [\"inclusion_equality_equity\"]\n[details]\naudience = \"staff\"\nmodality = \"online\"\nhours = 1.5\n"
    );
    vec![
        ("charter.toml".into(), charter),
        ("open-data-policy.toml".into(), open_data),
        ("algorithm-register-entry.toml".into(), ats),
        ("dpia.toml".into(), dpia),
        ("training-module.toml".into(), training),
    ]
}

fn config_seeds() -> anyhow::Result<Vec<(String, String)>> {
    let id: MemberId = member("BEBRU");
    let listen = SocketAddr::from(([127, 0, 0, 1], 7400));
    let fed = SocketAddr::from(([127, 0, 0, 1], 7401));
    let template = config::template(&id, "Brussels", listen, fed, "https://127.0.0.1:7401");
    let example_path: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/node.example.toml");
    let example = fs::read_to_string(example_path)?;
    let privacy = format!(
        "{example}\n[privacy.survey]\nmechanism = \"discrete_laplace\"\nper_release = \"0.5\"\nbudget = \"2\"\nweight_clip = 50\n\n[[http.tokens]]\nname = \"analyst\"\nsha256 = \"{}\"\n",
        "ab".repeat(32)
    );
    let env = format!(
        "{example}\0METRONODE_FEDERATION__SYNC_INTERVAL_MS=1000\nMETRONODE_HTTP__PUBLIC=true\nMETRONODE_PRIVACY__SURVEY__BUDGET=2\nMETRONODE_NODE__NAME=Bruxelles\n"
    );
    // The catalogue is parsed here too, so a seed run fails early if it does not load.
    let _ = Catalogue::builtin();
    Ok(vec![
        ("init-template.toml".into(), template),
        ("node.example.toml".into(), example),
        ("privacy-and-tokens.toml".into(), privacy),
        ("env-overrides".into(), env),
    ])
}
