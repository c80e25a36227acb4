//! Malicious peers: a real federation member (it passes mutual TLS with its own keys, so it can
//! sign whatever it likes) whose federation port is served by a scripted, lying `Federation`
//! over the node's own mTLS listener. Against it the honest nodes refuse and count oversized
//! messages, malformed protobuf, bad signatures, replayed records, a forked log, a rolled-back
//! tree head and a flood of calls, keep serving, and keep their data. Each test writes its row of
//! the "Malicious peers" section of RELIABILITY.md.

use metronode::{
    identity::{Domain, MemberId},
    log, merkle,
    pb::{self, federation_client::FederationClient},
    peers::sync::MAX_MESSAGE_BYTES,
    record,
    service::federation::MAX_CALLS_PER_PEER,
};
use metronode_tests::{TestCluster, TestNode, http_get, reliability_row};
use prost::Message;

use crate::scripted::{
    EVIDENCE, HEADS_REFUSED, PEER_REFUSED, REJECTED, SYNC_FAILURES, assert_serving, count,
    envelopes, federation, id, notice, scraped, scraped_all,
};

/// Per honest node, every log it holds: origin, size and root.
type Held = Vec<Vec<(MemberId, u64, merkle::Hash)>>;

fn held(c: &TestCluster) -> Held {
    c.nodes.iter().map(|n| n.node.log.origins()).collect()
}

/// The honest nodes refused the attack and kept their data: every log is as `before` (sizes and
/// roots), re-verifies from record 0 as `metronode verify` does, and its tree head verifies;
/// they answer health checks on the local gRPC and HTTP ports; and they still replicate each
/// other's new records.
async fn assert_kept(c: &TestCluster, before: &Held) {
    assert_eq!(&held(c), before, "the logs held are unchanged");
    for n in &c.nodes {
        for (origin, size, root) in n.node.log.origins() {
            let keys = n.node.keys_of(&origin);
            let stored =
                n.node.log.store().records(&origin, 0).map(|r| r.map_err(log::Error::from));
            let tree = log::verify_chain_any(stored, &origin, &keys).unwrap();
            assert_eq!((tree.size(), tree.root(size).unwrap()), (size, root), "{origin}");
            let head = n.node.log.tree_head(&origin).unwrap();
            log::check_tree_head_any(&head.signed, &origin, &keys, &tree).unwrap();
        }
        assert_serving(n).await;
        assert_eq!(http_get(n.http_addr, "/healthz", None).await.0, 200);
    }
    let sizes: Vec<u64> = c.nodes.iter().map(|n| n.log_size()).collect();
    for n in &c.nodes {
        n.notice("still here").await;
    }
    c.wait_until("the honest nodes still replicate each other", |c| {
        c.held(0, "IEDUB") == sizes[1] + 1 && c.held(1, "BEBRU") == sizes[0] + 1
    })
    .await;
}

/// The attacks in the order of the report's rows.
const ATTACKS: [&str; 8] = [
    "Oversized message",
    "Malformed protobuf",
    "Records out of place",
    "Bad signature",
    "Replayed records",
    "Forked log",
    "Rolled-back tree head",
    "Flood of calls",
];

/// Writes this attack's row of the "Malicious peers" section of RELIABILITY.md (called once
/// every assertion of its test held, so "Kept" is a measured yes).
fn report(attack: &str, tried: &str, refused: &str, counted: &str) {
    let row = format!("| {attack} | {tried} | {refused} | {counted} | yes |");
    let head = [
        "A member that passes mutual TLS with its own keys lies on its federation port to two \
             honest nodes (`tests/it/adversarial.rs`; rewritten by \
             `cargo test -p metronode-tests --test it adversarial`). Tried: lying replies or calls \
             it made in the run. Counted: what the honest nodes' counters grew by (every lie \
             counted exactly once, except evidence, kept once per node and position). \
             Kept: both honest nodes' logs unchanged and re-verified from record 0, health \
             checks answered, replication between them went on.",
        "",
        "| Attack | Tried | What the honest nodes do | Counted | Kept |",
        "|---|---|---|---|---|",
    ];
    reliability_row("Malicious peers", &ATTACKS, attack, row, &head, &[]);
}

#[tokio::test]
async fn an_oversized_reply_is_refused_and_counted() {
    let (cluster, evil) = federation("XXOVR").await;
    let before = held(&cluster);
    let me = evil.id().to_string();
    // A validly signed next record whose message is larger than any peer accepts.
    let n = evil.size();
    let text = "x".repeat(MAX_MESSAGE_BYTES);
    let payload = pb::record_body::Payload::Notice(pb::Notice { title: "big".into(), text });
    let big = evil.seal(evil.id(), n, evil.hash(n - 1), payload);
    assert!(big.encoded_len() > MAX_MESSAGE_BYTES);
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n + 1, vec![1; 32]));
        script.records.insert(me.clone(), vec![big]);
    }
    let labels = [("peer", me.as_str()), ("code", "out_of_range")];
    let tries = format!("records {me}");
    cluster.wait_until("the oversized reply was served twice", |_| evil.served(&tries) >= 2).await;
    evil.truth();
    cluster
        .wait_until("every oversized reply counted", |_| {
            count(&cluster, SYNC_FAILURES, &labels) == evil.served(&tries)
        })
        .await;
    let tried = evil.served(&tries);
    assert_eq!(scraped_all(&cluster, SYNC_FAILURES, &labels).await, tried);
    assert_kept(&cluster, &before).await;
    report(
        "Oversized message",
        &format!("{tried} replies"),
        "refuse a GetRecords reply over 4 MiB before reading it (OUT_OF_RANGE); nothing stored; \
         the sync with that member fails and backs off",
        &format!("{tried} `metronode_sync_failures_total{{code=\"out_of_range\"}}`"),
    );
}

#[tokio::test]
async fn malformed_protobuf_is_refused_and_counted() {
    let (cluster, evil) = federation("XXMAL").await;
    let before = held(&cluster);
    let me = evil.id().to_string();
    let n = evil.size();
    // A validly signed envelope whose body is no RecordBody: field 1 claims 16 bytes, has 1.
    let body = vec![0x0a, 0x10, b'x'];
    let signature = evil.key.sign(Domain::Record, &body).to_vec().into();
    let bad = pb::SignedRecord { signature, body: body.into() };
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n + 1, vec![2; 32]));
        script.records.insert(me.clone(), vec![bad]);
    }
    let tries = format!("records {me}");
    cluster.wait_until("the bad body was served twice", |_| evil.served(&tries) >= 2).await;
    // Then a reply that is not a SignedRecord at all on the wire.
    {
        let mut script = evil.script();
        script.records.clear();
        script.garbled = true;
    }
    cluster.wait_until("garbled replies were served twice", |_| evil.served("garbled") >= 2).await;
    evil.truth();
    let body_labels = [("peer", me.as_str()), ("reason", "body")];
    let wire_labels = [("peer", me.as_str()), ("code", "internal")];
    cluster
        .wait_until("every malformed reply counted", |_| {
            count(&cluster, REJECTED, &body_labels) == evil.served(&tries)
                && count(&cluster, SYNC_FAILURES, &wire_labels) == evil.served("garbled")
        })
        .await;
    let (bodies, garbled) = (evil.served(&tries), evil.served("garbled"));
    let tried = bodies + garbled;
    let scraped_total = scraped_all(&cluster, REJECTED, &body_labels).await
        + scraped_all(&cluster, SYNC_FAILURES, &wire_labels).await;
    assert_eq!(scraped_total, tried);
    assert_kept(&cluster, &before).await;
    report(
        "Malformed protobuf",
        &format!("{tried} replies"),
        "refuse a validly signed envelope whose body is no RecordBody (the batch stops there, \
         nothing stored), and a reply that does not decode as a SignedRecord (INTERNAL: the sync \
         with that member fails and backs off)",
        &format!(
            "{bodies} `metronode_records_rejected_total{{reason=\"body\"}}`, {garbled} \
             `metronode_sync_failures_total{{code=\"internal\"}}`"
        ),
    );
}

#[tokio::test]
async fn records_out_of_place_in_a_reply_of_several_logs_are_refused_and_counted() {
    let (cluster, evil) = federation("XXPLC").await;
    let before = held(&cluster);
    let me = evil.id().to_string();
    // The member claims more of its own log and of Brussels's, so Dublin asks for both in one
    // `GetManyRecords` call; the reply is Dublin's own log, which nobody asked for, then Brussels's
    // records from the start where Dublin stands further on.
    let (n, m) = (evil.size(), cluster.held(1, "BEBRU"));
    let dublin = envelopes(&cluster.nodes[1].node, &id("IEDUB"), 0, 1);
    let brussels = envelopes(&cluster.nodes[0].node, &id("BEBRU"), 0, m);
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n + 1, vec![6; 32]));
        script.origins.insert("BEBRU".into(), (m + 1, vec![6; 32]));
        script.runs =
            Some(vec![pb::OriginRecords { origin: "IEDUB".into(), from_seq: 0, records: dublin }]);
    }
    let labels = [("peer", me.as_str()), ("code", "internal")];
    let at_dublin = |c: &TestCluster| {
        crate::scripted::counter(&c.nodes[1].node.log.metrics().render(), SYNC_FAILURES, &labels)
    };
    let first = at_dublin(&cluster);
    cluster
        .wait_until("a reply of logs not asked for was served", |_| evil.served("runs") >= 1)
        .await;
    cluster.wait_until("it was counted", |c| at_dublin(c) > first).await;
    evil.script().runs =
        Some(vec![pb::OriginRecords { origin: "BEBRU".into(), from_seq: 0, records: brussels }]);
    cluster.wait_until("a reply out of position was served", |_| evil.served("runs") >= 2).await;
    evil.truth();
    cluster
        .wait_until("every reply out of place counted", |c| {
            at_dublin(c) == first + evil.served("runs")
        })
        .await;
    let tried = evil.served("runs");
    assert_eq!(at_dublin(&cluster), first + tried);
    assert_kept(&cluster, &before).await;
    report(
        "Records out of place",
        &format!("{tried} replies"),
        "refuse a GetManyRecords reply holding a log that was not asked for (Dublin's own) or \
         records from another position than asked (Brussels's from 0): nothing of it stored \
         (INTERNAL: the sync with that member fails and backs off)",
        &format!("{tried} `metronode_sync_failures_total{{code=\"internal\"}}`"),
    );
}

#[tokio::test]
async fn bad_signatures_are_refused_and_counted() {
    let (cluster, evil) = federation("XXSIG").await;
    let before = held(&cluster);
    let me = evil.id().to_string();
    let n = evil.size();
    // Its own next record and its tree head, each with one bit of the signature flipped.
    let mut record = evil.seal(evil.id(), n, evil.hash(n - 1), notice("tampered"));
    let mut signature = record.signature.to_vec();
    signature[0] ^= 1;
    record.signature = signature.into();
    let root = evil.node.log.origins().into_iter().find(|o| &o.0 == evil.id()).unwrap().2;
    let mut head = evil.sign_head(n, &root);
    head.signature[0] ^= 1;
    // And Brussels's next record, forged: it links on, but the signature is this member's.
    let bebru = id("BEBRU");
    let m = cluster.held(1, "BEBRU");
    let last = &envelopes(&cluster.nodes[0].node, &bebru, m - 1, m)[0];
    let forged = evil.seal(&bebru, m, merkle::leaf_hash(&last.body), notice("Brussels says so"));
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n + 1, vec![3; 32]));
        script.origins.insert("BEBRU".into(), (m + 1, vec![3; 32]));
        script.records.insert(me.clone(), vec![record]);
        script.records.insert("BEBRU".into(), vec![forged]);
        script.heads.insert(me.clone(), head);
    }
    let (own, theirs, heads) = (format!("records {me}"), "records BEBRU", format!("head {me}"));
    cluster
        .wait_until("each lie was served", |_| {
            evil.served(&own) >= 2 && evil.served(theirs) >= 1 && evil.served(&heads) >= 2
        })
        .await;
    evil.truth();
    let labels = [("peer", me.as_str()), ("reason", "signature")];
    let head_labels = [("peer", me.as_str()), ("reason", "invalid")];
    cluster
        .wait_until("every bad signature counted", |_| {
            count(&cluster, REJECTED, &labels) == evil.served(&own) + evil.served(theirs)
                && count(&cluster, HEADS_REFUSED, &head_labels) == evil.served(&heads)
        })
        .await;
    let (records, heads) = (evil.served(&own) + evil.served(theirs), evil.served(&heads));
    let tried = records + heads;
    let scraped_total = scraped_all(&cluster, REJECTED, &labels).await
        + scraped_all(&cluster, HEADS_REFUSED, &head_labels).await;
    assert_eq!(scraped_total, tried);
    assert_kept(&cluster, &before).await;
    report(
        "Bad signature",
        &format!("{tried} replies"),
        "refuse the member's own record and tree head with a flipped signature bit, and a record \
         of Brussels it signed itself; nothing stored, the held head kept",
        &format!(
            "{records} `metronode_records_rejected_total{{reason=\"signature\"}}`, {heads} \
             `metronode_tree_heads_refused_total{{reason=\"invalid\"}}`"
        ),
    );
}

#[tokio::test]
async fn replayed_records_are_refused_and_counted() {
    let (cluster, evil) = federation("XXRPL").await;
    let before = held(&cluster);
    let me = evil.id().to_string();
    // Records held already, served again as if they were the next ones: its own and Brussels's.
    let n = evil.size();
    let bebru = id("BEBRU");
    let m = cluster.held(1, "BEBRU");
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n + 1, vec![4; 32]));
        script.origins.insert("BEBRU".into(), (m + 1, vec![4; 32]));
        script.records.insert(me.clone(), evil.records(0, n));
        script.records.insert("BEBRU".into(), envelopes(&cluster.nodes[0].node, &bebru, 0, m));
    }
    let (own, theirs) = (format!("records {me}"), "records BEBRU");
    cluster
        .wait_until("the replays were served", |_| {
            evil.served(&own) >= 2 && evil.served(theirs) >= 1
        })
        .await;
    evil.truth();
    let labels = [("peer", me.as_str()), ("reason", "replayed")];
    cluster
        .wait_until("every replayed record counted", |_| {
            count(&cluster, REJECTED, &labels) == n * evil.served(&own) + m * evil.served(theirs)
        })
        .await;
    let replies = evil.served(&own) + evil.served(theirs);
    let tried = n * evil.served(&own) + m * evil.served(theirs);
    assert_eq!(scraped_all(&cluster, REJECTED, &labels).await, tried);
    assert_kept(&cluster, &before).await;
    report(
        "Replayed records",
        &format!("{tried} records in {replies} replies"),
        "refuse every record of an earlier position served again as the next one (its own and \
         Brussels's); nothing stored twice, no evidence (they are the same records)",
        &format!("{tried} `metronode_records_rejected_total{{reason=\"replayed\"}}`"),
    );
}

#[tokio::test]
async fn a_forked_log_is_kept_as_evidence_and_flags_the_origin() {
    let (cluster, evil) = federation("XXFRK").await;
    let before = held(&cluster);
    let me = evil.id().to_string();
    // Another validly signed record at the last position held, and a next record linking to it.
    let n = evil.size();
    let other = evil.seal(evil.id(), n - 1, evil.hash(n - 2), notice("the other story"));
    let next = evil.seal(evil.id(), n, merkle::leaf_hash(&other.body), notice("and it goes on"));
    let equivocations = [("origin", me.as_str()), ("kind", "equivocation")];
    let forks = [("origin", me.as_str()), ("kind", "fork")];
    let evidence_before =
        (count(&cluster, EVIDENCE, &equivocations), count(&cluster, EVIDENCE, &forks));
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n + 1, vec![5; 32]));
        script.records.insert(me.clone(), vec![other.clone(), next.clone()]);
    }
    cluster
        .wait_until("both honest nodes flag the member", |c| {
            c.nodes.iter().all(|n| n.node.log.flags(evil.id()) == ["equivocation", "fork"])
        })
        .await;
    evil.truth();
    let tries = format!("records {me}");
    let labels = [("peer", me.as_str()), ("reason", "fork")];
    cluster
        .wait_until("every forked record counted", |_| {
            count(&cluster, REJECTED, &labels) == evil.served(&tries)
        })
        .await;
    // Each honest node keeps, and counts, each piece of evidence once.
    assert_eq!(count(&cluster, EVIDENCE, &equivocations), evidence_before.0 + 2);
    assert_eq!(count(&cluster, EVIDENCE, &forks), evidence_before.1 + 2);
    assert_eq!(scraped_all(&cluster, REJECTED, &labels).await, evil.served(&tries));
    // The evidence proves itself: two different records at one position, both signed by the
    // member, as anyone can fetch from an honest node.
    let mut fed = FederationClient::connect(cluster.nodes[0].url()).await.unwrap();
    let evidence = fed
        .get_evidence(pb::GetEvidenceRequest { origin: me.clone() })
        .await
        .unwrap()
        .into_inner()
        .evidence;
    let keys = [evil.key.id()];
    let equivocation = evidence.iter().find(|e| e.kind == "equivocation").unwrap();
    let first = record::open_any(&equivocation.first, evil.id(), &keys).unwrap();
    let second = record::open_any(&equivocation.second, evil.id(), &keys).unwrap();
    assert_eq!((first.seq, second.seq), (n - 1, n - 1));
    assert_ne!(first.hash, second.hash);
    assert_eq!(equivocation.second, other.encode_to_vec());
    let fork = evidence.iter().find(|e| e.kind == "fork").unwrap();
    assert_eq!(fork.second, next.encode_to_vec());
    // The member is flagged to analysts.
    let mut analytics =
        pb::analytics_client::AnalyticsClient::connect(cluster.nodes[1].url()).await.unwrap();
    let peers = analytics.list_peers(pb::ListPeersRequest {}).await.unwrap().into_inner().peers;
    let flagged = peers.iter().find(|p| p.card.as_ref().is_some_and(|c| c.id == me)).unwrap();
    assert!(flagged.flags.contains(&"equivocation".to_owned()), "{flagged:?}");
    // A restart re-verifies every stored log; the evidence and the flag stay.
    let TestCluster { mut nodes } = cluster;
    let brussels = nodes.remove(0).restart().await;
    nodes.insert(0, brussels);
    let cluster = TestCluster { nodes };
    assert_eq!(cluster.nodes[0].node.log.flags(evil.id()), ["equivocation", "fork"]);
    assert_kept(&cluster, &before).await;
    let tried = evil.served(&tries);
    report(
        "Forked log",
        &format!("{tried} replies"),
        "store neither record: a second signed record at a held position and one linking to it \
         are kept as evidence (equivocation, fork) that verifies under the member's key, the \
         member is flagged, and both survive a restart",
        &format!(
            "2 `metronode_equivocation_evidence_total{{kind=\"equivocation\"}}`, 2 \
             `{{kind=\"fork\"}}`, {tried} `metronode_records_rejected_total{{reason=\"fork\"}}`"
        ),
    );
}

/// The size in the witness statement node `n` signed of `origin`'s log (0 if none).
fn witnessed(n: &TestNode, origin: &MemberId) -> u64 {
    let own = n.node.log.own().as_str();
    n.node
        .log
        .store()
        .witnesses(Some(origin))
        .unwrap()
        .iter()
        .filter_map(|w| pb::SignedWitnessStatement::decode(w.as_slice()).ok())
        .filter_map(|s| pb::WitnessStatement::decode(&s.body[..]).ok())
        .find(|b| b.witness == own)
        .map_or(0, |b| b.size)
}

#[tokio::test]
async fn a_rolled_back_tree_head_is_refused_and_counted() {
    let (cluster, evil) = federation("XXRBK").await;
    let me = evil.id().to_string();
    let old = evil.node.log.tree_head(evil.id()).unwrap();
    evil.append(notice("more news"));
    evil.append(notice("yet more news"));
    let n = evil.size();
    cluster
        .wait_until("both honest nodes hold, and witnessed, the newer head", |c| {
            c.nodes.iter().all(|h| {
                h.node.log.tree_head(evil.id()).is_ok_and(|t| t.size == n)
                    && witnessed(h, evil.id()) == n
            })
        })
        .await;
    let before = held(&cluster);
    // The member serves its older head again, as if it were its latest.
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (old.size, old.root.to_vec()));
        script.heads.insert(me.clone(), pb::SignedTreeHead::decode(old.signed.as_slice()).unwrap());
    }
    let tries = format!("head {me}");
    let labels = [("peer", me.as_str()), ("reason", "rolled_back")];
    cluster
        .wait_until("both honest nodes were served the old head and counted it", |_| {
            evil.served(&tries) >= 2
                && count(&cluster, HEADS_REFUSED, &labels) == evil.served(&tries)
        })
        .await;
    let rolled_back = evil.served(&tries);
    // Then a fresh head, validly signed, whose root contradicts the records at its size.
    let kind = [("origin", me.as_str()), ("kind", "inconsistent-head")];
    let evidence_before = count(&cluster, EVIDENCE, &kind);
    {
        let mut script = evil.script();
        script.origins.insert(me.clone(), (n - 1, vec![7; 32]));
        script.heads.insert(me.clone(), evil.sign_head(n - 1, &[7; 32]));
    }
    cluster
        .wait_until("both honest nodes flag the member", |c| {
            c.nodes.iter().all(|h| h.node.log.flags(evil.id()) == ["inconsistent-head"])
        })
        .await;
    evil.truth();
    assert_eq!(count(&cluster, EVIDENCE, &kind), evidence_before + 2);
    assert_eq!(scraped_all(&cluster, HEADS_REFUSED, &labels).await, rolled_back);
    for h in &cluster.nodes {
        assert_eq!(h.node.log.tree_head(evil.id()).unwrap().size, n, "the newer head is kept");
        assert_eq!(witnessed(h, evil.id()), n, "the witness statement does not go back");
    }
    assert_kept(&cluster, &before).await;
    let tried = evil.served(&tries);
    report(
        "Rolled-back tree head",
        &format!("{tried} heads"),
        "refuse the member's older head served as its latest (neither adopted nor countersigned: \
         the held head and the witness statement stay at the newer size); a fresh smaller head \
         with another root is kept as evidence and flags the member",
        &format!(
            "{rolled_back} `metronode_tree_heads_refused_total{{reason=\"rolled_back\"}}`, 2 \
             `metronode_equivocation_evidence_total{{kind=\"inconsistent-head\"}}`"
        ),
    );
}

#[tokio::test]
async fn a_flood_of_calls_is_refused_per_member_and_counted() {
    let (cluster, evil) = federation("XXFLD").await;
    let me = evil.id().to_string();
    // Records of 1 MiB: a reply of eight of them that the caller does not read cannot finish
    // within HTTP/2's flow-control windows, so its call stays in progress.
    for i in 0..8 {
        let text = "x".repeat(1024 * 1024);
        evil.append(pb::record_body::Payload::Notice(pb::Notice { title: format!("{i}"), text }));
    }
    let n = evil.size();
    cluster.wait_until("both hold the big records", |c| (0..2).all(|i| c.held(i, &me) == n)).await;
    let target = &cluster.nodes[0];
    let client = evil.client(target);
    // One call first, so the client has the server's HTTP/2 settings (at most
    // `MAX_STREAMS_PER_CONNECTION` streams) and queues beyond them instead of being reset.
    client.clone().list_origins(pb::ListOriginsRequest {}).await.unwrap();
    let busy = [("reason", "too_many_calls")];
    let busy_before = count(&cluster, PEER_REFUSED, &busy);
    const CALLS: usize = 1000;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let (mut client, origin) = (client.clone(), me.clone());
        calls.spawn(async move {
            client.get_records(pb::GetRecordsRequest { origin, from_seq: 0, limit: 0 }).await
        });
    }
    let mut in_progress = Vec::new();
    let mut refused = 0;
    while let Some(result) = calls.join_next().await {
        match result.unwrap() {
            Ok(reply) => in_progress.push(reply),
            Err(status) => {
                assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
                refused += 1;
            }
        }
    }
    assert_eq!(in_progress.len(), MAX_CALLS_PER_PEER, "the member's calls in progress");
    assert_eq!(refused, CALLS - MAX_CALLS_PER_PEER);
    let err = client.clone().list_origins(pb::ListOriginsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted);
    // Meanwhile the node serves everyone else: its health checks, and Dublin's syncer, which
    // pulls Brussels's new record from this very federation port.
    for h in &cluster.nodes {
        h.notice("during the flood").await;
    }
    let sizes = (cluster.nodes[0].log_size(), cluster.nodes[1].log_size());
    cluster
        .wait_until("replication goes on during the flood", |c| {
            c.held(1, "BEBRU") == sizes.0 && c.held(0, "IEDUB") == sizes.1
        })
        .await;
    let before = held(&cluster);
    assert_serving(target).await;
    let tried = CALLS as u64 + 1;
    let counted = count(&cluster, PEER_REFUSED, &busy) - busy_before;
    assert_eq!(counted, refused as u64 + 1);
    // Once its calls end, the member is served again.
    drop(in_progress);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while client.clone().list_origins(pb::ListOriginsRequest {}).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "the member was never served again");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(scraped(target, PEER_REFUSED, &busy).await >= busy_before + counted);
    assert_kept(&cluster, &before).await;
    report(
        "Flood of calls",
        &format!("{tried} calls"),
        &format!(
            "serve {MAX_CALLS_PER_PEER} of the member's calls at once and refuse the rest \
             (RESOURCE_EXHAUSTED) while health checks and the other member's syncing go on; the \
             member is served again once its calls end"
        ),
        &format!("{counted} `metronode_peer_refused_total{{reason=\"too_many_calls\"}}`"),
    );
}
