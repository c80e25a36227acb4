//! Test harness: real nodes, in process, on loopback ports, each in its own temporary directory.
//!
//! `TestNode::start("BEBRU")` initialises a data directory, opens the node and serves it with
//! `server::run` on `127.0.0.1:0`, exactly as `metronode serve` does after parsing its flags.

use std::{net::SocketAddr, path::Path, sync::Arc};

use metronode::{
    identity::MemberId,
    node::{self, Identity, Node},
    pb, server,
};
use tokio::{sync::oneshot, task::JoinHandle};

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
        let fed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let fed_addr = fed.local_addr().expect("addr");
        drop(fed);
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
        Self::serve(dir).await
    }

    /// Stops the node gracefully and serves the same data directory again.
    pub async fn restart(mut self) -> TestNode {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temp dir"));
        drop(self);
        Self::serve(dir).await
    }

    async fn serve(dir: tempfile::TempDir) -> TestNode {
        let node = Arc::new(Node::open(Identity::load(dir.path()).expect("load")).expect("open"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let fed = bind_retrying(node.config.federation.listen).await;
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
    /// Serves the node again.
    pub async fn resume(self) -> TestNode {
        TestNode::serve(self.dir).await
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
        let mut nodes = Vec::new();
        for id in ids {
            nodes.push(TestNode::start(id).await);
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
