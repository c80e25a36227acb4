//! A node catching up on several logs at once: it asks a peer for all of them in one
//! `GetManyRecords` call, and a peer older than that call (UNIMPLEMENTED) is pulled one log per
//! `GetRecords` call instead, with the same outcome; a bad record midway through a catch-up of
//! many calls, whose later calls were already on their way.

use metronode::{clock, identity::MemberId};
use metronode_tests::{PausedNode, TestCluster};

use crate::scripted::{Evil, REJECTED, count, envelopes, federation, id, notice};

/// Brussels and Dublin with the scripted member `evil`. Dublin is away while Brussels and the
/// member publish `n` notices each; the member then holds Brussels's log too (as a member that
/// synced it would), and Brussels stops: Dublin, back, can catch up only from the member.
async fn dublin_away(evil: &str, n: usize) -> (PausedNode, PausedNode, Evil) {
    let (mut cluster, evil) = federation(evil).await;
    let dublin = cluster.nodes.pop().unwrap().pause().await;
    let brussels = cluster.nodes.pop().unwrap();
    for k in 0..n {
        brussels.notice(&format!("news {k}")).await;
        evil.append(notice("evil news"));
    }
    let bebru = id("BEBRU");
    let records = envelopes(&brussels.node, &bebru, 0, brussels.log_size());
    let keys = brussels.node.keys_of(&bebru);
    let now = clock::now_unix_ms();
    let copied = evil.node.log.append_foreign(&bebru, &records, &keys, &bebru, now).unwrap();
    assert_eq!(copied.accepted, records.len() as u64);
    (dublin, brussels.pause().await, evil)
}

/// Resumes Dublin and waits until it holds the member's and Brussels's logs as the member does.
async fn caught_up(dublin: PausedNode, evil: &Evil) -> TestCluster {
    let want: Vec<(MemberId, u64)> = [evil.id().clone(), id("BEBRU")]
        .into_iter()
        .map(|o| (o.clone(), evil.node.log.size(&o)))
        .collect();
    let cluster = TestCluster { nodes: vec![dublin.resume().await] };
    cluster
        .wait_until("Dublin caught up on both logs from the member", |c| {
            want.iter().all(|(o, size)| c.nodes[0].node.log.size(o) == *size)
        })
        .await;
    cluster
}

#[tokio::test]
async fn a_node_catches_up_on_several_logs_in_one_call() {
    let (dublin, _brussels, evil) = dublin_away("XXMNY", 3).await;
    let (single, many) = (evil.served("GetRecords calls"), evil.served("GetManyRecords calls"));
    let _cluster = caught_up(dublin, &evil).await;
    assert_eq!(evil.served("GetRecords calls"), single, "no log was pulled on its own");
    assert!(evil.served("GetManyRecords calls") > many, "the logs came in GetManyRecords calls");
}

#[tokio::test]
async fn from_a_peer_older_than_the_call_it_pulls_one_log_per_call() {
    let (dublin, _brussels, evil) = dublin_away("XXOLD", 3).await;
    evil.script().older = true;
    let single = evil.served("GetRecords calls");
    let _cluster = caught_up(dublin, &evil).await;
    assert_eq!(evil.served("older"), 1, "asked once, then remembered");
    assert!(evil.served("GetRecords calls") >= single + 2, "one GetRecords call per log");
}

/// Dublin catches up on the member's log and Brussels's, at most three records a call, from the
/// member, which serves its own record 8 with a bad signature and fails every call for its
/// records from 11 on (those the pipeline has on their way when it finds record 8 bad).
async fn a_bad_record_midway(evil_id: &str, older: bool) {
    let (dublin, _brussels, evil) = dublin_away(evil_id, 12).await;
    let me = evil.id().to_string();
    {
        let mut script = evil.script();
        script.per_call = Some(3);
        script.flipped = Some((me.clone(), 8));
        script.fail_from = Some((me.clone(), 11));
        script.older = older;
    }
    let calls = || evil.served("GetRecords calls") + evil.served("GetManyRecords calls");
    let before = calls();
    let bebru = id("BEBRU");
    let brussels = evil.node.log.size(&bebru);
    let cluster = TestCluster { nodes: vec![dublin.resume().await] };
    let signature = [("peer", me.as_str()), ("reason", "signature")];
    cluster
        .wait_until("Dublin holds Brussels's log and the member's up to its bad record", |c| {
            let log = &c.nodes[0].node.log;
            log.size(&bebru) == brussels
                && log.size(evil.id()) == 8
                && count(c, REJECTED, &signature) >= 2
                && evil.served("failed") >= 1
        })
        .await;
    // The bad record is refused each time it is fetched; the records of the calls on their way
    // meanwhile are dropped, never refused as out of sequence or stored.
    assert_eq!(count(&cluster, REJECTED, &[("reason", "sequence")]), 0);
    assert_eq!(count(&cluster, REJECTED, &[("reason", "chain")]), 0);
    assert_eq!(cluster.nodes[0].node.log.size(evil.id()), 8);
    // A call for records after the bad one fails the pull of nothing: the sync with the member
    // goes on (its other origins, its tree heads) and never counts as failed.
    let failures = [("peer", me.as_str())];
    assert_eq!(count(&cluster, "metronode_sync_failures_total", &failures), 0);
    assert!(calls() >= before + 5, "the catch-up took many calls: {}", calls() - before);
}

#[tokio::test]
async fn a_bad_record_midway_keeps_what_came_before_it_and_drops_what_was_fetched_after() {
    a_bad_record_midway("XXMID", false).await;
}

#[tokio::test]
async fn a_bad_record_midway_one_log_per_call_keeps_and_drops_the_same() {
    a_bad_record_midway("XXMDO", true).await;
}
