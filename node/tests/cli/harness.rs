//! Runs the real binary in a temporary data directory and talks to it over gRPC.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use metronode::pb;

/// The binary under test.
pub(crate) fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_metronode"));
    cmd.env_remove("RUST_LOG")
        .env_remove("METRONODE_DIR")
        .env_remove("METRONODE_GRPC_LISTEN")
        .env_remove("METRONODE_FEDERATION_LISTEN")
        .env_remove("METRONODE_HTTP_LISTEN");
    cmd
}

/// Runs the binary to completion.
pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run metronode")
}

/// Creates a node directory for `id` listening on a free loopback port.
pub(crate) fn init(root: &Path, id: &str) -> PathBuf {
    let dir = root.join(id.to_lowercase());
    let out = run(&[
        "init",
        "--id",
        id,
        "--name",
        "Test City",
        "--dir",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--federation-listen",
        "127.0.0.1:0",
    ]);
    assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

/// A running `metronode serve`, killed when dropped.
pub(crate) struct Serving {
    pub(crate) child: Child,
    pub(crate) addr: String,
    pub(crate) stderr: PathBuf,
}

impl Serving {
    /// Starts `serve` and waits until it has written its bound address.
    pub(crate) fn start(dir: &Path) -> Serving {
        Self::start_with_env(dir, &[])
    }

    /// Starts `serve` with extra environment variables.
    pub(crate) fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> Serving {
        let addr_file = dir.join("grpc.addr");
        let _ = fs::remove_file(&addr_file);
        let stderr = dir.with_extension(format!("stderr.{}", rand_suffix()));
        let child = bin()
            .args(["serve", "--dir", dir.to_str().unwrap()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut serving = Serving { child, addr: String::new(), stderr };
        loop {
            if let Ok(addr) = fs::read_to_string(&addr_file)
                && !addr.is_empty()
            {
                serving.addr = addr;
                return serving;
            }
            if let Ok(Some(status)) = serving.child.try_wait() {
                panic!("serve exited with {status}: {}", serving.log());
            }
            assert!(Instant::now() < deadline, "serve did not start: {}", serving.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends a signal by name through kill(1) and waits for the exit status.
    pub(crate) fn signal_and_wait(&mut self, signal: &str) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success()
        );
        self.child.wait().unwrap()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> u64 {
    use std::time::SystemTime;
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// Publishes a notice and returns the acknowledged (seq, record hash).
pub(crate) async fn publish(
    client: &mut pb::publisher_client::PublisherClient<tonic::transport::Channel>,
    title: &str,
) -> Result<(u64, Vec<u8>), tonic::Status> {
    let reply = client
        .publish_notice(pb::PublishNoticeRequest {
            notice: Some(pb::Notice { title: title.into(), text: "body".into() }),
        })
        .await?
        .into_inner();
    Ok((reply.seq, reply.record_hash))
}

/// Every record of `origin`, paging through `GetRecords`.
pub(crate) async fn all_records(url: &str, origin: &str) -> Vec<pb::SignedRecord> {
    let mut client =
        pb::federation_client::FederationClient::connect(url.to_owned()).await.unwrap();
    let mut out = Vec::new();
    loop {
        let mut stream = client
            .get_records(pb::GetRecordsRequest {
                origin: origin.into(),
                from_seq: out.len() as u64,
                limit: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let before = out.len();
        while let Some(r) = stream.message().await.unwrap() {
            out.push(r);
        }
        if out.len() == before {
            return out;
        }
    }
}
