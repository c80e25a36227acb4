//! Test harness: real nodes, in process, on loopback ports, each in its own temporary directory.
//!
//! `TestNode::start("BEBRU")` initialises a data directory, opens the node and serves it with
//! `server::run` on `127.0.0.1:0`, exactly as `metronode serve` does after parsing its flags.

use std::{net::SocketAddr, path::Path, sync::Arc};

use metronode::{
    identity::MemberId,
    node::{self, Identity, Node},
    server,
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
        metronode::test_util::install_test_trace_subscriber();
        let dir = tempfile::tempdir().expect("temp dir");
        let member: MemberId = id.parse().expect("member id");
        node::init_dir(dir.path(), &member, "Test City", "127.0.0.1:0".parse().unwrap(), None)
            .expect("init");
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
