//! A full disk: the real node with its data directory on a small ext4 file system (an image
//! loop-mounted for the test, which needs root) filled during appends. Below the free-space
//! reserve (`store.min_free_bytes`) appends are refused as "disk full" while health, reads and
//! queries go on, and writes resume once space is freed; with the reserve off, the store itself
//! runs out of space (a record file's write or sled's): the failing append says so, the node stays up read-only, and after a restart
//! with space freed `metronode verify` passes and every acknowledged record is there. Writes the
//! "Full disk" section of RELIABILITY.md.
//!
//! Without root (or loop devices) the test says so and fails, unless
//! `METRONODE_FULL_DISK_TEST=skip-if-unprivileged`, when it says so and passes.

use std::{
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

use metronode::{merkle, pb};

use crate::harness::{Serving, all_records, init, reliability_note, run};

/// Size of the file system the node lives on.
const DISK_MIB: u64 = 48;
/// The free-space reserve of the guarded phase.
const RESERVE: u64 = 8 * 1024 * 1024;
/// The notice text of every append: the largest a notice may carry.
const NOTICE_BYTES: usize = metronode::service::publisher::MAX_TEXT_BYTES;
/// The metadata of the document the full disk refuses (the crash tests' document metadata).
use crate::crash::META;
/// Longest any one answer may take: the node must never block on its full disk.
const DEADLINE: Duration = Duration::from_secs(10);

/// A small ext4 file system on a loop-mounted image, unmounted when dropped.
struct SmallDisk {
    mnt: PathBuf,
}

impl SmallDisk {
    fn mount(root: &Path) -> Result<SmallDisk, String> {
        let image = root.join("disk.img");
        let mnt = root.join("mnt");
        fs::create_dir_all(&mnt).map_err(|e| e.to_string())?;
        fs::File::create(&image)
            .and_then(|f| f.set_len(DISK_MIB * 1024 * 1024))
            .map_err(|e| format!("couldn't create {}: {e}", image.display()))?;
        let image_arg = image.to_str().unwrap();
        // No blocks reserved for root: the node runs as root in CI and would write into them.
        command("mkfs.ext4", &["-q", "-F", "-m", "0", image_arg])?;
        command("mount", &["-o", "loop", image_arg, mnt.to_str().unwrap()])?;
        Ok(SmallDisk { mnt })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let mnt = self.mnt.to_str().unwrap();
        if command("umount", &[mnt]).is_err() {
            let _ = command("umount", &["-l", mnt]);
        }
    }
}

fn command(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("couldn't run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Bytes available on the file system holding `path`.
fn free(path: &Path) -> u64 {
    fs2::available_space(path).expect("free space")
}

/// Writes (and syncs) a ballast file until at most `leave` bytes are free on `path`'s file
/// system.
fn fill(path: &Path, ballast: &Path, leave: u64) {
    let mut file = fs::OpenOptions::new().create(true).append(true).open(ballast).unwrap();
    let chunk = vec![0u8; 256 * 1024];
    while free(path) > leave {
        let n = (free(path) - leave).min(chunk.len() as u64) as usize;
        if file.write_all(&chunk[..n]).is_err() {
            break;
        }
        file.sync_all().unwrap();
    }
}

/// An HTTP GET that gives up after `DEADLINE`: the status and body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr.trim()).expect("connect to the HTTP port");
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: metronode\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap_or_else(|e| panic!("GET {path}: no answer in time: {e}"));
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP reply");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_owned())
}

/// Publishes a notice of `NOTICE_BYTES`: the acknowledged (seq, record hash), or the refusal.
async fn notice(
    client: &mut pb::publisher_client::PublisherClient<tonic::transport::Channel>,
    i: usize,
) -> Result<(u64, Vec<u8>), tonic::Status> {
    let notice = pb::Notice { title: format!("notice {i}"), text: "x".repeat(NOTICE_BYTES) };
    let call = client.publish_notice(pb::PublishNoticeRequest { notice: Some(notice) });
    let reply = tokio::time::timeout(DEADLINE, call).await.expect("an answer in time")?;
    let reply = reply.into_inner();
    Ok((reply.seq, reply.record_hash))
}

/// Every record of the node's own log over GetRecords, or the status that refused a page.
async fn records(url: &str) -> Result<Vec<pb::SignedRecord>, String> {
    let mut client = pb::federation_client::FederationClient::connect(url.to_owned())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    loop {
        let request =
            pb::GetRecordsRequest { origin: "BEBRU".into(), from_seq: out.len() as u64, limit: 0 };
        let status = |s: tonic::Status| format!("{:?}: {}", s.code(), s.message());
        let mut stream = client.get_records(request).await.map_err(status)?.into_inner();
        let before = out.len();
        while let Some(r) = stream.message().await.map_err(status)? {
            out.push(r);
        }
        if out.len() == before {
            return Ok(out);
        }
    }
}

/// What the node answers while its store refuses writes.
struct Serves {
    healthz: u16,
    readyz: (u16, String),
    query_same: bool,
    /// Every acknowledged record read back over GetRecords, or why not.
    records: Result<usize, String>,
}

/// Checks what a node that refuses writes still serves: health, readiness, the query answered
/// before the disk filled, and its records over GetRecords.
fn serves(
    rt: &tokio::runtime::Runtime,
    node: &Serving,
    http: &str,
    query: &str,
    answer: &str,
    acked: &[(u64, Vec<u8>)],
) -> Serves {
    let healthz = get(http, "/healthz").0;
    let readyz = get(http, "/readyz");
    let (status, body) = get(http, query);
    let query_same = status == 200 && body == answer;
    let records = rt.block_on(async {
        let read = tokio::time::timeout(DEADLINE, records(&node.url())).await;
        let held = read.map_err(|_| "GetRecords gave no answer in time".to_owned())??;
        for (seq, hash) in acked {
            let r = held.get(*seq as usize).ok_or(format!("record {seq} missing"))?;
            if merkle::leaf_hash(&r.body).as_slice() != hash.as_slice() {
                return Err(format!("record {seq} differs from the one acknowledged"));
            }
        }
        Ok(held.len())
    });
    Serves { healthz, readyz, query_same, records }
}

/// Publishes notices until the node refuses one: the refusal, and how many were acknowledged.
fn until_refused(
    rt: &tokio::runtime::Runtime,
    node: &Serving,
    acked: &mut Vec<(u64, Vec<u8>)>,
) -> (tonic::Status, usize) {
    rt.block_on(async {
        let mut client =
            pb::publisher_client::PublisherClient::connect(node.url()).await.expect("connect");
        for i in 0..10_000 {
            match notice(&mut client, i).await {
                Ok(ack) => acked.push(ack),
                Err(status) => return (status, i),
            }
        }
        panic!("10000 notices of {NOTICE_BYTES} bytes never filled a {DISK_MIB} MiB disk");
    })
}

/// Sends SIGTERM and waits for the exit, up to a deadline (a node that hangs on its failed
/// store is killed and the test fails).
fn stop(node: &mut Serving) -> std::process::ExitStatus {
    let pid = node.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = node.child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = node.child.kill();
            panic!("the node did not exit within 60 s of SIGTERM: {}", node.log());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn ingest(dir: &Path, file: &Path, period: &str) -> Output {
    run(&[
        "ingest",
        "--dir",
        dir.to_str().unwrap(),
        "--dataset",
        "survey",
        "--period",
        period,
        file.to_str().unwrap(),
    ])
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn one_line(text: &str) -> String {
    text.trim().replace('\n', " ")
}

#[test]
fn a_full_disk_refuses_appends_keeps_serving_and_damages_nothing() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let disk = match SmallDisk::mount(root.path()) {
        Ok(d) => d,
        Err(e) => {
            let why = format!(
                "full disk test: cannot mount a small file system (needs root and a loop \
                 device): {e}"
            );
            if std::env::var("METRONODE_FULL_DISK_TEST").as_deref() == Ok("skip-if-unprivileged") {
                let _ = writeln!(std::io::stderr(), "{why}; skipped");
                return;
            }
            panic!("{why} (set METRONODE_FULL_DISK_TEST=skip-if-unprivileged to skip)");
        }
    };
    let dir = init(&disk.mnt, "BEBRU");
    let store = dir.join("store");
    let ballast = disk.mnt.join("ballast");
    let survey = root.path().join("survey.csv");
    let out = run(&["demo", "generate", "--city", "BEBRU", "--rows", "600", "--seed", "1"]);
    assert!(out.status.success());
    fs::write(&survey, &out.stdout).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut acked = Vec::new();
    let reserve = RESERVE.to_string();
    let public = ("METRONODE_HTTP__PUBLIC", "true");

    // Phase 1: the reserve. A release to query, then the disk filled to just above the
    // reserve, then notices until one is refused.
    let node =
        Serving::start_with_env(&dir, &[("METRONODE_STORE__MIN_FREE_BYTES", &reserve), public]);
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    let out = ingest(&dir, &survey, "2025");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let query = "/api/v1/query?indicator=DRI-USE-01&period=2025";
    let (status, answer) = get(&http, query);
    assert_eq!(status, 200, "{answer}");
    fill(&store, &ballast, RESERVE + 2 * 1024 * 1024);
    let (refusal, n1) = until_refused(&rt, &node, &mut acked);
    let free_at_refusal = free(&store);
    assert_eq!(refusal.code(), tonic::Code::ResourceExhausted, "{refusal:?}");
    let said = refusal.message().to_owned();
    assert!(said.starts_with("disk full: ") && said.contains("store.min_free_bytes"), "{said}");
    assert!(n1 > 0, "the disk was full before the first notice");
    // The command-line clients say the same, for a release and for a document.
    let out = ingest(&dir, &survey, "2026");
    assert!(!out.status.success());
    let cli = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(cli.starts_with("error: disk full: "), "{cli}");
    let doc = root.path().join("policy.txt");
    fs::write(&doc, "A policy.\n").unwrap();
    let meta = root.path().join("meta.toml");
    fs::write(&meta, META).unwrap();
    let out = run(&[
        "publish",
        "--dir",
        dir.to_str().unwrap(),
        "--type",
        "policy",
        "--title",
        "Policy",
        "--metadata",
        meta.to_str().unwrap(),
        doc.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let cli_doc = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(cli_doc.starts_with("error: disk full: "), "{cli_doc}");
    let guarded = serves(&rt, &node, &http, query, &answer, &acked);
    assert_eq!(guarded.healthz, 200);
    assert_eq!(guarded.readyz.0, 200, "{}", guarded.readyz.1);
    assert!(guarded.readyz.1.starts_with("ready, read-only: disk full"), "{}", guarded.readyz.1);
    assert!(guarded.query_same, "the query answers as before the disk filled");
    assert!(guarded.records.is_ok(), "{:?}", guarded.records);
    // Space freed: appends are accepted again, without a restart.
    fs::remove_file(&ballast).unwrap();
    let (seq, hash) = rt
        .block_on(async {
            let mut c = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
            notice(&mut c, n1).await
        })
        .expect("an append once space is freed");
    acked.push((seq, hash));
    let mut node = node;
    assert_eq!(stop(&mut node).code(), Some(0), "{}", node.log());
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Phase 2: no reserve. The store runs out of space itself.
    let node = Serving::start_with_env(&dir, &[("METRONODE_STORE__MIN_FREE_BYTES", "0"), public]);
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    fill(&store, &ballast, 2 * 1024 * 1024);
    let before = acked.len();
    let (failure, n2) = until_refused(&rt, &node, &mut acked);
    assert_eq!(failure.code(), tonic::Code::ResourceExhausted, "{failure:?}");
    let failed = failure.message().to_owned();
    assert!(failed.starts_with("disk full: no space left on device"), "{failed}");
    let again = rt
        .block_on(async {
            let mut c = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
            notice(&mut c, n2 + 1).await
        })
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::ResourceExhausted);
    let read_only = again.message().to_owned();
    assert!(read_only.contains("read-only since a write failed"), "{read_only}");
    let out = ingest(&dir, &survey, "2027");
    let cli_failed = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && cli_failed.starts_with("error: disk full: "), "{cli_failed}");
    assert_eq!(acked.len(), before + n2);
    let failing = serves(&rt, &node, &http, query, &answer, &acked);
    assert_eq!(failing.healthz, 200, "the node stays up");
    assert_eq!(failing.readyz.0, 503, "{}", failing.readyz.1);
    assert!(failing.query_same, "the query answers as before the disk filled");
    let members = get(&http, "/api/v1/members");
    assert_eq!(members.0, 200);
    // A stop cannot flush a store that failed: the node says so and exits non-zero.
    let mut node = node;
    let stopped = stop(&mut node);
    assert_eq!(stopped.code(), Some(1), "a stop that cannot flush says so: {}", node.log());
    let log = node.log();
    // Which write meets the full disk first (an append or the flush at the stop) varies; either
    // way the node names the read-only store.
    assert!(
        log.contains("a store write failed: the store is read-only")
            || log.contains("read-only since a write failed"),
        "{log}"
    );
    drop(node);

    // Space freed and restarted: everything acknowledged is there and verifies.
    fs::remove_file(&ballast).unwrap();
    let out = run(&["verify", "--dir", dir.to_str().unwrap()]);
    let verified = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{verified}{}", String::from_utf8_lossy(&out.stderr));
    let node =
        Serving::start_with_env(&dir, &[("METRONODE_STORE__MIN_FREE_BYTES", &reserve), public]);
    let held = rt.block_on(all_records(&node.url(), "BEBRU"));
    for (seq, hash) in &acked {
        let r = &held[*seq as usize];
        assert_eq!(merkle::leaf_hash(&r.body).as_slice(), hash.as_slice(), "record {seq}");
    }
    let http = fs::read_to_string(dir.join("http.addr")).unwrap();
    assert_eq!(get(&http, query), (200, answer.clone()));
    rt.block_on(async {
        let mut c = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
        notice(&mut c, 0).await
    })
    .expect("appends after the restart");
    drop(node);
    let elapsed = started.elapsed();

    // Messages name the store's temporary path; the report says DIR/store.
    let plain = |m: &str| m.replace(store.to_str().unwrap(), "DIR/store");
    let (said, failed, read_only) = (plain(&said), plain(&failed), plain(&read_only));
    let records = |s: &Serves| match &s.records {
        Ok(n) => format!("all {n} records read back over GetRecords"),
        Err(e) => format!("GetRecords refused (`{}`)", plain(e)),
    };
    reliability_note(
        "Full disk",
        &[
            format!(
                "Written by `full_disk::a_full_disk_refuses_appends_keeps_serving_and_damages_nothing` \
                 (node/tests/cli/full_disk.rs) in {:.0} s. The real `metronode serve` with its data \
                 directory on a {DISK_MIB} MiB ext4 file system (a loop-mounted image; the test \
                 needs root), filled by a ballast file while {NOTICE_BYTES}-byte notices are \
                 appended until one is refused.",
                elapsed.as_secs_f64()
            ),
            String::new(),
            "| Phase | Appends acknowledged | The failing append | Meanwhile | Afterwards |"
                .to_owned(),
            "|---|---:|---|---|---|".to_owned(),
            format!(
                "| Reserve (`store.min_free_bytes` = {}): refused before the store runs out of space \
                 | {n1} | RESOURCE_EXHAUSTED at {} free: `{said}`; `metronode ingest` and \
                 `metronode publish` print it as `error: disk full: …` | `/healthz` {}, `/readyz` \
                 {} (`ready, read-only: disk full: …`), the metropolitan query answered unchanged, \
                 {} | ballast removed: the next append is acknowledged without a restart; SIGTERM \
                 exits 0; `metronode verify` passes |",
                mib(RESERVE),
                mib(free_at_refusal),
                guarded.healthz,
                guarded.readyz.0,
                records(&guarded),
            ),
            format!(
                "| No reserve (0): the store itself gets ENOSPC (a record file's write or sled's) | {n2} | RESOURCE_EXHAUSTED: \
                 `{failed}`; every later write is refused at once: `{read_only}` | `/healthz` {}, \
                 `/readyz` {} (the store failed a write: read-only until restarted), the query \
                 answered unchanged (from the release index read before), `/api/v1/members` {}, \
                 {} | SIGTERM: exit {} (the store cannot be flushed); ballast removed, `metronode \
                 verify` passes (`{}`), restarted: all {} acknowledged records of both phases \
                 held with their hashes, the query answers as before, appends work |",
                failing.healthz,
                failing.readyz.0,
                members.0,
                records(&failing),
                stopped.code().unwrap_or_default(),
                one_line(&verified).chars().take(70).collect::<String>() + "…",
                acked.len(),
            ),
            String::new(),
            "sled 0.34 cannot recover from a failed write within the process: it keeps the error \
             and fails every later write, and some reads, until it is reopened (and reopening \
             needs free space). So the node keeps `store.min_free_bytes` (64 MiB by default) \
             free: below it, appends, replication and documents are refused as \"disk full\" \
             before anything is written, reads and queries go on, and writes resume once space \
             is freed. When a write fails all the same (another program filled the disk), the \
             store turns read-only until the node restarts, and the log serves only the records \
             its tree covers (the store only what its extents commit; bytes a failed append left \
             in a record file are cut off when it reopens), so nothing unacknowledged ever \
             leaves the node."
                .to_owned(),
        ],
    );
}
