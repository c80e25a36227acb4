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
    records_from(&mut client, origin, 0).await
}

/// The records of `origin` from `from` on, paging through `GetRecords`.
pub(crate) async fn records_from(
    client: &mut pb::federation_client::FederationClient<tonic::transport::Channel>,
    origin: &str,
    from: u64,
) -> Vec<pb::SignedRecord> {
    let mut out = Vec::new();
    loop {
        let mut stream = client
            .get_records(pb::GetRecordsRequest {
                origin: origin.into(),
                from_seq: from + out.len() as u64,
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

/// A plain HTTP/1.1 GET to the node's HTTP port, with an optional bearer token: the status and
/// the body (the node answers with a length, not chunks, for what the tests fetch).
pub(crate) fn http_get(addr: &str, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr.trim()).expect("connect to the HTTP port");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: metronode\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP reply");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, buf[split + 4..].to_vec())
}

const RELIABILITY_TITLE: &str = "# Reliability";
const RELIABILITY_INTRO: &str = "Regenerated by the test suite (`bash .ci/run`); each section is \
                                 written by the tests named in it.";

/// Rewrites the `## {section}` of RELIABILITY.md at the repository root with `lines`, keeping
/// every other section, and creates the file with its title when it is missing. The write goes
/// through a temporary file and a rename, under a lock on the repository directory, so
/// concurrent writers of different sections never lose each other's work.
pub(crate) fn reliability_note(section: &str, lines: &[String]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root");
    let lock = fs::File::open(root).expect("open the repository directory");
    lock.lock().expect("lock the repository directory");
    let path = root.join("RELIABILITY.md");
    let old = fs::read_to_string(&path).unwrap_or_default();
    let tmp = root.join(format!(".RELIABILITY.md.{}.tmp", std::process::id()));
    fs::write(&tmp, replace_section(&old, section, lines)).expect("write RELIABILITY.md");
    fs::rename(&tmp, &path).expect("rename RELIABILITY.md into place");
}

/// The text of RELIABILITY.md with one section replaced (or appended).
fn replace_section(old: &str, section: &str, lines: &[String]) -> String {
    let heading = format!("## {section}");
    let mut body = format!("{heading}\n\n");
    for line in lines {
        body.push_str(line);
        body.push('\n');
    }
    // Split the old text into its preamble and its sections, each starting at a `## ` line.
    let mut parts: Vec<String> = vec![String::new()];
    for line in old.lines() {
        if line.starts_with("## ") {
            parts.push(String::new());
        }
        let part = parts.last_mut().expect("at least the preamble");
        part.push_str(line);
        part.push('\n');
    }
    if !parts[0].starts_with(RELIABILITY_TITLE) {
        parts[0] = format!("{RELIABILITY_TITLE}\n\n{RELIABILITY_INTRO}\n");
    }
    match parts.iter().position(|p| p.lines().next() == Some(heading.as_str())) {
        Some(i) => parts[i] = body,
        None => parts.push(body),
    }
    let parts: Vec<&str> = parts.iter().map(|p| p.trim_end()).collect();
    parts.join("\n\n") + "\n"
}

#[test]
fn reliability_sections_are_replaced_in_place() {
    let lines = |s: &str| vec![s.to_owned()];
    let fresh = replace_section("", "Crashes", &lines("none lost"));
    assert!(fresh.starts_with("# Reliability\n\nRegenerated by the test suite"), "{fresh}");
    assert!(fresh.ends_with("\n\n## Crashes\n\nnone lost\n"), "{fresh}");
    let two = replace_section(&fresh, "Secrets", &lines("no leak"));
    let again = replace_section(&two, "Crashes", &lines("still none lost"));
    assert_eq!(again, two.replace("none lost", "still none lost"));
    assert!(again.find("## Crashes").unwrap() < again.find("## Secrets").unwrap());
}
