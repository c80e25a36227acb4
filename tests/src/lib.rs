//! Test harness: real nodes, in process, on loopback ports, each in its own temporary directory.
//!
//! `TestNode::start("BEBRU")` initialises a data directory, opens the node and serves it with
//! `server::run` on `127.0.0.1:0`, exactly as `metronode serve` does after parsing its flags.
//! `reliability_note` rewrites one section of RELIABILITY.md with figures a test measured.

pub mod same_cells;

use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use metronode::{
    identity::MemberId,
    node::{self, Identity, Node},
    pb, server,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::oneshot,
    task::JoinHandle,
};

/// A node serving on loopback until stopped or dropped.
pub struct TestNode {
    /// The open node, shared with its server.
    pub node: Arc<Node>,
    /// The bound gRPC address.
    pub addr: SocketAddr,
    /// The bound HTTP address.
    pub http_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestNode {
    /// Initialises a fresh node for `id` and serves it.
    pub async fn start(id: &str) -> TestNode {
        Self::start_with(id, "").await
    }

    /// Initialises a fresh node for `id`, appends `extra` to its `node.toml`, and serves it.
    pub async fn start_with(id: &str, extra: &str) -> TestNode {
        Self::start_edited(id, |text| format!("{text}\n{extra}")).await
    }

    /// Initialises a fresh node for `id`, rewrites its `node.toml` with `edit`, and serves it.
    pub async fn start_edited(id: &str, edit: impl FnOnce(String) -> String) -> TestNode {
        metronode::test_util::install_test_trace_subscriber();
        let dir = tempfile::tempdir().expect("temp dir");
        let member: MemberId = id.parse().expect("member id");
        // The federation port goes into the member card, so it is chosen before init.
        // The listener stays open from here to `serve`, so no other test can take its port.
        let fed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let fed_addr = fed.local_addr().expect("addr");
        node::init_dir(
            dir.path(),
            &member,
            "Test City",
            "127.0.0.1:0".parse().unwrap(),
            fed_addr,
            None,
        )
        .expect("init");
        let config = dir.path().join("node.toml");
        let text = std::fs::read_to_string(&config).expect("read config");
        let text = text.replace("sync_interval_ms = 5000", "sync_interval_ms = 150");
        let text = text.replace("peer_timeout_ms = 5000", "peer_timeout_ms = 2000");
        let text = text.replace("stale_after_ms = 300000", "stale_after_ms = 3000");
        std::fs::write(&config, edit(text)).expect("write config");
        Self::serve(dir, Some(fed)).await
    }

    /// Stops the node gracefully and serves the same data directory again.
    pub async fn restart(mut self) -> TestNode {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
        self.released().await;
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temp dir"));
        drop(self);
        Self::serve(dir, None).await
    }

    /// Serves the node in `dir` on its configured federation address: on `fed` when the caller
    /// holds it already, else bound now.
    async fn serve(dir: tempfile::TempDir, fed: Option<std::net::TcpListener>) -> TestNode {
        let node = Arc::new(Node::open(Identity::load(dir.path()).expect("load")).expect("open"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let fed = match fed {
            Some(l) => {
                l.set_nonblocking(true).expect("non-blocking");
                tokio::net::TcpListener::from_std(l).expect("listener")
            }
            None => bind_retrying(node.config.federation.listen).await,
        };
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let http_addr = http.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let listeners = server::Listeners { local: listener, federation: fed, http };
        let task = tokio::spawn(server::run(node.clone(), listeners, async move {
            let _ = stopped.await;
        }));
        TestNode { node, addr, http_addr, stop: Some(stop), task: Some(task), _dir: dir }
    }

    /// The URL gRPC clients connect to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Streams `data` to the node's Ingest service.
    pub async fn ingest(
        &self,
        dataset: &str,
        period: &str,
        dry_run: bool,
        data: Vec<u8>,
    ) -> Result<pb::IngestReply, tonic::Status> {
        let mut client =
            pb::publisher_client::PublisherClient::connect(self.url()).await.expect("connect");
        let header = pb::IngestChunk {
            chunk: Some(pb::ingest_chunk::Chunk::Header(pb::IngestHeader {
                dataset: dataset.into(),
                period: period.into(),
                file_name: format!("{dataset}.csv"),
                dry_run,
            })),
        };
        let chunks = data
            .chunks(1000)
            .map(|c| pb::IngestChunk { chunk: Some(pb::ingest_chunk::Chunk::Data(c.to_vec())) });
        let all: Vec<_> = std::iter::once(header).chain(chunks).collect();
        client.ingest(tokio_stream::iter(all)).await.map(|r| r.into_inner())
    }

    /// A Publisher client on the local port.
    pub async fn publisher(
        &self,
    ) -> pb::publisher_client::PublisherClient<tonic::transport::Channel> {
        pb::publisher_client::PublisherClient::connect(self.url()).await.expect("connect")
    }

    /// Publishes a notice and returns its sequence number.
    pub async fn notice(&self, title: &str) -> u64 {
        self.publisher()
            .await
            .publish_notice(pb::PublishNoticeRequest {
                notice: Some(pb::Notice { title: title.into(), text: String::new() }),
            })
            .await
            .expect("publish")
            .into_inner()
            .seq
    }

    /// Stops the node gracefully, keeping its data directory for `PausedNode::resume`.
    pub async fn pause(mut self) -> PausedNode {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
        self.released().await;
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temp dir"));
        PausedNode { dir }
    }

    /// Streams a document with its metadata to the node's Publisher.
    pub async fn publish_artefact(
        &self,
        artefact_type: &str,
        title: &str,
        metadata_toml: &str,
        file_name: &str,
        body: &[u8],
    ) -> Result<pb::PublishReply, tonic::Status> {
        let header = pb::ArtefactChunk {
            chunk: Some(pb::artefact_chunk::Chunk::Header(pb::ArtefactHeader {
                artefact_type: artefact_type.into(),
                title: title.into(),
                metadata_toml: metadata_toml.into(),
                file_name: file_name.into(),
            })),
        };
        let chunks = body.chunks(4096).map(|c| pb::ArtefactChunk {
            chunk: Some(pb::artefact_chunk::Chunk::Data(c.to_vec())),
        });
        let all: Vec<_> = std::iter::once(header).chain(chunks).collect();
        self.publisher()
            .await
            .publish_artefact(tokio_stream::iter(all))
            .await
            .map(|r| r.into_inner())
    }

    /// Waits (up to 10 s) until the stopped server's last tasks (a connection closing, a call
    /// cut off at the drain deadline) have let go of the node, so that its data directory is
    /// unlocked before it is opened again.
    async fn released(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while Arc::strong_count(&self.node) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Records in the node's own log.
    pub fn log_size(&self) -> u64 {
        self.node.log.size(self.node.log.own())
    }

    /// Stops the server gracefully and returns its result.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

/// A stopped node's data directory.
pub struct PausedNode {
    dir: tempfile::TempDir,
}

impl PausedNode {
    /// The node's data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Serves the node again.
    pub async fn resume(self) -> TestNode {
        TestNode::serve(self.dir, None).await
    }
}

/// Binds a fixed address, retrying briefly while a previous listener's socket lingers.
async fn bind_retrying(addr: SocketAddr) -> tokio::net::TcpListener {
    for _ in 0..100 {
        if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("couldn't bind {addr}");
}

/// Several nodes federated with each other: every founding member proposes the same version 1
/// (with the given threshold), and the cluster waits until all have it in effect.
pub struct TestCluster {
    /// The nodes, in the order of the ids given.
    pub nodes: Vec<TestNode>,
}

impl TestCluster {
    /// Starts one node per id and founds the federation.
    pub async fn cities(ids: &[&str], threshold: u32) -> TestCluster {
        Self::cities_with(ids, threshold, |t| t).await
    }

    /// [`Self::cities`] with `edit` applied to every node's `node.toml` (see
    /// [`TestNode::start_edited`]).
    pub async fn cities_with(
        ids: &[&str],
        threshold: u32,
        edit: impl Fn(String) -> String,
    ) -> TestCluster {
        let mut nodes = Vec::new();
        for id in ids {
            nodes.push(TestNode::start_edited(id, &edit).await);
        }
        let cards: Vec<pb::MemberCard> = nodes.iter().map(|n| n.node.card.clone()).collect();
        let manifest =
            metronode::federation::founding("test-federation", threshold, cards).expect("manifest");
        for n in &nodes {
            n.publisher()
                .await
                .propose_manifest(pb::ProposeManifestRequest { manifest: manifest.bytes.clone() })
                .await
                .expect("propose");
        }
        let cluster = TestCluster { nodes };
        cluster
            .wait_until("version 1 in effect everywhere", |c| {
                c.nodes
                    .iter()
                    .all(|n| n.node.membership().active().is_some_and(|a| a.body.version == 1))
            })
            .await;
        cluster
    }

    /// Waits (up to 20 s) until `cond` holds, panicking with `what` otherwise.
    pub async fn wait_until(&self, what: &str, cond: impl Fn(&TestCluster) -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while !cond(self) {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Records of `origin` held by node `i`.
    pub fn held(&self, i: usize, origin: &str) -> u64 {
        self.nodes[i].node.log.size(&origin.parse().expect("member id"))
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A minimal HTTP/1.1 GET: status, headers and body.
pub async fn http_get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!("GET {path} HTTP/1.1\r\nHost: metronode\r\n{auth}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    // Bodies may be chunked; de-chunk the simple way.
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, head.to_owned(), body)
}

/// The reliability report at the workspace root.
pub fn reliability_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").join("RELIABILITY.md")
}

/// Replaces the body of the section `## {section}` of RELIABILITY.md with `lines`.
pub fn reliability_note(section: &str, lines: &[String]) {
    reliability_edit(section, |_| lines.to_vec());
}

/// Puts `row` (a markdown table row starting `| {case} |`) into the table of section
/// `## {section}`, keeping the rows other tests wrote, in the order of `cases`: `head` (the
/// text and table header) comes first and `tail` after the rows. Tests of one section run in
/// parallel and each writes its own row.
pub fn reliability_row(
    section: &str,
    cases: &[&str],
    case: &str,
    row: String,
    head: &[&str],
    tail: &[&str],
) {
    let at = cases.iter().position(|c| *c == case).expect("a listed case");
    reliability_edit(section, |old| {
        let mut rows: std::collections::BTreeMap<usize, String> = old
            .into_iter()
            .filter_map(|l| {
                Some((cases.iter().position(|c| l.starts_with(&format!("| {c} |")))?, l))
            })
            .collect();
        rows.insert(at, row);
        let mut out: Vec<String> = head.iter().map(|l| (*l).to_owned()).collect();
        out.extend(rows.into_values());
        out.extend(tail.iter().map(|l| (*l).to_owned()));
        out
    });
}

/// Rewrites the section `## {section}` of RELIABILITY.md with what `edit` makes of its current
/// body lines (none for a new section, which goes at the end), keeping every other section, and
/// creates the file if it is missing.
///
/// Tests in every process may write at once: each takes an exclusive lock on the report's
/// directory (a lock on the file itself would not survive the rename), re-reads the file under
/// it, and replaces it atomically by writing a temporary file and renaming it over the report.
pub fn reliability_edit(section: &str, edit: impl FnOnce(Vec<String>) -> Vec<String>) {
    let path = reliability_path();
    let dir = path.parent().expect("a directory");
    let lock = std::fs::File::open(dir).expect("open the report's directory");
    lock.lock().expect("lock the report's directory");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => RELIABILITY_HEADER.to_owned(),
        Err(e) => panic!("couldn't read {}: {e}", path.display()),
    };
    let lines: Vec<&str> = text.lines().collect();
    let heading = format!("## {section}");
    let (start, end) = match lines.iter().position(|l| *l == heading) {
        Some(i) => {
            let next = lines[i + 1..].iter().position(|l| l.starts_with("## "));
            (i, next.map_or(lines.len(), |j| i + 1 + j))
        }
        None => (lines.len(), lines.len()),
    };
    let body: Vec<String> = if start < end {
        let body = &lines[start + 1..end];
        let first = body.iter().position(|l| !l.trim().is_empty()).unwrap_or(body.len());
        let last = body.iter().rposition(|l| !l.trim().is_empty()).map_or(first, |j| j + 1);
        body[first..last].iter().map(|l| l.to_string()).collect()
    } else {
        Vec::new()
    };
    let before = lines[..start].join("\n");
    let before = if before.trim().is_empty() { RELIABILITY_HEADER } else { before.trim_end() };
    let mut out = format!("{}\n\n{heading}\n\n", before.trim_end());
    for line in edit(body) {
        out.push_str(&line);
        out.push('\n');
    }
    if end < lines.len() {
        out.push('\n');
        out.push_str(&lines[end..].join("\n"));
        out.push('\n');
    }
    let tmp = dir.join(format!(".RELIABILITY.md.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp).expect("create the temporary report");
    file.write_all(out.as_bytes()).expect("write the temporary report");
    file.sync_all().expect("sync the temporary report");
    std::fs::rename(&tmp, &path).expect("replace the report");
    drop(lock);
}

/// The title and introduction of a new report, as the CLI tests' own `reliability_note` (which
/// takes the same directory lock) writes them.
const RELIABILITY_HEADER: &str = "# Reliability\n\nRegenerated by the test suite (`bash .ci/run`); \
    each section is written by the tests named in it.\n";

/// What pysdmx read from an SDMX-CSV text, as a line of JSON (`tests/sdmx/check_sdmx.py`, which fails the test
/// on any departure from the standard's layout). `None` without pysdmx, which CI installs
/// (`tests/sdmx/pysdmx.sh`, `METRONODE_PYSDMX`) and requires.
pub fn check_with_pysdmx(sdmx: &str) -> Option<String> {
    let Some(site) = std::env::var_os("METRONODE_PYSDMX") else {
        assert!(
            std::env::var_os("METRONODE_REQUIRE_PYSDMX").is_none(),
            "pysdmx is required but METRONODE_PYSDMX is not set"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.sdmx.csv");
    std::fs::write(&file, sdmx).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("sdmx/check_sdmx.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .env("PYTHONPATH", site)
        .output()
        .expect("python3");
    assert!(out.status.success(), "pysdmx refused it: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("UTF-8"))
}
