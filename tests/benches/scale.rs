//! The scale benchmark: federations of N real `metronode serve` processes on loopback (each
//! process its own node, data directory and mutual-TLS listener; separate processes, because
//! a full mesh of 200 nodes needs more file descriptors than one process may hold), each city
//! with 19 indicators × 4 periods. Measures the time to converge after one new release, the cost
//! of a metropolitan query as members grow, and each node's footprint (resident memory idle and
//! under load, bytes on disk).

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use metronode::{node::Identity, pb, synth};
use tonic::transport::Channel;

/// Members each node syncs with per round (the default of `peers_per_round`).
const PEERS_PER_ROUND: usize = 8;

/// Periods each city publishes.
const PERIODS: [&str; 4] = ["2022", "2023", "2024", "2025"];

/// One node process.
struct Proc {
    id: String,
    dir: PathBuf,
    child: Child,
    channel: Channel,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release binary, built now if needed (`cargo bench` builds only the bench itself).
pub(crate) fn binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "--bin", "metronode"])
        .current_dir(&root)
        .status()
        .expect("cargo build");
    assert!(status.success(), "couldn't build the metronode binary");
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), Into::into);
    target.join("release").join("metronode")
}

/// A member id for city `i`: `XA` and three letters, a valid UN/LOCODE shape.
fn member_id(i: usize) -> String {
    let l = |n: usize| (b'A' + (n % 26) as u8) as char;
    format!("X{}{}{}{}", l(i / 17576), l(i / 676), l(i / 26), l(i))
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Ends the run (its nodes are killed when dropped) before the machine runs out of memory and
/// its OOM killer picks processes at random; the error says how much the nodes held.
fn guard_memory(procs: &[Proc]) -> Result<(), String> {
    let available_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(u64::MAX);
    if available_kib < 1024 * 1024 {
        let mut rss: Vec<u64> = procs.iter().map(|p| rss_kib(p.child.id()) / 1024).collect();
        rss.sort();
        let at = |q: f64| rss[((rss.len() - 1) as f64 * q) as usize];
        return Err(format!(
            "stopped with less than 1 GiB of the machine's memory left: node RSS median {} MiB, \
             90th percentile {} MiB, largest {} MiB",
            at(0.5),
            at(0.9),
            at(1.0)
        ));
    }
    Ok(())
}

fn du(path: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        total += if meta.is_dir() { du(&entry.path()) } else { meta.len() };
    }
    total
}

async fn start(bin: &Path, root: &Path, n: usize, sync_ms: u64, per_round: usize) -> Vec<Proc> {
    let mut procs = Vec::new();
    for i in 0..n {
        let id = member_id(i);
        let dir = root.join(&id);
        // The federation port is picked free here and written into the node's card by `init`;
        // another process may take it before `serve` binds it (at 200 nodes it happened), and
        // the node then exits at start: it is set up again on another port.
        let mut attempts = 0;
        let child = loop {
            attempts += 1;
            let _ = std::fs::remove_dir_all(&dir);
            let fed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let ok = Command::new(bin)
                .args(["init", "--id", &id, "--name", &format!("City {i}"), "--dir"])
                .arg(&dir)
                .args(["--listen", "127.0.0.1:0", "--federation-listen", &fed.to_string()])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok, "init {id}");
            let stderr = std::fs::File::create(root.join(format!("{id}.stderr"))).unwrap();
            let mut child = Command::new(bin)
                .args(["serve", "--dir"])
                .arg(&dir)
                .args(["--http-listen", "127.0.0.1:0"])
                .env("METRONODE_FEDERATION__SYNC_INTERVAL_MS", sync_ms.to_string())
                .env("METRONODE_FEDERATION__PEER_TIMEOUT_MS", "20000")
                .env("METRONODE_FEDERATION__PEERS_PER_ROUND", per_round.to_string())
                .env("METRONODE_LOGGING__FILTER", "error")
                // Two malloc arenas per process, as on a host packed with processes (glibc's
                // default of eight per core mostly holds freed memory).
                .env("MALLOC_ARENA_MAX", "2")
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap();
            let addr_file = dir.join("grpc.addr");
            let deadline = Instant::now() + Duration::from_secs(60);
            let exited = loop {
                if addr_file.exists() {
                    break None;
                }
                if let Ok(Some(status)) = child.try_wait() {
                    break Some(status);
                }
                assert!(Instant::now() < deadline, "{id} did not start");
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            match exited {
                None => break child,
                Some(status) => {
                    let said = std::fs::read_to_string(root.join(format!("{id}.stderr")));
                    assert!(attempts < 3, "{id} exited at start ({status}): {said:?}");
                }
            }
        };
        let addr = std::fs::read_to_string(dir.join("grpc.addr")).unwrap();
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", addr.trim()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        procs.push(Proc { id, dir, child, channel });
    }
    procs
}

async fn found(procs: &[Proc]) -> Result<(), String> {
    let cards: Vec<pb::MemberCard> =
        procs.iter().map(|p| Identity::load(&p.dir).unwrap().card()).collect();
    let threshold = (procs.len() / 2 + 1) as u32;
    let manifest = metronode::federation::founding("scale", threshold, cards).unwrap();
    for p in procs {
        pb::publisher_client::PublisherClient::new(p.channel.clone())
            .propose_manifest(pb::ProposeManifestRequest { manifest: manifest.bytes.clone() })
            .await
            .unwrap();
    }
    wait_all(procs, Duration::from_secs(1800), |m: &pb::Membership| !m.active.is_empty()).await
}

async fn wait_all(
    procs: &[Proc],
    limit: Duration,
    cond: impl Fn(&pb::Membership) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    for p in procs {
        let mut c = pb::analytics_client::AnalyticsClient::new(p.channel.clone());
        while !cond(&c.get_membership(pb::GetMembershipRequest {}).await.unwrap().into_inner()) {
            assert!(Instant::now() < deadline, "{} never got there", p.id);
            guard_memory(procs)?;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

async fn ingest(channel: Channel, dataset: &str, period: &str, data: Vec<u8>) {
    let header = pb::IngestChunk {
        chunk: Some(pb::ingest_chunk::Chunk::Header(pb::IngestHeader {
            dataset: dataset.into(),
            period: period.into(),
            file_name: format!("{dataset}.csv"),
            dry_run: false,
        })),
    };
    let chunks = data
        .chunks(64 * 1024)
        .map(|c| pb::IngestChunk { chunk: Some(pb::ingest_chunk::Chunk::Data(c.to_vec())) });
    let all: Vec<_> = std::iter::once(header).chain(chunks).collect();
    pb::publisher_client::PublisherClient::new(channel)
        .ingest(tokio_stream::iter(all))
        .await
        .unwrap_or_else(|e| panic!("ingest {dataset} {period}: {e}"));
}

/// Synthetic data of city `i` (the pilots' shapes, under its own id).
fn city(i: usize, id: &str) -> synth::City {
    synth::City { id: Box::leak(id.to_owned().into_boxed_str()), ..synth::PILOTS[i % 4] }
}

async fn publish_all(procs: &[Proc]) {
    let mut set = tokio::task::JoinSet::new();
    for (i, p) in procs.iter().enumerate() {
        let (channel, c) = (p.channel.clone(), city(i, &p.id));
        set.spawn(async move {
            for (k, period) in PERIODS.iter().enumerate() {
                for dataset in synth::DATASETS {
                    // Survey files large enough that no cell is withheld, so no linear
                    // program runs (disclosure control has its own section): 400 rows took
                    // 2.3 s each, 20,000 take 0.12 s.
                    let rows = match dataset {
                        "survey" => 20_000,
                        "household" => 200,
                        "open_data_inventory" => 60,
                        "algorithm_register" => 12,
                        _ => 0,
                    };
                    let mut data = Vec::new();
                    synth::generate(&c, dataset, rows, k as u64, &mut data).unwrap();
                    ingest(channel.clone(), dataset, period, data).await;
                }
            }
        });
        while set.len() >= 8 {
            set.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

async fn sizes(p: &Proc) -> Vec<(String, u64)> {
    let mut c = pb::federation_client::FederationClient::new(p.channel.clone());
    let mut v: Vec<(String, u64)> = c
        .list_origins(pb::ListOriginsRequest {})
        .await
        .unwrap()
        .into_inner()
        .origins
        .into_iter()
        .map(|o| (o.origin, o.size))
        .collect();
    v.sort();
    v
}

/// Waits until every node holds `want` records of every origin listed; returns the time.
async fn converge(
    procs: &[Proc],
    want: &[(String, u64)],
    limit: Duration,
) -> Result<Duration, String> {
    let start = Instant::now();
    let mut pending: Vec<&Proc> = procs.iter().collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for p in pending {
            let held = sizes(p).await;
            if want.iter().any(|w| !held.contains(w)) {
                still.push(p);
            }
        }
        pending = still;
        guard_memory(procs)?;
        if !pending.is_empty() {
            if start.elapsed() > limit {
                return Err(format!(
                    "{} of {} nodes still lacked records after {:.0} s",
                    pending.len(),
                    procs.len(),
                    limit.as_secs_f64()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(start.elapsed())
}

async fn query(channel: Channel, by: &str) -> Duration {
    let t = Instant::now();
    pb::analytics_client::AnalyticsClient::new(channel)
        .query_indicator(pb::QueryRequest {
            indicator_id: "DRI-USE-01".into(),
            by: by.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    t.elapsed()
}

/// One row of the scale table.
pub(crate) struct Row {
    n: usize,
    setup: Duration,
    initial: Duration,
    converge: Duration,
    cold_query: Duration,
    warm_query: Duration,
    rss_idle_mib: f64,
    rss_load_mib: f64,
    disk_mib: f64,
    records: u64,
}

/// Runs a federation of `n` processes and measures it.
pub(crate) async fn federation(
    bin: &Path,
    n: usize,
    sync_ms: u64,
    per_round: usize,
) -> Result<Row, String> {
    let root = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let procs = start(bin, root.path(), n, sync_ms, per_round).await;
    found(&procs).await.map_err(|e| format!("founding: {e}"))?;
    let setup = t.elapsed();
    let t = Instant::now();
    publish_all(&procs).await;
    let mut want = Vec::new();
    for p in &procs {
        let own = sizes(p).await.into_iter().find(|(o, _)| *o == p.id).unwrap();
        want.push(own);
    }
    converge(&procs, &want, Duration::from_secs(900))
        .await
        .map_err(|e| format!("initial replication, {:.0} s in: {e}", t.elapsed().as_secs_f64()))?;
    let initial = t.elapsed();
    let records: u64 = want.iter().map(|(_, s)| s).sum();

    // One new release (the survey's 9 indicators for 2026) at the first city.
    let mut data = Vec::new();
    synth::generate(&city(0, &procs[0].id), "survey", 400, 9, &mut data).unwrap();
    ingest(procs[0].channel.clone(), "survey", "2026", data).await;
    let now = sizes(&procs[0]).await.into_iter().find(|(o, _)| *o == procs[0].id).unwrap();
    let converge_time = converge(&procs, &[now], Duration::from_secs(600))
        .await
        .map_err(|e| format!("converging after one release: {e}"))?;

    // Query cost at the last node: cold (first answer after the new release) and warm.
    let last = procs.last().unwrap();
    let cold_query = query(last.channel.clone(), "city").await;
    let mut warm = Vec::new();
    for _ in 0..200 {
        warm.push(query(last.channel.clone(), "city").await);
    }
    warm.sort();
    let warm_query = warm[warm.len() / 2];

    let mut idle: Vec<u64> = procs.iter().map(|p| rss_kib(p.child.id())).collect();
    idle.sort();
    let rss_idle_mib = idle[idle.len() / 2] as f64 / 1024.0;
    // Under load: 64 queries in flight at the last node for two seconds, distinct breakdowns.
    let pid = last.child.id();
    let stop = Instant::now() + Duration::from_secs(2);
    let mut set = tokio::task::JoinSet::new();
    for k in 0..64 {
        let channel = last.channel.clone();
        set.spawn(async move {
            let by = ["city", "age_band", "sex", "district_code"][k % 4];
            while Instant::now() < stop {
                query(channel.clone(), by).await;
            }
        });
    }
    let mut peak = 0;
    while Instant::now() < stop {
        peak = peak.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while set.join_next().await.is_some() {}
    let rss_load_mib = peak as f64 / 1024.0;
    let mut disks: Vec<u64> = procs.iter().map(|p| du(&p.dir)).collect();
    disks.sort();
    let disk_mib = disks[disks.len() / 2] as f64 / 1048576.0;
    for p in &procs {
        let _ = Command::new("kill").args(["-TERM", &p.child.id().to_string()]).status();
    }
    drop(procs);
    Ok(Row {
        n,
        setup,
        initial,
        converge: converge_time,
        cold_query,
        warm_query,
        rss_idle_mib,
        rss_load_mib,
        disk_mib,
        records: records + 9,
    })
}

/// The pure cost of one metropolitan answer as members grow: the releases of one indicator
/// and period for `n` cities (copies of the pilots' real releases under other ids).
pub(crate) async fn query_cost(report: &mut String) {
    use metronode::aggregate::{self, CityRelease, Member, Query};
    let mut base: Vec<CityRelease> = Vec::new();
    for c in synth::PILOTS {
        let node = metronode_tests::TestNode::start(c.id).await;
        let mut data = Vec::new();
        synth::generate(&c, "survey", 3000, 1, &mut data).unwrap();
        node.ingest("survey", "2025", false, data).await.unwrap();
        base.extend(node.node.releases().iter().cloned());
    }
    let _ = writeln!(report, "### Cost of one metropolitan answer as members grow\n");
    let _ = writeln!(
        report,
        "`aggregate::answer` for DRI-USE-01 by age band over the releases of n cities (all 9 survey indicators held per city), median of 50 calls.\n"
    );
    let _ = writeln!(report, "| members | µs per answer | µs per member |");
    let _ = writeln!(report, "|---:|---:|---:|");
    for n in [4usize, 25, 50, 100, 200] {
        let mut releases = Vec::new();
        let mut members = Vec::new();
        for i in 0..n {
            let id = member_id(i);
            for r in base.iter().filter(|r| r.city == synth::PILOTS[i % 4].id) {
                releases.push(CityRelease { city: id.as_str().into(), ..r.clone() });
            }
            members.push(Member {
                id: id.clone(),
                name: id,
                last_sync_unix_ms: Some(1),
                is_self: i == 0,
                evidence: Vec::new(),
            });
        }
        let q =
            Query { indicator: "DRI-USE-01".into(), by: "age_band".into(), ..Default::default() };
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let a = aggregate::answer(
                &q,
                aggregate::Reading::default(),
                &releases,
                &members,
                2,
                i64::MAX,
                false,
            )
            .unwrap();
            times.push(t.elapsed());
            assert_eq!(a.coverage.included.len(), n);
        }
        times.sort();
        let us = times[25].as_secs_f64() * 1e6;
        let _ = writeln!(report, "| {n} | {us:.0} | {:.1} |", us / n as f64);
    }
    let _ = writeln!(report);
}

/// The scale section of BENCHMARKS.md: `sizes` federations, then the pure query cost.
pub(crate) async fn bench(report: &mut String, sizes: &[usize]) {
    let bin = binary();
    let _ = writeln!(report, "## Scale\n");
    query_cost(report).await;
    super::save(report);
    let _ = writeln!(report, "### Federations of separate node processes on loopback\n");
    let _ = writeln!(
        report,
        "Each node is a `metronode serve` process with its own data directory, mutual TLS between all, each syncing with {PEERS_PER_ROUND} other members per round (`peers_per_round`, taken in turn in the node's own order, so records spread by gossip and every member is reached every ceil((n - 1) / {PEERS_PER_ROUND}) rounds), one round per interval (1 s, or 10 ms per member when more), `MALLOC_ARENA_MAX=2`; each city publishes 19 indicators × 4 periods (5 datasets: survey files of 20,000 rows, in which no cell is small enough to withhold, and small files of the others, so the only linear programs are the household files' few: disclosure control has its own section). Converge: from the acknowledgement of one new release (9 records) at one city until every node holds it. Queries: DRI-USE-01 by city over gRPC at the last node, cold (first answer after the release) and warm (cached; median of 200). Memory: median VmRSS over the nodes when idle, and the peak of the queried node with 64 queries in flight. Disk: median data directory.\n"
    );
    let _ = writeln!(
        report,
        "| nodes | sync interval | peers per round | set-up and founding | initial replication | records per node | converge after one release | cold query | warm query | RSS idle (median) | RSS under load | disk per node |"
    );
    let _ = writeln!(report, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        // Each size's row is saved as soon as it is measured. All n processes share two
        // cores: the interval grows with the federation (10 ms per member, at least 1 s).
        let sync_ms = (n as u64 * 10).max(1000);
        let r = match federation(&bin, n, sync_ms, PEERS_PER_ROUND).await {
            Ok(r) => r,
            Err(why) => {
                let _ = writeln!(
                    report,
                    "| {n} | {:.1} s | {PEERS_PER_ROUND} | {why} |",
                    sync_ms as f64 / 1e3
                );
                super::save(report);
                continue;
            }
        };
        let _ = writeln!(
            report,
            "| {} | {:.1} s | {PEERS_PER_ROUND} | {:.1} s | {:.1} s | {} | {:.2} s | {:.2} ms | {:.2} ms | {:.0} MiB | {:.0} MiB | {:.1} MiB |",
            r.n,
            sync_ms as f64 / 1e3,
            r.setup.as_secs_f64(),
            r.initial.as_secs_f64(),
            r.records,
            r.converge.as_secs_f64(),
            r.cold_query.as_secs_f64() * 1e3,
            r.warm_query.as_secs_f64() * 1e3,
            r.rss_idle_mib,
            r.rss_load_mib,
            r.disk_mib
        );
        super::save(report);
    }
    let _ = writeln!(report);
}
