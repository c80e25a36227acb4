//! Crashes: the real node killed with SIGKILL at seeded points during ingest (with a privacy
//! budget), artefact upload, replication from a second node, and manifest changes. After every
//! kill the stopped directory verifies, and after every restart each acknowledged record is
//! present, the budget ledger holds exactly the spends of the releases that landed, and no
//! partial document is kept or served. The figures go to the "Crashes" section of RELIABILITY.md.
//!
//! Each kill lands after a delay drawn from a seeded sequence over twice a span. The span starts
//! at the measured duration of an uninterrupted run and follows the outcomes (shorter after a
//! kill that came after the acknowledgement, longer otherwise), so about half the kills land
//! within the operation, spread over it (before the client connects, mid-upload,
//! mid-computation, mid-append), and half after the acknowledgement, whatever the machine.
//! `METRONODE_CRASH_POINTS` asks for more points than the 56 of CI (a longer mode).

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
    process::{Output, Stdio},
    time::{Duration, Instant},
};

use metronode::{budget::Milli, federation::Manifest, merkle, pb};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::{
    federation::{free_port, init_at, stdout, wait_for},
    harness::{
        Serving, all_records, bin, http_get, init, publish, records_from, reliability_note, run,
    },
};

/// Seed of the delay sequence.
const SEED: u64 = 0x6d65_7472_6f6e_6f64;
/// Crash points in CI, spread evenly over the four activities.
const CI_POINTS: usize = 56;
/// Privacy budget one ingest spends, and the periods ingests alternate between.
const PER_RELEASE: &str = "0.125";
const PERIODS: [&str; 3] = ["2023", "2024", "2025"];
/// A replica killed once it held everything.
const CAUGHT_UP: &str = "killed after catching up";

/// Metadata of the policy documents published here (and in `secrets`).
pub(crate) const META: &str = r#"
description = "A policy document published while the node is being killed"
language = ["en"]
issued = "2025-01-31"
status = "adopted"
license = "CC-BY-4.0"
contact_email = "digital@city.example"
rights_areas = ["inclusion_equality_equity"]
cc4dr_principles = ["access_and_literacy"]
"#;

/// Seeded kill delays, uniform over twice a span.
struct Delays(metronode::synth::Rng);

impl Delays {
    fn next(&mut self, span: Duration) -> Duration {
        Duration::from_micros(self.0.next_u64() % (span.as_micros() as u64 * 2 + 1))
    }
}

/// What one activity's crash points did and found.
#[derive(Default)]
struct Tally {
    points: usize,
    measured: Duration,
    span: Duration,
    delays: Vec<Duration>,
    outcomes: BTreeMap<&'static str, usize>,
    checks: usize,
    temp_files: usize,
    lost: Vec<String>,
}

impl Tally {
    /// The span starts at the duration of an uninterrupted run.
    fn measured(&mut self, d: Duration) {
        (self.measured, self.span) = (d, d);
    }

    /// Records a point; `late` when the kill came after the acknowledgement (or, replicating,
    /// after catching up), which shortens the span, while an earlier kill lengthens it.
    fn point(&mut self, delay: Duration, outcome: &'static str, late: bool) {
        self.span = if late { self.span * 17 / 20 } else { self.span * 23 / 20 };
        self.points += 1;
        self.delays.push(delay);
        *self.outcomes.entry(outcome).or_default() += 1;
    }

    /// Counts a check; a failed one is a loss, described by `what`.
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.lost.push(what());
        }
    }
}

/// Kills the node with SIGKILL; a node that had already exited on its own is a loss.
fn sigkill(node: &mut Serving, tally: &mut Tally) {
    let early = node.child.try_wait().unwrap();
    tally.check(early.is_none(), || format!("the node exited on its own ({early:?})"));
    node.child.kill().unwrap();
    node.child.wait().unwrap();
}

/// `metronode verify --dir` on the stopped node.
fn verify(dir: &Path, tally: &mut Tally) {
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    tally.check(out.status.success(), || {
        format!("verify failed: {}", String::from_utf8_lossy(&out.stderr).trim())
    });
}

/// Checks the blob directory: every body named by a hash hashes to that name (each file once,
/// `seen` remembers). With the `serving` node, no temporary file of an earlier process is left
/// (its own, `tmp-PID-…`, may be a fetch in progress); with none, counts the temporary files a
/// kill left behind.
fn check_blobs(dir: &Path, seen: &mut BTreeSet<String>, serving: Option<&Serving>, t: &mut Tally) {
    let mut left = 0;
    for entry in fs::read_dir(dir.join("blobs")).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("tmp-") {
            let own = serving.is_some_and(|n| name.starts_with(&format!("tmp-{}-", n.child.id())));
            left += usize::from(!own);
        } else if seen.insert(name.clone()) {
            let bytes = fs::read(dir.join("blobs").join(&name)).unwrap();
            let hash = hex::encode(Sha256::digest(&bytes));
            t.check(hash == name, || format!("blob {name} holds bytes hashing to {hash}"));
        }
    }
    match serving {
        Some(_) => t.check(left == 0, || format!("{left} temporary blob files after a restart")),
        None => t.temp_files += left,
    }
}

/// The payloads of records, by position.
fn payloads(records: &[pb::SignedRecord]) -> Vec<Option<pb::record_body::Payload>> {
    records
        .iter()
        .map(|r| pb::RecordBody::decode(&r.body[..]).ok().and_then(|b| b.payload))
        .collect()
}

/// Downloads a published document over HTTP and checks it hashes to what was signed.
fn check_download(http: &str, origin: &str, seq: u64, p: &pb::ArtefactPublication, t: &mut Tally) {
    let (status, body) =
        http_get(http, &format!("/api/v1/artefacts/{origin}/{seq}/download"), None);
    let hash = Sha256::digest(&body).to_vec();
    t.check(status == 200 && hash == p.body_sha256 && body.len() as u64 == p.body_size, || {
        format!("document {origin}/{seq} served with status {status} and {} bytes", body.len())
    });
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Runs the binary uninterrupted, requiring success, and measures how long it took.
fn timed(args: &[String]) -> (Duration, Output) {
    let start = Instant::now();
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (start.elapsed(), out)
}

/// Kills the node `delay` after starting the client `args`, then collects the client's output.
fn crash_during(node: &mut Serving, args: &[String], delay: Duration, t: &mut Tally) -> Output {
    let cli = bin().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(delay);
    sigkill(node, t);
    cli.wait_with_output().unwrap()
}

/// How a point ended, from the client's view and what landed.
fn outcome(out: &Output, landed: bool) -> &'static str {
    match (out.status.success(), landed) {
        (true, _) => "acknowledged before the kill",
        (false, true) => "landed, not acknowledged",
        (false, false) if String::from_utf8_lossy(&out.stderr).contains("couldn't reach") => {
            "killed before the client connected"
        }
        (false, false) => "killed mid-request, nothing landed",
    }
}

fn survey_file(root: &Path, city: &metronode::synth::City, rows: u64, seed: u64) -> PathBuf {
    let mut csv = Vec::new();
    metronode::synth::generate(city, "survey", rows, seed, &mut csv).unwrap();
    let path = root.join(format!("survey-{seed}.csv"));
    fs::write(&path, csv).unwrap();
    path
}

/// A distinct document for attempt `k`: a PDF header and seeded bytes.
fn document(root: &Path, k: u64, size: usize) -> PathBuf {
    let mut body = format!("%PDF-1.7\n% crash test document {k}\n").into_bytes();
    let mut rng = metronode::synth::Rng(k);
    while body.len() < size {
        body.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    let path = root.join(format!("doc-{k}.pdf"));
    fs::write(&path, body).unwrap();
    path
}

/// One ingest as the test knows it: its input's hash and, when acknowledged, its positions.
struct Ingest {
    sha: Vec<u8>,
    acked: Option<Vec<u64>>,
}

/// One document upload: its title and, when acknowledged, its record's position and hash.
struct Upload {
    title: String,
    acked: Option<(u64, String)>,
}

/// The node of the ingest and artefact points and what it acknowledged.
struct Publisher {
    root: PathBuf,
    dir: PathBuf,
    releases_per_ingest: usize,
    ingests: Vec<Ingest>,
    uploads: Vec<Upload>,
    blobs_seen: BTreeSet<String>,
    served: BTreeSet<u64>,
}

impl Publisher {
    fn ingest_args(&self, k: u64, file: &Path) -> Vec<String> {
        let period = PERIODS[k as usize % PERIODS.len()];
        let mut args = strings(&["ingest", "--dir", self.dir.to_str().unwrap(), "--dataset"]);
        args.extend(strings(&["survey", "--period", period, "--format", "json"]));
        args.push(file.to_str().unwrap().into());
        args
    }

    fn publish_args(&self, title: &str, file: &Path) -> Vec<String> {
        let mut args = strings(&["publish", "--dir", self.dir.to_str().unwrap(), "--type"]);
        args.extend(strings(&["policy", "--title", title, "--metadata"]));
        args.push(self.root.join("meta.toml").to_str().unwrap().into());
        args.push(file.to_str().unwrap().into());
        args
    }

    /// Ingest attempt `k`: returns the client's arguments and remembers the input's hash.
    fn next_ingest(&mut self, k: u64) -> Vec<String> {
        let file = survey_file(&self.root, &metronode::synth::BRUSSELS, 2000, k);
        self.ingests
            .push(Ingest { sha: Sha256::digest(fs::read(&file).unwrap()).to_vec(), acked: None });
        self.ingest_args(k, &file)
    }

    /// Upload attempt `k`: a document of its own size and title.
    fn next_upload(&mut self, k: u64) -> Vec<String> {
        let title = format!("Crash policy {k}");
        let file = document(&self.root, k, (1 << 20) + (k as usize * 786_433) % (4 << 20));
        self.uploads.push(Upload { title: title.clone(), acked: None });
        self.publish_args(&title, &file)
    }

    /// Notes the client's acknowledgement of the last attempt, if it gave one.
    fn acknowledged(&mut self, ingest: bool, out: &Output) {
        if !out.status.success() {
            return;
        }
        if ingest {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ingest JSON");
            let seqs = v["seqs"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap());
            self.ingests.last_mut().unwrap().acked = Some(seqs.collect());
        } else {
            // "published as log record SEQ (HASH)"
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let rest =
                text.trim().strip_prefix("published as log record ").expect("publish output");
            let (seq, hash) = rest.split_once(" (").unwrap();
            let ack = (seq.parse().unwrap(), hash.trim_end_matches(')').to_owned());
            self.uploads.last_mut().unwrap().acked = Some(ack);
        }
    }

    /// Checks the restarted node against everything acknowledged so far; returns whether the
    /// last attempt (an ingest or an upload) landed.
    fn check(&mut self, node: &Serving, ingest: bool, t: &mut Tally) -> bool {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let records = rt.block_on(all_records(&node.url(), "BEBRU"));
        let mut releases: BTreeMap<Vec<u8>, (String, Vec<u64>)> = BTreeMap::new();
        let mut documents = Vec::new();
        for (seq, p) in payloads(&records).into_iter().enumerate() {
            match p {
                Some(pb::record_body::Payload::IndicatorRelease(r)) => {
                    let entry = releases.entry(r.input_sha256).or_insert((r.period, Vec::new()));
                    entry.1.push(seq as u64);
                }
                Some(pb::record_body::Payload::ArtefactPublication(p)) => {
                    documents.push((seq as u64, p))
                }
                _ => {}
            }
        }
        // A release lands whole or not at all, and an acknowledged one where it was acknowledged.
        for (period, seqs) in releases.values() {
            let whole =
                seqs.len() == self.releases_per_ingest && seqs.windows(2).all(|w| w[1] == w[0] + 1);
            t.check(whole, || format!("a release of {period} landed as records {seqs:?}"));
        }
        for ingest in &self.ingests {
            if let Some(acked) = &ingest.acked {
                let held = releases.get(&ingest.sha).map(|r| &r.1);
                t.check(held == Some(acked), || {
                    format!("the release acknowledged at {acked:?} is held at {held:?}")
                });
            }
        }
        // The ledger holds exactly the spends of the releases held: none twice, none lost.
        let per_release: Milli = PER_RELEASE.parse().unwrap();
        let mut expected: BTreeMap<String, Milli> = BTreeMap::new();
        for (period, _) in releases.values() {
            let spent = expected.entry(period.clone()).or_default();
            *spent = spent.saturating_add(per_release);
        }
        let budget = stdout(&["budget", "--dir", self.dir.to_str().unwrap()]);
        // "survey 2025: spent 0.375 of 1000 rho, 999.625 left"
        let ledger: BTreeMap<String, Milli> = budget
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                let spent: Milli = w.get(3)?.parse().ok()?;
                Some((w.get(1)?.trim_end_matches(':').to_owned(), spent))
            })
            .collect();
        t.check(ledger == expected, || format!("ledger {ledger:?}, releases held {expected:?}"));
        // An acknowledged document record is held as acknowledged; every document the log names
        // is served whole (each once).
        for upload in &self.uploads {
            if let Some((seq, hash)) = &upload.acked {
                let held =
                    records.get(*seq as usize).map(|r| hex::encode(merkle::leaf_hash(&r.body)));
                t.check(held.as_ref() == Some(hash), || {
                    format!("document record {seq} acknowledged as {hash} is {held:?}")
                });
            }
        }
        let http = fs::read_to_string(self.dir.join("http.addr")).unwrap();
        for (seq, p) in &documents {
            if self.served.insert(*seq) {
                check_download(&http, "BEBRU", *seq, p, t);
            }
        }
        if ingest {
            releases.contains_key(&self.ingests.last().unwrap().sha)
        } else {
            let title = &self.uploads.last().unwrap().title;
            documents.iter().any(|(_, p)| &p.title == title)
        }
    }
}

/// Ingest (with a privacy budget) and artefact upload on one node, alternating, killed at each
/// point and restarted; then manifest changes on the same node. Returns the ingest, upload and
/// manifest tallies.
fn one_node(root: &Path, points: usize, delays: &mut Delays) -> (Tally, Tally, Tally) {
    let (mut ingests, mut uploads) = (Tally::default(), Tally::default());
    let dir = init(root, "BEBRU");
    let config = dir.join("node.toml");
    let text = fs::read_to_string(&config).unwrap();
    let privacy = format!(
        "\n[privacy.survey]\nper_release = \"{PER_RELEASE}\"\nbudget = \"1000\"\n\
         weight_clip = 800\n"
    );
    fs::write(&config, text + &privacy).unwrap();
    fs::write(root.join("meta.toml"), META).unwrap();
    let mut p = Publisher {
        root: root.to_owned(),
        dir: dir.clone(),
        releases_per_ingest: 0,
        ingests: Vec::new(),
        uploads: Vec::new(),
        blobs_seen: BTreeSet::new(),
        served: BTreeSet::new(),
    };
    let mut node = Serving::start(&dir);
    // One uninterrupted run of each measures the span the kill delays are drawn from.
    let args = p.next_ingest(0);
    let (measured, out) = timed(&args);
    ingests.measured(measured);
    p.acknowledged(true, &out);
    p.releases_per_ingest = p.ingests[0].acked.as_ref().unwrap().len();
    let args = p.next_upload(0);
    let (measured, out) = timed(&args);
    uploads.measured(measured);
    p.acknowledged(false, &out);

    for k in 1..=points as u64 {
        for ingest in [true, false] {
            let t = if ingest { &mut ingests } else { &mut uploads };
            let delay = delays.next(t.span);
            let args = if ingest { p.next_ingest(k) } else { p.next_upload(k) };
            let out = crash_during(&mut node, &args, delay, t);
            p.acknowledged(ingest, &out);
            // Before `verify`, which opens the node and so removes temporary files.
            check_blobs(&dir, &mut p.blobs_seen, None, t);
            verify(&dir, t);
            node = Serving::start(&dir);
            check_blobs(&dir, &mut p.blobs_seen, Some(&node), t);
            let landed = p.check(&node, ingest, t);
            t.point(delay, outcome(&out, landed), out.status.success());
        }
    }
    let changes = manifest_changes(root, &dir, &mut node, points, delays);
    assert_eq!(node.signal_and_wait("TERM").code(), Some(0), "{}", node.log());
    (ingests, uploads, changes)
}

fn has_altia(m: &Manifest) -> bool {
    m.body.members.iter().any(|c| c.id == "ALTIA")
}

/// Manifest changes on the running node of `dir`, a federation of its own, each adding or
/// removing a second member (ALTIA, never started), killed mid-change.
fn manifest_changes(
    root: &Path,
    dir: &Path,
    node: &mut Serving,
    points: usize,
    delays: &mut Delays,
) -> Tally {
    let mut changes = Tally::default();
    let d = dir.to_str().unwrap();
    let c = init_at(root, "ALTIA", free_port());
    let card_c = dir.with_extension("altia.toml");
    fs::write(&card_c, stdout(&["card", "--dir", c.to_str().unwrap()])).unwrap();
    let card_c = card_c.to_str().unwrap();
    stdout(&["federation", "create", "--dir", d, "--federation-id", "solo", "--threshold", "1"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let membership = |url: String| {
        rt.block_on(async {
            let mut c = pb::analytics_client::AnalyticsClient::connect(url).await.unwrap();
            let m = c.get_membership(pb::GetMembershipRequest {}).await.unwrap().into_inner();
            Manifest::decode(&m.active).unwrap()
        })
    };
    let proposals = |url: String| {
        let records = rt.block_on(all_records(&url, "BEBRU"));
        payloads(&records)
            .into_iter()
            .filter(|p| matches!(p, Some(pb::record_body::Payload::ManifestProposal(_))))
            .count() as u64
    };
    let change = |active: &Manifest| {
        let what = if has_altia(active) { ["--remove", "ALTIA"] } else { ["--add", card_c] };
        strings(&["federation", "propose", "--dir", d, what[0], what[1]])
    };
    let (measured, _) = timed(&change(&membership(node.url())));
    changes.measured(measured);
    for _ in 0..points {
        let before = membership(node.url());
        let delay = delays.next(changes.span);
        let out = crash_during(node, &change(&before), delay, &mut changes);
        // "proposed version N: HASH"
        let acked = out.status.success().then(|| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let first = text.lines().next().unwrap_or_default().to_owned();
            first.rsplit(' ').next().unwrap_or_default().to_owned()
        });
        verify(dir, &mut changes);
        *node = Serving::start(dir);
        let after = membership(node.url());
        let (v0, v1) = (before.body.version, after.body.version);
        let toggled = has_altia(&after) != has_altia(&before);
        let whole = match &acked {
            Some(hash) => v1 == v0 + 1 && toggled && &hex::encode(after.hash) == hash,
            None => (v1 == v0 && !toggled) || (v1 == v0 + 1 && toggled),
        };
        changes.check(whole, || {
            format!("version {v0} to {v1} (acknowledged {acked:?}), ALTIA toggled: {toggled}")
        });
        let held = proposals(node.url());
        changes.check(held == v1, || format!("{held} proposals in the log at version {v1}"));
        changes.point(delay, outcome(&out, v1 > v0), out.status.success());
    }
    changes
}

/// Two federated nodes: the second (BGSOF) killed while it replicates the first's (IEDUB)
/// growing log and documents.
fn replication(root: &Path, points: usize, delays: &mut Delays) -> Tally {
    let mut replication = Tally::default();
    let a = init_at(root, "IEDUB", free_port());
    let b = init_at(root, "BGSOF", free_port());
    let card = |dir: &Path| {
        let path = dir.with_extension("card.toml");
        fs::write(&path, stdout(&["card", "--dir", dir.to_str().unwrap()])).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // A federated node stops only after its peers' connections drain; keep that short here.
    for dir in [&a, &b] {
        let text = fs::read_to_string(dir.join("node.toml")).unwrap();
        let short = text.replace("drain_timeout_secs = 10", "drain_timeout_secs = 1");
        assert_ne!(short, text, "the template sets the drain deadline");
        fs::write(dir.join("node.toml"), short).unwrap();
    }
    let (card_a, card_b) = (card(&a), card(&b));
    let (ad, bd) = (a.to_str().unwrap(), b.to_str().unwrap());
    let mut na = Serving::start(&a);
    let mut nb = Serving::start(&b);
    for (dir, other) in [(ad, &card_b), (bd, &card_a)] {
        stdout(
            &["federation", "create", "--dir", dir, "--federation-id", "crash", "--threshold"]
                .into_iter()
                .chain(["1", other])
                .collect::<Vec<_>>(),
        );
    }
    wait_for("version 1 on both", || {
        [ad, bd].iter().all(|d| {
            stdout(&["federation", "show", "--dir", d]).contains("federation crash version 1")
        })
    });
    assert_eq!(nb.signal_and_wait("TERM").code(), Some(0), "{}", nb.log());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Replication: the first node's log grows, the second is killed while it catches up.
    fs::write(root.join("meta.toml"), META).unwrap();
    let grow = |k: u64, na: &Serving| {
        let file = survey_file(root, &metronode::synth::DUBLIN, 1000, 100 + k);
        let file = file.to_str().unwrap();
        // A period of its own: without a privacy budget a period is published once.
        let period = (3000 + k).to_string();
        stdout(&["ingest", "--dir", ad, "--dataset", "survey", "--period", &period, file]);
        let doc = document(root, 100 + k, 1 << 20);
        let meta = root.join("meta.toml");
        let title = format!("Replicated policy {k}");
        stdout(
            &["publish", "--dir", ad, "--type", "policy", "--title", &title, "--metadata"]
                .into_iter()
                .chain([meta.to_str().unwrap(), doc.to_str().unwrap()])
                .collect::<Vec<_>>(),
        );
        rt.block_on(async {
            let mut c = pb::publisher_client::PublisherClient::connect(na.url()).await.unwrap();
            for i in 0..5 {
                publish(&mut c, &format!("notice {k}.{i}")).await.unwrap();
            }
        });
        rt.block_on(all_records(&na.url(), "IEDUB"))
    };
    let has_bodies = |records: &[pb::SignedRecord]| {
        payloads(records).into_iter().all(|p| match p {
            Some(pb::record_body::Payload::ArtefactPublication(p)) => {
                b.join("blobs").join(hex::encode(&p.body_sha256)).is_file()
            }
            _ => true,
        })
    };
    // What the replica served of the first node's log, last time it was asked.
    let mut observed: Vec<pb::SignedRecord> = Vec::new();
    let mut blobs_seen = BTreeSet::new();
    let want = grow(0, &na);
    nb = Serving::start(&b);
    let start = Instant::now();
    while rt.block_on(all_records(&nb.url(), "IEDUB")) != want || !has_bodies(&want) {
        assert!(start.elapsed() < Duration::from_secs(30), "BGSOF never caught up");
        std::thread::sleep(Duration::from_millis(2));
    }
    replication.measured(start.elapsed());
    assert_eq!(nb.signal_and_wait("TERM").code(), Some(0), "{}", nb.log());
    for k in 1..=points as u64 {
        let want = grow(k, &na);
        nb = Serving::start(&b);
        check_blobs(&b, &mut blobs_seen, Some(&nb), &mut replication);
        let delay = delays.next(replication.span);
        let until = Instant::now() + delay;
        let kept = rt.block_on(async {
            let url = nb.url();
            let mut c = pb::federation_client::FederationClient::connect(url).await.unwrap();
            // The log is hash-chained and verified when opened, so the last record served
            // before the kill, held unchanged, vouches for every one before it.
            let from = observed.len().saturating_sub(1);
            let held = records_from(&mut c, "IEDUB", from as u64).await;
            let kept = observed.last().is_none_or(|r| held.first() == Some(r));
            observed.extend(held.into_iter().skip(observed.len() - from));
            while Instant::now() < until {
                observed.extend(records_from(&mut c, "IEDUB", observed.len() as u64).await);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            kept
        });
        replication.check(kept, || {
            format!("after a restart the replica lost records it served before ({k})")
        });
        let stage = if observed.len() < want.len() {
            "killed while pulling records"
        } else if !has_bodies(&want) {
            "killed while fetching documents"
        } else {
            CAUGHT_UP
        };
        sigkill(&mut nb, &mut replication);
        replication.check(want.starts_with(&observed), || {
            "the replica served records the origin does not hold".into()
        });
        check_blobs(&b, &mut blobs_seen, None, &mut replication);
        verify(&b, &mut replication);
        replication.point(delay, stage, stage == CAUGHT_UP);
    }
    // At the end the replica catches up and serves every document whole.
    nb = Serving::start(&b);
    check_blobs(&b, &mut blobs_seen, Some(&nb), &mut replication);
    let want = rt.block_on(all_records(&na.url(), "IEDUB"));
    wait_for("BGSOF caught up at the end", || {
        rt.block_on(all_records(&nb.url(), "IEDUB")) == want && has_bodies(&want)
    });
    replication.check(want.starts_with(&observed), || {
        "the replica's final copy lacks records it served before".into()
    });
    let http = fs::read_to_string(b.join("http.addr")).unwrap();
    for (seq, p) in payloads(&want).into_iter().enumerate() {
        if let Some(pb::record_body::Payload::ArtefactPublication(p)) = p {
            check_download(&http, "IEDUB", seq as u64, &p, &mut replication);
        }
    }
    assert_eq!(nb.signal_and_wait("TERM").code(), Some(0), "{}", nb.log());
    assert_eq!(na.signal_and_wait("TERM").code(), Some(0), "{}", na.log());
    verify(&b, &mut replication);
    replication
}

/// The outcomes of an activity as "3 acknowledged before the kill, 2 …".
fn outcomes(t: &Tally) -> String {
    let parts: Vec<String> = t.outcomes.iter().map(|(k, n)| format!("{n} {k}")).collect();
    parts.join("; ")
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[test]
fn sigkill_at_seeded_points_loses_nothing() {
    let wanted = std::env::var("METRONODE_CRASH_POINTS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(CI_POINTS)
        .max(CI_POINTS);
    let per = wanted.div_ceil(4);
    let root = tempfile::tempdir().unwrap();
    let (one, two) = (root.path().join("one"), root.path().join("two"));
    fs::create_dir_all(&one).unwrap();
    fs::create_dir_all(&two).unwrap();
    let started = Instant::now();
    let ((ingests, uploads, changes), replication) = std::thread::scope(|s| {
        let first = s.spawn(|| one_node(&one, per, &mut Delays(metronode::synth::Rng(SEED))));
        let second =
            s.spawn(|| replication(&two, per, &mut Delays(metronode::synth::Rng(SEED ^ 1))));
        (first.join().unwrap(), second.join().unwrap())
    });
    let elapsed = started.elapsed();

    let activities = [
        (
            "`metronode ingest` of a survey file with a privacy budget (9 releases and one \
             spend per ingest)",
            &ingests,
            "every acknowledged release is held at its acknowledged positions; every release \
             is whole (all of its records or none); the budget ledger (`metronode budget`) \
             equals, per period, 0.125 rho times the releases held: no spend without its \
             release, no release without its spend",
        ),
        (
            "`metronode publish` of a 1 to 5 MiB document",
            &uploads,
            "every acknowledged publication record is held with its acknowledged hash; every \
             document the log names downloads over HTTP hashing to its signed SHA-256; every \
             body file hashes to its name; no temporary file is left after the restart",
        ),
        (
            "`metronode federation propose` adding or removing a member",
            &changes,
            "an acknowledged change is in effect after the restart; an unacknowledged one is \
             in effect or absent, never half; the proposer's log holds one proposal per version",
        ),
        (
            "replication by a second node of the first's log (an ingest, a 1 MiB document \
             and 5 notices more at each point; delays count from the replica serving)",
            &replication,
            "every record the replica served before the kill is still held after the restart, \
             byte for byte the origin's; at the end it catches up and serves every document \
             whole; no temporary file is left after a restart",
        ),
    ];
    let total: usize = activities.iter().map(|a| a.1.points).sum();
    let checks: usize = activities.iter().map(|a| a.1.checks).sum();
    let lost: Vec<&String> = activities.iter().flat_map(|a| &a.1.lost).collect();
    let mut lines = vec![
        format!(
            "Written by `crash::sigkill_at_seeded_points_loses_nothing` (node/tests/cli/crash.rs) \
             in {:.0} s. The real `metronode serve` was killed with SIGKILL {total} times \
             (`METRONODE_CRASH_POINTS=500` runs more; CI runs {CI_POINTS}), each time after a \
             delay from a seeded sequence (seed {SEED:#x}) over twice a span that starts at the \
             duration of an uninterrupted run and follows the outcomes (x0.85 after a kill that \
             came after the acknowledgement, x1.15 otherwise), so about half the kills land \
             within the operation (before the client connects, mid-upload, mid-computation, \
             mid-append) and half after the acknowledgement. After each kill \
             `metronode verify --dir` checked the stopped directory (every record's signature, \
             hash link and tree head); then the node was restarted and checked.",
            elapsed.as_secs_f64()
        ),
        String::new(),
        "| Activity | Kills | Uninterrupted run | Kill delays | Outcomes | Checked after each \
         restart |"
            .into(),
        "|---|---:|---:|---|---|---|".into(),
    ];
    for (what, t, checked) in &activities {
        let (lo, hi) = (t.delays.iter().min().copied(), t.delays.iter().max().copied());
        lines.push(format!(
            "| {what} | {} | {} | {} to {} | {} | {checked} |",
            t.points,
            ms(t.measured),
            ms(lo.unwrap_or_default()),
            ms(hi.unwrap_or_default()),
            outcomes(t)
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Kills mid-transfer left {} temporary document files on the publishing node and {} on \
         the replica; the next start (or `verify`) removed every one, and no file was ever \
         named by a hash it did not have.",
        uploads.temp_files, replication.temp_files
    ));
    lines.push(String::new());
    lines.push(if lost.is_empty() {
        format!(
            "Lost: nothing. {checks} checks passed: no acknowledged record missing, no release \
             without its spend or spend without its release, no partial document kept or \
             served, no failed verification."
        )
    } else {
        format!("Lost: {} of {checks} checks failed: {lost:?}", lost.len())
    });
    reliability_note("Crashes", &lines);
    assert!(lost.is_empty(), "{lost:#?}");
}
