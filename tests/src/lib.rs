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
        metronode::test_util::install_test_trace_subscriber();
        let dir = tempfile::tempdir().expect("temp dir");
        let member: MemberId = id.parse().expect("member id");
        node::init_dir(dir.path(), &member, "Test City", "127.0.0.1:0".parse().unwrap(), None)
            .expect("init");
        let config = dir.path().join("node.toml");
        let text = std::fs::read_to_string(&config).expect("read config");
        std::fs::write(&config, format!("{text}\n{extra}")).expect("write config");
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
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::run(node.clone(), listener, async move {
            let _ = stopped.await;
        }));
        TestNode { node, addr, stop: Some(stop), task: Some(task), _dir: dir }
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

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
