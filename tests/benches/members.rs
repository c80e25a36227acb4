//! The read models of a large federation in one process: one node's log holding the real,
//! signed releases of `n` members (verified as a peer's records are), the release index built
//! from it (its heap counted from its structure, and the growth of the process's resident memory), a cold query (index build and answer)
//! and a warm one (the cache's inputs and lookup), without the gRPC hop.

use std::{fmt::Write as _, time::Instant};

use metronode::{
    aggregate::{self, Member, Query},
    identity::{MemberId, NodeKey},
    log::Log,
    pb,
    read_model::{AnswerCache, ReleaseIndex},
    record::{self, GENESIS_PREV},
    store::Store,
    synth,
};
use metronode_tests::TestCluster;

/// The heap a list of releases holds, counted from its structure: every vector's and string's
/// capacity; the shared strings (`Sym`: names, periods, units, signers, methods) and the cells'
/// labels (series, dimension, value, status and flag: `Label`) once per process, so not at all
/// here.
fn heap_bytes(releases: &[aggregate::CityRelease]) -> usize {
    std::mem::size_of_val(releases)
        + releases
            .iter()
            .map(|r| {
                r.cells.capacity() * std::mem::size_of::<aggregate::Cell>()
                    + r.provenance.record_hash.capacity()
            })
            .sum::<usize>()
}

/// The `i`th synthetic member id (UN/LOCODE letters: `XA` then three of A-Z and 2-9).
fn member_id(i: usize) -> MemberId {
    const SYMBOLS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789";
    let n = SYMBOLS.len();
    let code: String =
        [i / (n * n) % n, i / n % n, i % n].iter().map(|&d| SYMBOLS[d] as char).collect();
    format!("XA{code}").parse().expect("a valid id")
}

pub(crate) async fn bench(report: &mut String, members: usize) {
    // One city's real releases of five datasets over four periods, as the demo publishes them.
    let cluster = TestCluster::cities(&["BGSOF"], 1).await;
    let sofia = &cluster.nodes[0];
    for period in ["2022", "2023", "2024", "2025"] {
        for (dataset, rows) in [
            ("survey", 2000),
            ("household", 1000),
            ("open_data_inventory", 120),
            ("algorithm_register", 25),
        ] {
            let mut data = Vec::new();
            synth::generate(&synth::SOFIA, dataset, rows, 1, &mut data).unwrap();
            sofia.ingest(dataset, period, false, data).await.expect("ingest");
        }
    }
    let origin: MemberId = "BGSOF".parse().unwrap();
    let releases = super::releases_in(&sofia.node.log, &origin);
    drop(cluster);

    // One node's log holding those releases signed by each of `members` members, stored as a
    // peer's records are: verified, in order, durable.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let own = member_id(0);
    let log = Log::open(store, own.clone(), NodeKey::generate()).unwrap();
    let now = 1_760_000_000_000;
    let mut ids = Vec::new();
    let t = Instant::now();
    for i in 1..=members {
        let id = member_id(i);
        let key = NodeKey::generate();
        let mut prev = GENESIS_PREV;
        let batch: Vec<pb::SignedRecord> = (releases.iter().enumerate())
            .map(|(seq, r)| {
                let payload = pb::record_body::Payload::IndicatorRelease(r.clone());
                let (envelope, rec) = record::seal(&key, &id, seq as u64, prev, now, payload);
                prev = rec.hash;
                prost::Message::decode(envelope.as_slice()).unwrap()
            })
            .collect();
        let fetched = log.append_foreign(&id, &batch, &[key.id()], &own, now).unwrap();
        assert!(fetched.rejected.is_empty(), "{:?}", fetched.rejected);
        ids.push(id);
    }
    let stored = t.elapsed().as_secs_f64();
    let records = members * releases.len();

    // Cold: the index read from the log, then the answer over every member's releases.
    let query = Query {
        indicator: "DRI-USE-01".into(),
        period: "2025".into(),
        by: "city".into(),
        series: "_T".into(),
    };
    let roster = |now: i64| -> Vec<Member> {
        ids.iter()
            .map(|id| Member {
                id: id.to_string(),
                name: id.to_string(),
                last_sync_unix_ms: Some(now),
                is_self: false,
                evidence: log.flags(id),
            })
            .collect()
    };
    let index = ReleaseIndex::default();
    let rss_before = super::rss_mib();
    let t = Instant::now();
    let held = index.releases(&log, |_| Vec::new());
    let built = t.elapsed().as_secs_f64();
    let rss_grew = super::rss_mib() - rss_before;
    let index_bytes = heap_bytes(&held);
    let answer = aggregate::answer(
        &query,
        aggregate::Reading::default(),
        &held,
        &roster(now),
        now,
        i64::MAX,
        false,
    )
    .expect("an answer");
    let cold = t.elapsed().as_secs_f64();
    assert_eq!(answer.cities.len(), members, "every member's figure");
    let cache = AnswerCache::default();
    let key =
        (query.indicator.clone(), query.period.clone(), query.by.clone(), query.series.clone());
    let inputs = |now: i64| {
        let sizes = log.origins().into_iter().map(|(o, s, _)| (o, s)).collect();
        let fresh = roster(now)
            .into_iter()
            .map(|m| (m.id, m.name, false, Some(m.last_sync_unix_ms), m.evidence))
            .collect();
        (sizes, fresh)
    };
    cache.put(
        key.clone(),
        inputs(now),
        Ok(std::sync::Arc::new(metronode::read_model::Answered::new(answer))),
    );
    // Warm: what a cached answer costs, the index's check that no log grew included.
    let mut warm = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let _ = index.releases(&log, |_| Vec::new());
        assert!(cache.get(&key, &inputs(now)).is_some());
        warm.push(t.elapsed().as_secs_f64());
    }
    let warm = super::median(warm);
    let _ = writeln!(
        report,
        "## Read models of a large federation: {members} members in one process\n\nOne node's log holds {members} members' releases ({} records: four datasets over four periods each, the real releases of Sofia's synthetic files, each member signing its own copy), stored as a peer's records are (verified, in order, durable: {:.1} s). The release index is read from it, then the metropolitan answer of DRI-USE-01 by city over all of them; warm, the answer cache's inputs (every log's size, every member's freshness) and lookup. The heap is counted from the index's structure (every vector's and string's capacity; the shared strings and the cells' labels once per process, so not at all); the process's resident memory is read before and after the build. Each cell is 24 bytes: its two sums and a pointer to its label (series, breakdown, status, flag). With a cell's four strings and its status in the cell (56 bytes), the same section measured 3,937 bytes per release (45.1 MiB) and 64-70 MiB of resident growth; with the release's names, period, unit and provenance as plain strings besides, 6,251 bytes per release (71.5 MiB) and 97 MiB.\n",
        records, stored
    );
    let _ = writeln!(report, "| what | value | target |");
    let _ = writeln!(report, "|---|---:|---|");
    let _ = writeln!(
        report,
        "| release index, {} releases: heap | {:.1} MiB ({:.0} bytes per release) | |",
        held.len(),
        index_bytes as f64 / 1048576.0,
        index_bytes as f64 / held.len() as f64
    );
    let _ = writeln!(
        report,
        "| resident memory: grown by the build, and the whole bench process after it | {rss_grew:.0} MiB; {:.0} MiB | ≤ 150 MiB for a node |",
        super::rss_mib()
    );
    let _ = writeln!(report, "| index build from the log | {:.0} ms | |", built * 1e3);
    let _ =
        writeln!(report, "| cold query (index build and answer) | {:.0} ms | ≤ 1 s |", cold * 1e3);
    let _ = writeln!(
        report,
        "| warm query (inputs and cache lookup, median of 200) | {:.2} ms | ≤ 5 ms |\n",
        warm * 1e3
    );
}
