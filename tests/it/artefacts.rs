//! Policy artefacts across the federation: publish, replicate the metadata and the body to two
//! peers, download and verify byte for byte; refusals (metadata, names, sizes, tampered bodies)
//! that leave nothing behind; supersession and withdrawal seen on peers.

use metronode::pb;
use metronode_tests::{TestCluster, TestNode};
use sha2::{Digest, Sha256};

const META: &str = r#"
description = "The city's commitments on digital rights, with 2030 targets"
language = ["fr", "nl", "en"]
issued = "2023-10-16"
status = "adopted"
license = "CC-BY-4.0"
contact_email = "digital@brussels.example"
rights_areas = ["inclusion_equality_equity", "privacy_safety_security_protection"]
cc4dr_principles = ["access_and_literacy", "privacy_data_protection_security"]
related_indicators = ["DRI-SKL-01", "DRI-USE-01"]
id = "bebru-digital-rights-charter"

[details]
adopted_by = "City council, decision 2023/117"
adopted_on = "2023-10-16"
commitments = [{ commitment_id = "C1", text = "Basic digital skills for 80% by 2030", rights_area = "inclusion_equality_equity", target_indicator_id = "DRI-SKL-01", target_value = 0.8, target_year = 2030 }]
"#;

fn pdf(tag: &str) -> Vec<u8> {
    let mut v = format!("%PDF-1.7\n% Digital Rights Charter {tag}\n").into_bytes();
    v.extend((0..20_000u32).map(|i| (i % 251) as u8));
    v
}

async fn library(node: &TestNode) -> Vec<pb::ArtefactView> {
    let mut c = pb::analytics_client::AnalyticsClient::connect(node.url()).await.unwrap();
    c.list_artefacts(pb::ListArtefactsRequest::default()).await.unwrap().into_inner().artefacts
}

async fn download(node: &TestNode, origin: &str, seq: u64) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(node.http_addr).await.unwrap();
    let req = format!(
        "GET /api/v1/artefacts/{origin}/{seq}/download HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, buf[split + 4..].to_vec())
}

#[tokio::test]
async fn a_document_reaches_two_peers_and_downloads_byte_for_byte() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB", "BGSOF"], 2).await;
    let body = pdf("v1");
    let reply = cluster.nodes[0]
        .publish_artefact("charter", "Digital Rights Charter", META, "charter-2023.pdf", &body)
        .await
        .unwrap();
    for i in 1..3 {
        let node = &cluster.nodes[i];
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let lib = library(node).await;
            if lib.iter().any(|a| a.seq == reply.seq && a.body_verified) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "node {i} never verified the document");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (status, head, bytes) = download(node, "BEBRU", reply.seq).await;
        assert_eq!(status, 200);
        assert_eq!(bytes, body, "byte for byte");
        let head = head.to_ascii_lowercase();
        assert!(head.contains("content-type: application/pdf"), "{head}");
        assert!(
            head.contains("content-disposition: attachment; filename=\"charter-2023.pdf\""),
            "{head}"
        );
        assert!(
            head.contains("x-content-type-options: nosniff")
                && head.contains("content-security-policy: sandbox")
        );
        assert!(head.contains(&hex::encode(Sha256::digest(&body))));
    }
    let lib = library(&cluster.nodes[2]).await;
    let a = lib.iter().find(|a| a.seq == reply.seq).unwrap();
    let p = a.publication.as_ref().unwrap();
    assert_eq!(
        (p.artefact_id.as_str(), p.artefact_type.as_str(), a.state.as_str()),
        ("bebru-digital-rights-charter", "digital_rights_charter", "current")
    );
    assert_eq!(p.body_sha256, Sha256::digest(&body).to_vec());
    let meta: serde_json::Value = serde_json::from_str(&p.metadata_json).unwrap();
    assert_eq!(meta["details"]["commitments"][0]["target_year"], 2030);
}

#[tokio::test]
async fn versions_and_withdrawals_are_seen_on_peers() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 1).await;
    let v1 = cluster.nodes[0]
        .publish_artefact("charter", "Digital Rights Charter", META, "charter.pdf", &pdf("v1"))
        .await
        .unwrap();
    let v2 = cluster.nodes[0]
        .publish_artefact(
            "charter",
            "Digital Rights Charter (amended)",
            META,
            "charter.pdf",
            &pdf("v2"),
        )
        .await
        .unwrap();
    let policy = META
        .replace("id = \"bebru-digital-rights-charter\"", "id = \"bebru-open-data\"")
        .replace("[details]", "[ignored]");
    let p = cluster.nodes[0]
        .publish_artefact(
            "policy",
            "Open data policy",
            &policy,
            "open-data.txt",
            b"All data open by default.",
        )
        .await
        .unwrap();
    let mut c = cluster.nodes[0].publisher().await;
    let err = c
        .withdraw_artefact(pb::WithdrawArtefactRequest {
            artefact_id: "nope".into(),
            reason: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    c.withdraw_artefact(pb::WithdrawArtefactRequest {
        artefact_id: "bebru-open-data".into(),
        reason: "replaced by the 2026 policy".into(),
    })
    .await
    .unwrap();
    // Twice: refused as already withdrawn, with the first withdrawal's reason.
    let again = c
        .withdraw_artefact(pb::WithdrawArtefactRequest {
            artefact_id: "bebru-open-data".into(),
            reason: "again".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    assert!(
        again.message().contains("already withdrawn")
            && again.message().contains("replaced by the 2026 policy"),
        "{}",
        again.message()
    );
    cluster
        .wait_until("Dublin holds Brussels's log", |c| c.held(1, "BEBRU") == c.held(0, "BEBRU"))
        .await;
    let lib = library(&cluster.nodes[1]).await;
    let state = |seq: u64| {
        lib.iter()
            .find(|a| a.seq == seq)
            .map(|a| (a.state.clone(), a.withdrawal_reason.clone()))
            .unwrap()
    };
    assert_eq!(state(v1.seq).0, "superseded");
    assert_eq!(state(v2.seq).0, "current");
    assert_eq!(state(p.seq), ("withdrawn".into(), "replaced by the 2026 policy".into()));
    let v2_pub = lib.iter().find(|a| a.seq == v2.seq).unwrap().publication.clone().unwrap();
    assert_eq!(v2_pub.supersedes_seq, Some(v1.seq));
    // The library page and the policy matrix show it.
    let mut s = tokio::net::TcpStream::connect(cluster.nodes[1].http_addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"GET /artefacts?city=BEBRU HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).await.unwrap();
    assert!(
        page.contains("Digital Rights Charter (amended)")
            && page.contains("superseded")
            && page.contains("withdrawn (replaced by the 2026 policy)")
    );
    assert!(page.contains("1 current"), "policy matrix");
}

#[tokio::test]
async fn bad_metadata_names_sizes_and_tampered_bodies_are_refused_leaving_nothing() {
    let node =
        TestNode::start_edited("BGSOF", |t| t.replace("max_bytes = 67108864", "max_bytes = 10000"))
            .await;
    let blobs = node.dir().join("blobs");
    let count = || std::fs::read_dir(&blobs).unwrap().count();
    let err = node
        .publish_artefact(
            "charter",
            "C",
            &META.replace("license = \"CC-BY-4.0\"\n", ""),
            "c.pdf",
            b"%PDF-1.7",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("metadata field `license`: is required"), "{}", err.message());
    let err = node
        .publish_artefact(
            "charter",
            "C",
            &META.replace("adopted_by", "adopted_per"),
            "c.pdf",
            b"%PDF",
        )
        .await
        .unwrap_err();
    assert!(err.message().contains("details.adopted_by"), "{}", err.message());
    for name in ["../../etc/passwd", "dir/evil.pdf", "..", "a\nb.pdf"] {
        let err = node.publish_artefact("charter", "C", META, name, b"%PDF-1.7").await.unwrap_err();
        assert!(err.message().contains("file_name"), "{name:?}: {}", err.message());
    }
    let err = node
        .publish_artefact("charter", "C", META, "big.pdf", &vec![b'x'; 10_001])
        .await
        .unwrap_err();
    assert!(err.message().contains("larger than the limit of 10000 bytes"), "{}", err.message());
    assert_eq!(count(), 0, "no partial or stray file");
    assert_eq!(node.log_size(), 0, "nothing published");
    let ok =
        node.publish_artefact("charter", "C", META, "ok.pdf", &vec![b'y'; 10_000]).await.unwrap();
    assert_eq!((count(), node.log_size()), (1, 1));

    // A body altered on disk is neither served nor handed to peers as genuine.
    let entry = std::fs::read_dir(&blobs).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&entry, b"tampered").unwrap();
    let (status, _, _) = download(&node, "BGSOF", ok.seq).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_peer_serving_bytes_that_do_not_match_is_refused() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 1).await;
    let TestCluster { mut nodes } = cluster;
    let dublin = nodes.pop().unwrap().pause().await;
    let brussels = nodes.pop().unwrap();
    let reply = brussels
        .publish_artefact("charter", "Charter", META, "charter.pdf", &pdf("x"))
        .await
        .unwrap();
    // Brussels's copy is corrupted before Dublin fetches it.
    let blob =
        std::fs::read_dir(brussels.dir().join("blobs")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let dublin = dublin.resume().await;
    let cluster = TestCluster { nodes: vec![brussels, dublin] };
    cluster
        .wait_until("Dublin holds the record", |c| c.held(1, "BEBRU") == c.held(0, "BEBRU"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let lib = library(&cluster.nodes[1]).await;
    let a = lib.iter().find(|a| a.seq == reply.seq).unwrap();
    assert!(!a.body_verified, "the mismatching body was not stored");
    // Only a transfer in progress may have a temporary file; no body is stored under a hash.
    let stored = std::fs::read_dir(cluster.nodes[1].dir().join("blobs"))
        .unwrap()
        .filter(|e| !e.as_ref().unwrap().file_name().to_string_lossy().starts_with("tmp-"))
        .count();
    assert_eq!(stored, 0);
}
