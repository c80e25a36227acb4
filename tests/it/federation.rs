//! Federation over real mTLS on loopback: founding, replication of every origin, records
//! relayed through a member when the origin is down, a membership change that reaches every
//! member without copying, refusal of non-members at the handshake, and the peers view.

use metronode::{federation, identity::MemberId, pb, peers};
use metronode_tests::{TestCluster, TestNode};

#[tokio::test]
async fn founders_federate_and_replicate_every_origin() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB", "BGSOF"], 2).await;
    for (i, n) in cluster.nodes.iter().enumerate() {
        for k in 0..=i {
            n.notice(&format!("notice {k} from node {i}")).await;
        }
    }
    // Each log: one founding proposal plus the notices.
    cluster
        .wait_until("every node holds every log", |c| {
            (0..3).all(|i| {
                c.held(i, "BEBRU") == 2 && c.held(i, "IEDUB") == 3 && c.held(i, "BGSOF") == 4
            })
        })
        .await;
    // Heads were checked and countersigned: every node holds witness statements of others.
    cluster
        .wait_until("witness statements", |c| {
            c.nodes.iter().all(|n| n.node.log.store().witnesses(None).unwrap().len() >= 2)
        })
        .await;
    let mut analytics =
        pb::analytics_client::AnalyticsClient::connect(cluster.nodes[0].url()).await.unwrap();
    let peers = analytics.list_peers(pb::ListPeersRequest {}).await.unwrap().into_inner().peers;
    assert_eq!(peers.len(), 3);
    for p in &peers {
        assert!(p.reachable, "{p:?}");
        assert!(p.flags.is_empty());
        assert_eq!(p.records_held, p.records_seen, "no lag once converged");
        if !p.is_self {
            assert!(p.last_sync_unix_ms > 0);
        }
    }
}

#[tokio::test]
async fn members_synced_one_per_round_still_all_converge_and_all_are_reached() {
    // Seven members, each syncing with one other per round: records spread by gossip (through
    // whichever member holds them) and every member is reached in turn.
    let ids = ["BEBRU", "IEDUB", "BGSOF", "ALTIA", "NLAMS", "PTLIS", "FIHEL"];
    let cluster = TestCluster::cities_with(&ids, 4, |t| {
        t.replace("peers_per_round = 8", "peers_per_round = 1")
    })
    .await;
    assert!(cluster.nodes.iter().all(|n| n.node.config.federation.peers_per_round == 1));
    cluster.nodes[3].notice("Tirana's news").await;
    cluster
        .wait_until("every node holds Tirana's news", |c| {
            (0..ids.len()).all(|i| c.held(i, "ALTIA") == 2)
        })
        .await;
    cluster
        .wait_until("every node has synced with every other", |c| {
            c.nodes.iter().all(|n| {
                ids.iter()
                    .filter(|id| **id != n.node.log.own().as_str())
                    .all(|id| n.node.peers.get(&id.parse().unwrap()).syncs > 0)
            })
        })
        .await;
}

#[tokio::test]
async fn records_reach_a_member_through_another_when_the_origin_is_down() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB", "BGSOF"], 2).await;
    let TestCluster { mut nodes } = cluster;
    // Dublin goes away before Sofia publishes.
    let dublin = nodes.remove(1).pause().await;
    let sofia = &nodes[1];
    sofia.notice("Sofia's news").await;
    let cluster = TestCluster { nodes };
    cluster.wait_until("Brussels has Sofia's news", |c| c.held(0, "BGSOF") == 2).await;
    // Now Sofia is down and Dublin back: only Brussels can tell Dublin.
    let TestCluster { mut nodes } = cluster;
    let sofia = nodes.remove(1);
    let sofia_dir = sofia.pause().await;
    let dublin = dublin.resume().await;
    nodes.push(dublin);
    let cluster = TestCluster { nodes };
    cluster.wait_until("Dublin has Sofia's news via Brussels", |c| c.held(1, "BGSOF") == 2).await;
    let origin: MemberId = "BGSOF".parse().unwrap();
    let payloads = cluster.nodes[1].node.log.payloads(&origin, 1).unwrap();
    assert!(
        matches!(&payloads[0].1, pb::record_body::Payload::Notice(n) if n.title == "Sofia's news")
    );
    drop(sofia_dir);
}

#[tokio::test]
async fn a_membership_change_reaches_every_member_and_admits_the_new_one() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB", "BGSOF"], 2).await;
    let tirana = TestNode::start("ALTIA").await;
    let active = cluster.nodes[0].node.membership().active().unwrap().clone();
    let v2 =
        federation::next_version(&active, vec![tirana.node.card.clone()], &[], None, "join ALTIA")
            .unwrap();
    // Brussels proposes, Sofia approves once the proposal has reached it: 2 of 3.
    cluster.nodes[0]
        .publisher()
        .await
        .propose_manifest(pb::ProposeManifestRequest { manifest: v2.bytes.clone() })
        .await
        .unwrap();
    cluster
        .wait_until("the proposal reached Sofia", |c| {
            c.nodes[2].node.membership().pending().any(|p| p.manifest.hash == v2.hash)
        })
        .await;
    let err = cluster.nodes[2]
        .publisher()
        .await
        .approve_manifest(pb::ApproveManifestRequest { manifest_hash: vec![9; 32] })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    cluster.nodes[2]
        .publisher()
        .await
        .approve_manifest(pb::ApproveManifestRequest { manifest_hash: v2.hash.to_vec() })
        .await
        .unwrap();
    cluster
        .wait_until("version 2 everywhere", |c| {
            c.nodes.iter().all(|n| n.node.membership().active().unwrap().body.version == 2)
        })
        .await;
    // Tirana imports the proposal it was told about, and from then on learns everything itself.
    tirana
        .publisher()
        .await
        .propose_manifest(pb::ProposeManifestRequest { manifest: v2.bytes.clone() })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while tirana.node.membership().active().is_none_or(|a| a.body.version != 2) {
        assert!(tokio::time::Instant::now() < deadline, "Tirana never saw version 2 take effect");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let brussels: MemberId = "BEBRU".parse().unwrap();
    assert!(tirana.node.log.size(&brussels) >= 2);
}

#[tokio::test]
async fn a_non_member_is_refused_at_the_handshake_and_counted() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 2).await;
    let stranger = TestNode::start("ALTIA").await;
    let before = [0, 1].map(|i| refused_count(&cluster.nodes[i]));
    // The stranger trusts Brussels's key, but Brussels does not trust the stranger's.
    let pins = peers::tls::Pins::default();
    let brussels_fp: [u8; 32] =
        cluster.nodes[0].node.card.tls_key_fingerprint.clone().try_into().unwrap();
    pins.set(peers::tls::PinSet {
        current: [(brussels_fp, "BEBRU".parse().unwrap())].into(),
        former: Default::default(),
        rotating: Default::default(),
    });
    let config = peers::tls::client_config(&stranger.node.tls, pins).unwrap();
    let channel = peers::connect(
        &cluster.nodes[0].node.card.endpoint,
        &"BEBRU".parse().unwrap(),
        config,
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    let mut client = pb::federation_client::FederationClient::new(channel);
    let err = client.list_origins(pb::ListOriginsRequest {}).await.unwrap_err();
    assert_ne!(err.code(), tonic::Code::Ok);
    assert!(refused_count(&cluster.nodes[0]) > before[0], "the refusal is counted");
    // By the node that refused it alone, though both run in this process (as in the demo).
    assert_eq!(refused_count(&cluster.nodes[1]), before[1]);
    // A member's client is accepted on the same port.
    let config =
        peers::tls::client_config(&cluster.nodes[1].node.tls, cluster.nodes[1].node.pins.clone())
            .unwrap();
    let channel = peers::connect(
        &cluster.nodes[0].node.card.endpoint,
        &"BEBRU".parse().unwrap(),
        config,
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    let origins = pb::federation_client::FederationClient::new(channel)
        .list_origins(pb::ListOriginsRequest {})
        .await
        .unwrap();
    assert!(!origins.into_inner().origins.is_empty());
}

/// Node `by` proposes `manifest`; node `approver` approves it once the proposal reached it.
async fn propose_and_approve(
    cluster: &TestCluster,
    by: usize,
    approver: usize,
    manifest: &federation::Manifest,
) {
    cluster.nodes[by]
        .publisher()
        .await
        .propose_manifest(pb::ProposeManifestRequest { manifest: manifest.bytes.clone() })
        .await
        .unwrap();
    cluster
        .wait_until("the proposal reached the approver", |c| {
            c.nodes[approver].node.membership().pending().any(|p| p.manifest.hash == manifest.hash)
        })
        .await;
    cluster.nodes[approver]
        .publisher()
        .await
        .approve_manifest(pb::ApproveManifestRequest { manifest_hash: manifest.hash.to_vec() })
        .await
        .unwrap();
}

fn refused_count(node: &TestNode) -> u64 {
    node.node
        .log
        .metrics()
        .render()
        .lines()
        .filter(|l| l.starts_with("metronode_peer_refused_total{reason=\"not_member\"}"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test]
async fn a_removed_member_is_refused_from_then_on() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB", "BGSOF"], 2).await;
    let before = counted(&cluster, "former_member");
    let active = cluster.nodes[0].node.membership().active().unwrap().clone();
    let v2 = federation::next_version(
        &active,
        vec![],
        &["IEDUB".parse().unwrap()],
        None,
        "remove IEDUB",
    )
    .unwrap();
    propose_and_approve(&cluster, 0, 2, &v2).await;
    cluster
        .wait_until("version 2 at Brussels and Sofia", |c| {
            [0, 2].iter().all(|&i| c.nodes[i].node.membership().active().unwrap().body.version == 2)
        })
        .await;
    // Dublin still tries (it may not know yet that it was removed) and is refused at the handshake.
    cluster
        .wait_until("Dublin refused as a former member", |c| counted(c, "former_member") > before)
        .await;
    let brussels = "BEBRU".parse().unwrap();
    cluster.nodes[2].notice("after the removal").await;
    cluster.wait_until("Brussels still syncs with Sofia", |c| c.held(0, "BGSOF") == 3).await;
    assert!(cluster.nodes[0].node.membership().trusted().keys().all(|k| k.as_str() != "IEDUB"));
    assert!(
        cluster.nodes[1].node.log.size(&brussels) <= 2,
        "Dublin gets nothing new from Brussels"
    );
}

fn counted(cluster: &TestCluster, reason: &str) -> u64 {
    let prefix = format!("metronode_peer_refused_total{{reason=\"{reason}\"}}");
    cluster
        .nodes
        .iter()
        .flat_map(|n| n.node.log.metrics().render().lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Runs `tests/grpcio/federation_client.py` (Python grpcio: gRPC-core over BoringSSL) against
/// `server`'s federation port with `key` and `cert` (or no client certificate); the JSON it
/// prints. `None` without grpcio, which CI installs (`tests/grpcio/grpcio.sh`,
/// `METRONODE_GRPCIO`) and requires.
async fn grpcio_call(server: &TestNode, client: Option<&TestNode>) -> Option<serde_json::Value> {
    let Some(site) = std::env::var_os("METRONODE_GRPCIO") else {
        assert!(
            std::env::var_os("METRONODE_REQUIRE_GRPCIO").is_none(),
            "grpcio is required but METRONODE_GRPCIO is not set"
        );
        return None;
    };
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("grpcio/federation_client.py");
    let addr = server.node.card.endpoint.trim_start_matches("https://").to_owned();
    let keys = |n: &TestNode, file: &str| n.dir().join("keys").join(file);
    let (key, cert) = match client {
        Some(c) => (keys(c, "tls.key"), keys(c, "tls.crt")),
        None => ("-".into(), "-".into()),
    };
    let name = metronode::identity::tls_server_name(&server.node.card.id.parse().unwrap());
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(script).arg(site).arg(addr).arg(keys(server, "tls.crt")).arg(key).arg(cert).arg(name);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("python3")).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[tokio::test]
async fn grpc_core_clients_federate_with_a_members_key_and_others_are_refused_and_counted() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 2).await;
    let stranger = TestNode::start("ALTIA").await;
    let (server, member) = (&cluster.nodes[0], &cluster.nodes[1]);
    let before = (counted(&cluster, "not_member"), counted(&cluster, "no_certificate"));
    let Some(reply) = grpcio_call(server, Some(member)).await else { return };
    assert_eq!(reply["ok"], true, "{reply}");
    let origins: Vec<&str> =
        reply["origins"].as_array().unwrap().iter().map(|o| o[0].as_str().unwrap()).collect();
    assert!(origins.contains(&"BEBRU") && origins.contains(&"IEDUB"), "{reply}");

    // A non-member's key, and no client certificate at all: refused, each counted by reason.
    let refused = grpcio_call(server, Some(&stranger)).await.unwrap();
    assert_eq!(refused["ok"], false, "{refused}");
    let anonymous = grpcio_call(server, None).await.unwrap();
    assert_eq!(anonymous["ok"], false, "{anonymous}");
    cluster
        .wait_until("both refusals counted", |c| {
            counted(c, "not_member") > before.0 && counted(c, "no_certificate") > before.1
        })
        .await;
}

#[tokio::test]
async fn a_member_still_on_an_ed25519_tls_key_federates_until_it_rotates() {
    // Brussels' TLS key was made before P-256 was the default; its card pins that key.
    let old = TestNode::start_edited("BEBRU", |t| t).await;
    let old = {
        let dir = old.dir().to_owned();
        let identity =
            metronode::identity::TlsIdentity::generate_ed25519(&"BEBRU".parse().unwrap()).unwrap();
        std::fs::remove_file(dir.join("keys/tls.key")).unwrap();
        metronode::identity::write_private(
            &dir.join("keys/tls.key"),
            identity.key_pem().as_bytes(),
        )
        .unwrap();
        std::fs::write(dir.join("keys/tls.crt"), &identity.cert_pem).unwrap();
        old.restart().await
    };
    let new = TestNode::start("IEDUB").await;
    let cards = vec![old.node.card.clone(), new.node.card.clone()];
    let manifest = federation::founding("test-federation", 2, cards).unwrap();
    for n in [&old, &new] {
        n.publisher()
            .await
            .propose_manifest(pb::ProposeManifestRequest { manifest: manifest.bytes.clone() })
            .await
            .unwrap();
        n.notice("hello").await;
    }
    let mut cluster = TestCluster { nodes: vec![old, new] };
    cluster
        .wait_until("each holds the other's log over mixed ed25519 and P-256 TLS", |c| {
            c.held(0, "IEDUB") == 2 && c.held(1, "BEBRU") == 2
        })
        .await;

    // The rotation, as `metronode tls-rotate` does it: the next key (P-256) beside the current
    // one, its card through a threshold-approved change, the switch at the next start.
    let identity = metronode::node::Identity::load(cluster.nodes[0].dir()).unwrap();
    let card = identity.rotate_tls().unwrap();
    assert!(identity.rotate_tls().is_err(), "one rotation waits at a time");
    let (next_key, next_cert) = identity.next_tls_paths();
    let pem = std::fs::read_to_string(&next_key).unwrap();
    let next = metronode::identity::load_tls(&next_key, &next_cert, false).unwrap();
    assert_eq!(next.key_pem(), pem);
    assert_ne!(card.tls_key_fingerprint, cluster.nodes[0].node.card.tls_key_fingerprint);
    let restarted = cluster.nodes.remove(0).restart().await;
    assert_ne!(
        restarted.node.card.tls_key_fingerprint, card.tls_key_fingerprint,
        "not before the federation pins it"
    );
    cluster.nodes.insert(0, restarted);
    let active = cluster.nodes[0].node.membership().active().unwrap().clone();
    let v2 =
        federation::next_version(&active, vec![card.clone()], &[], None, "rotate BEBRU's TLS key")
            .unwrap();
    propose_and_approve(&cluster, 0, 1, &v2).await;
    cluster
        .wait_until("version 2 in effect at both", |c| {
            c.nodes.iter().all(|n| n.node.membership().active().unwrap().body.version == 2)
        })
        .await;
    let dir = cluster.nodes[0].dir().to_owned();
    let old_tls =
        metronode::identity::load_tls(&dir.join("keys/tls.key"), &dir.join("keys/tls.crt"), false)
            .unwrap();
    let brussels = cluster.nodes.remove(0).restart().await;
    assert_eq!(brussels.node.card.tls_key_fingerprint, card.tls_key_fingerprint, "switched");
    assert!(!next_key.exists() && !next_cert.exists(), "the next key became the key");
    cluster.nodes.insert(0, brussels);
    let (b, d) = (cluster.nodes[0].log_size(), cluster.nodes[1].log_size());
    cluster.nodes[0].notice("on the new key").await;
    cluster.nodes[1].notice("to the new key").await;
    cluster
        .wait_until("both logs replicate over Brussels' new P-256 key", |c| {
            c.held(0, "IEDUB") == d + 1 && c.held(1, "BEBRU") == b + 1
        })
        .await;
    // Dublin has seen Brussels on its new key: the old one is refused from then on.
    let before = counted(&cluster, "former_member");
    let config = peers::tls::client_config(&old_tls, cluster.nodes[0].node.pins.clone()).unwrap();
    let channel = peers::connect(
        &cluster.nodes[1].node.card.endpoint,
        &"IEDUB".parse().unwrap(),
        config,
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    let mut client = pb::federation_client::FederationClient::new(channel);
    assert!(client.list_origins(pb::ListOriginsRequest {}).await.is_err());
    cluster
        .wait_until("the old key refused as a former member's", |c| {
            counted(c, "former_member") > before
        })
        .await;
}
