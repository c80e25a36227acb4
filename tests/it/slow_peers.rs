//! Slow peers: a federation member over real mTLS (the scripted member of `scripted`) whose
//! answers are held longer than the honest nodes' `peer_timeout_ms`, then whose `GetRecords`
//! streams trickle in record by record. The honest nodes' syncs with it time out and back off
//! (peer state, `ListPeers` and `metronode_sync_failures_total` say so), they keep replicating
//! each other meanwhile, their HTTP and gRPC queries answer within a deadline and report the
//! slow member stale, and once it answers normally again everything converges. Writes the
//! "Slow peers" section of RELIABILITY.md.

use std::time::{Duration, Instant};

use metronode::{identity::MemberId, pb, synth};
use metronode_tests::{TestCluster, TestNode, http_get, reliability_note};

use crate::scripted::{Evil, SYNC_FAILURES, count, federation, notice, scraped};

/// Longest any query may take: the honest node must never wait on the slow member to answer.
const QUERY_DEADLINE: Duration = Duration::from_secs(5);
const QUERY: &str = "/api/v1/query?indicator=DRI-USE-01&period=2025";

/// What one honest node told, over HTTP and gRPC, about the slow member.
#[derive(Default)]
struct Told {
    /// The slowest query answer seen.
    slowest: Duration,
    /// Queries answered.
    queries: usize,
}

impl Told {
    /// Asks every honest node the metropolitan query over HTTP and gRPC (each within the
    /// deadline): whether every answer reports `slow` stale.
    async fn stale_everywhere(&mut self, c: &TestCluster, slow: &MemberId) -> bool {
        let mut all = true;
        for n in &c.nodes {
            let started = Instant::now();
            let (status, _, body) =
                tokio::time::timeout(QUERY_DEADLINE, http_get(n.http_addr, QUERY, None))
                    .await
                    .expect("an HTTP answer within the deadline");
            self.note(started);
            assert_eq!(status, 200, "{body}");
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
            let stale = answer["coverage"]["stale"].as_array().unwrap();
            all &= stale.iter().any(|s| s["city"] == slow.as_str());
            let started = Instant::now();
            let mut analytics =
                pb::analytics_client::AnalyticsClient::connect(n.url()).await.unwrap();
            let request = pb::QueryRequest {
                indicator_id: "DRI-USE-01".into(),
                period: "2025".into(),
                ..Default::default()
            };
            let reply = tokio::time::timeout(QUERY_DEADLINE, analytics.query_indicator(request))
                .await
                .expect("a gRPC answer within the deadline")
                .unwrap()
                .into_inner();
            self.note(started);
            let coverage = reply.coverage.unwrap();
            all &= coverage.stale.iter().any(|s| s.city == slow.as_str());
            assert!(coverage.included.contains(&"BEBRU".to_owned()), "{coverage:?}");
        }
        all
    }

    fn note(&mut self, started: Instant) {
        self.slowest = self.slowest.max(started.elapsed());
        self.queries += 1;
    }
}

/// The honest nodes replicate each other: each publishes a notice and the other holds it.
async fn replicate(c: &TestCluster) -> Duration {
    let started = Instant::now();
    for n in &c.nodes {
        n.notice("meanwhile").await;
    }
    let sizes: Vec<u64> = c.nodes.iter().map(TestNode::log_size).collect();
    c.wait_until("the honest nodes replicate each other", |c| {
        c.held(0, "IEDUB") == sizes[1] && c.held(1, "BEBRU") == sizes[0]
    })
    .await;
    started.elapsed()
}

/// Both honest nodes hold every record of the member, and call nobody stale.
async fn converged(c: &TestCluster, evil: &Evil) {
    let n = evil.size();
    c.wait_until("both honest nodes hold the member's records", |c| {
        (0..2).all(|i| c.held(i, evil.id().as_str()) == n)
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut fresh = true;
        for node in &c.nodes {
            let (_, _, body) =
                tokio::time::timeout(QUERY_DEADLINE, http_get(node.http_addr, QUERY, None))
                    .await
                    .expect("an HTTP answer within the deadline");
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
            fresh &= answer["coverage"]["stale"].as_array().unwrap().is_empty();
            fresh &= node.node.peers.get(evil.id()).reachable;
        }
        if fresh {
            break;
        }
        assert!(Instant::now() < deadline, "the member was still reported stale");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_slow_member_times_out_backs_off_and_is_reported_stale() {
    let started = Instant::now();
    let (cluster, evil) = federation("XXSLW").await;
    let me = evil.id().clone();
    let timeout = Duration::from_millis(cluster.nodes[0].node.config.federation.peer_timeout_ms);
    // A release to query, held by both honest nodes.
    let mut survey = Vec::new();
    synth::generate(&synth::BRUSSELS, "survey", 1200, 5, &mut survey).unwrap();
    cluster.nodes[0].ingest("survey", "2025", false, survey).await.unwrap();
    let size = cluster.nodes[0].log_size();
    cluster.wait_until("Dublin holds the release", |c| c.held(1, "BEBRU") == size).await;
    let labels = [("peer", me.as_str())];
    let failures_before = count(&cluster, SYNC_FAILURES, &labels);
    let mut told = Told::default();

    // Held: every reply waits longer than the honest nodes' timeout for a call.
    let hold = timeout + Duration::from_millis(1500);
    evil.script().delay = Some(hold);
    evil.append(notice("news from a slow member"));
    cluster
        .wait_until("both honest nodes time out on the member and back off", |c| {
            c.nodes.iter().all(|n| {
                let p = n.node.peers.get(&me);
                p.failures >= 2 && !p.reachable && p.retry_at.is_some() && !p.last_error.is_empty()
            })
        })
        .await;
    let held_error = cluster.nodes[0].node.peers.get(&me).last_error;
    let held_replication = replicate(&cluster).await;
    let stale_deadline = Instant::now() + Duration::from_secs(20);
    while !told.stale_everywhere(&cluster, &me).await {
        assert!(Instant::now() < stale_deadline, "the slow member was never reported stale");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Analysts see why, and nothing the member held back was stored.
    let mut analytics =
        pb::analytics_client::AnalyticsClient::connect(cluster.nodes[1].url()).await.unwrap();
    let peers = analytics.list_peers(pb::ListPeersRequest {}).await.unwrap().into_inner().peers;
    let view = peers.iter().find(|p| p.card.as_ref().is_some_and(|c| c.id == me.as_str())).unwrap();
    assert!(!view.reachable && !view.last_error.is_empty(), "{view:?}");
    assert!(cluster.held(0, me.as_str()) < evil.size());
    let held_failures = count(&cluster, SYNC_FAILURES, &labels) - failures_before;
    let held_backoff = cluster.nodes[0].node.peers.get(&me).failures;
    let held_calls = evil.served("held");
    assert!(held_failures >= 4, "every timed-out sync counted");

    // Trickled: replies start at once, but each record of a GetRecords stream comes a little
    // under the timeout after the one before, so a call of several records takes far longer.
    {
        let mut script = evil.script();
        script.delay = None;
        script.trickle = Some(timeout - Duration::from_millis(300));
    }
    for i in 0..6 {
        evil.append(notice(&format!("slow news {i}")));
    }
    let before_trickle = count(&cluster, SYNC_FAILURES, &labels);
    cluster
        .wait_until("both honest nodes cut a trickled reply off", |c| {
            c.nodes.iter().all(|n| n.node.peers.get(&me).last_error.contains("GetRecords took"))
        })
        .await;
    let trickle_replication = replicate(&cluster).await;
    let stale_deadline = Instant::now() + Duration::from_secs(20);
    while !told.stale_everywhere(&cluster, &me).await {
        assert!(Instant::now() < stale_deadline, "the trickling member was never reported stale");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let trickle_failures = count(&cluster, SYNC_FAILURES, &labels) - before_trickle;
    assert!(trickle_failures >= 2, "every cut-off call counted");
    let kept = cluster.held(0, me.as_str());
    let trickle_error = cluster.nodes[0].node.peers.get(&me).last_error;

    // Normal again: everything converges, and nobody is stale.
    evil.truth();
    let recovered = Instant::now();
    converged(&cluster, &evil).await;
    let recovery = recovered.elapsed();
    let scraped_failures = scraped(&cluster.nodes[0], SYNC_FAILURES, &labels).await;
    assert!(scraped_failures >= 2);
    let elapsed = started.elapsed();

    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    reliability_note(
        "Slow peers",
        &[
            format!(
                "Written by `slow_peers::a_slow_member_times_out_backs_off_and_is_reported_stale` \
                 (tests/it/slow_peers.rs; `cargo test -p metronode-tests --test it slow_peers`) \
                 in {}. Two honest nodes (`peer_timeout_ms` {}, sync every 150 ms, \
                 `stale_after_ms` 3000) and a member over real mutual TLS whose federation \
                 answers are slowed by a script. {} HTTP and gRPC metropolitan queries were asked \
                 of the honest nodes during the run; the slowest answered in {:.0} ms (the \
                 test's deadline: {}).",
                secs(elapsed),
                timeout.as_millis(),
                told.queries,
                told.slowest.as_secs_f64() * 1000.0,
                secs(QUERY_DEADLINE),
            ),
            String::new(),
            "| Slowness | What the honest nodes do | Counted | Meanwhile |".to_owned(),
            "|---|---|---|---|".to_owned(),
            format!(
                "| Every reply held {} ({} replies held) | each sync with the member times out \
                 (`{held_error}`), is marked unreachable and backs off exponentially ({held_backoff} \
                 failures in a row at Brussels); nothing the member held back is stored | \
                 {held_failures} `metronode_sync_failures_total{{peer=\"XXSLW\"}}` | the honest \
                 nodes replicated each other's new notices in {}; every answer (HTTP and gRPC, \
                 both nodes) reports the member stale, and `ListPeers` shows it unreachable with \
                 the error |",
                secs(hold),
                held_calls,
                secs(held_replication),
            ),
            format!(
                "| Each record of a GetRecords reply {} after the one before | a call may take \
                 `peer_timeout_ms` in all, its streamed reply included: the call is cut off \
                 (`{trickle_error}`), the records it brought are kept (Brussels held {kept} of the \
                 member's {} records then), and the member is backed off | \
                 {trickle_failures} `metronode_sync_failures_total{{peer=\"XXSLW\"}}` | the honest \
                 nodes replicated each other's new notices in {}; every answer reports the member \
                 stale |",
                secs(timeout - Duration::from_millis(300)),
                evil.size(),
                secs(trickle_replication),
            ),
            String::new(),
            format!(
                "Once the member answered normally again, both honest nodes held all {} of its \
                 records and no answer reported it stale within {} (the backoff it had earned \
                 included).",
                evil.size(),
                secs(recovery),
            ),
        ],
    );
}
