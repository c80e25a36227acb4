//! The public transparency interface in the C2SP formats, checked by verifiers the project did
//! not write: Go's `golang.org/x/mod/sumdb/note` and `sumdb/tlog` (`tests/c2sp/verify.go`)
//! verify a member's log as another member serves it (checkpoint signed by the origin, every
//! hash tile, every entry, inclusion and consistency), and refuse it under another key.

use std::process::Command;

use metronode::checkpoint;
use metronode_tests::{TestCluster, http_get as get};

/// A GET over plain HTTP/1.1 whose body is bytes: status and body.
async fn get_bytes(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let end = reply.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let status = String::from_utf8_lossy(&reply[9..12]).parse().unwrap();
    (status, reply[end..].to_vec())
}

/// Runs the Go verifier off the async runtime (the nodes it reads serve on it); `None` without
/// Go (CI installs golang-go and Debian's golang-golang-x-mod-dev, and requires them). Gives
/// its JSON, or its error text.
async fn go_verify(args: &[String]) -> Option<Result<serde_json::Value, String>> {
    go_verify_cosigned(args, "").await
}

/// As `go_verify`, also requiring a valid cosignature by each of `cosigners` (C2SP cosigner
/// keys, comma-separated).
async fn go_verify_cosigned(
    args: &[String],
    cosigners: &str,
) -> Option<Result<serde_json::Value, String>> {
    let (args, cosigners) = (args.to_vec(), cosigners.to_owned());
    tokio::task::spawn_blocking(move || go_verify_blocking(&args, &cosigners)).await.unwrap()
}

fn go_verify_blocking(
    args: &[String],
    cosigners: &str,
) -> Option<Result<serde_json::Value, String>> {
    let go = Command::new("go").arg("version").output();
    if go.is_err() {
        assert!(
            std::env::var_os("METRONODE_REQUIRE_GO").is_none(),
            "Go is required but not installed"
        );
        return None;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("c2sp/verify.go");
    let out = Command::new("go")
        .arg("run")
        .arg(script)
        .args(args)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("COSIGNERS", cosigners)
        .output()
        .expect("go run");
    Some(if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_log_as_another_member_serves_it_verifies_with_gos_tlog_and_note() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 2).await;
    let (brussels, dublin) = (&cluster.nodes[0], &cluster.nodes[1]);
    for i in 0..150 {
        brussels.notice(&format!("notice {i}")).await;
    }
    // An earlier checkpoint, as an auditor would have kept it.
    let (status, head, old) = get(brussels.http_addr, "/log/BEBRU/checkpoint", None).await;
    assert_eq!(status, 200, "{old}");
    assert!(head.to_ascii_lowercase().contains("cache-control: no-cache"), "{head}");
    let lines: Vec<&str> = old.lines().collect();
    assert_eq!(lines[0], "metronode.invalid/BEBRU");
    assert!(lines[4].starts_with("\u{2014} metronode.invalid/BEBRU "), "{old}");
    let (old_size, old_root) = (lines[1].to_owned(), lines[2].to_owned());
    for i in 150..300 {
        brussels.notice(&format!("notice {i}")).await;
    }
    let size = brussels.log_size();
    assert!(size > 256, "a full tile and a partial one");
    cluster
        .wait_until("Dublin holds Brussels' log and its latest head", |c| {
            c.nodes[1].node.log.tree_head(&"BEBRU".parse().unwrap()).is_ok_and(|h| h.size == size)
        })
        .await;

    // The verifier key comes from Brussels' card (what every member approved).
    let key =
        metronode::identity::NodeId::from_bytes(&brussels.node.card.signing_public_key).unwrap();
    let vkey = checkpoint::verifier_key(&"BEBRU".parse().unwrap(), &key);
    let (_, _, served) = get(dublin.http_addr, "/log/BEBRU/vkey", None).await;
    assert_eq!(served.trim(), vkey);
    let (_, head, _) = get(dublin.http_addr, "/log/BEBRU/tile/0/000", None).await;
    assert!(head.contains("immutable"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-length: 8192"), "a full tile of 256 leaf hashes: {head}");
    let (status, _, _) = get(dublin.http_addr, "/log/BEBRU/tile/0/x999/000", None).await;
    assert_eq!(status, 404);
    let (status, _, _) = get(dublin.http_addr, "/log/BEBRU/tile/0/0001", None).await;
    assert_eq!(status, 400);

    // Every entry's own signature, beside its bundle, verifies under Brussels' key; one entry
    // can be read alone (a record too long for an entry bundle).
    let (status, bundle) = get_bytes(dublin.http_addr, "/log/BEBRU/tile/entries/000").await;
    assert_eq!(status, 200);
    let (status, sigs) = get_bytes(dublin.http_addr, "/log/BEBRU/signatures/000").await;
    assert_eq!((status, sigs.len()), (200, 256 * 64));
    let mut rest = bundle.as_slice();
    let mut entries = Vec::new();
    while rest.len() >= 2 {
        let l = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        entries.push(rest[2..2 + l].to_vec());
        rest = &rest[2 + l..];
    }
    assert_eq!(entries.len(), 256);
    for (i, (entry, sig)) in entries.iter().zip(sigs.chunks(64)).enumerate() {
        key.verify(metronode::identity::Domain::Record, entry, sig)
            .unwrap_or_else(|e| panic!("entry {i}: {e}"));
    }
    assert_eq!(get_bytes(dublin.http_addr, "/log/BEBRU/entry/5").await, (200, entries[5].clone()));
    let partial = format!("/log/BEBRU/signatures/001.p/{}", size - 256);
    let (status, sigs) = get_bytes(dublin.http_addr, &partial).await;
    assert_eq!((status, sigs.len() as u64), (200, (size - 256) * 64));
    assert_eq!(get_bytes(dublin.http_addr, "/log/BEBRU/signatures/002").await.0, 404);
    assert_eq!(get_bytes(dublin.http_addr, &format!("/log/BEBRU/entry/{size}")).await.0, 404);
    assert_eq!(get_bytes(dublin.http_addr, "/log/BEBRU/entry/x").await.0, 400);

    // Dublin witnessed that very checkpoint: its C2SP cosignature is on the note it serves.
    let dublin_key =
        metronode::identity::NodeId::from_bytes(&dublin.node.card.signing_public_key).unwrap();
    let iedub = "IEDUB".parse().unwrap();
    let cosigner = checkpoint::cosigner_key(&iedub, &dublin_key);
    let line = "\u{2014} metronode.invalid/IEDUB ";
    let mut note = String::new();
    for _ in 0..100 {
        note = get(dublin.http_addr, "/log/BEBRU/checkpoint", None).await.2;
        if note.contains(line) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(note.contains(line) && note.lines().nth(1) == Some(&*size.to_string()), "{note}");
    let (_, _, list) = get(dublin.http_addr, "/log/", None).await;
    assert!(list.contains(&cosigner), "the cosigner key is listed: {list}");

    let url = format!("http://{}/log/BEBRU", dublin.http_addr);
    let args = [url.clone(), vkey.clone(), old_size.clone(), old_root];
    let Some(result) = go_verify_cosigned(&args, &cosigner).await else {
        return;
    };
    let v = result.unwrap_or_else(|e| panic!("Go refused the log: {e}"));
    assert_eq!(v["cosigned_by"], serde_json::json!(["metronode.invalid/IEDUB"]), "{v}");
    // A cosigner key that is not Dublin's finds no cosignature.
    let impostor = checkpoint::cosigner_key(&iedub, &key);
    let refused = go_verify_cosigned(&[url.clone(), vkey], &impostor).await.unwrap();
    assert!(refused.unwrap_err().contains("no valid cosignature"));
    assert_eq!(v["size"].as_u64(), Some(size), "{v}");
    assert_eq!(v["entries"].as_u64(), Some(size), "{v}");
    assert_eq!(v["signatures_verified"].as_u64(), Some(size), "{v}");
    assert_eq!(v["consistent_with"].as_u64(), old_size.parse().ok(), "{v}");

    // Under another member's key, or against a root it never had, it is refused.
    let wrong = checkpoint::verifier_key(&"BEBRU".parse().unwrap(), &dublin_key);
    let refused = go_verify(&[url.clone(), wrong]).await.unwrap();
    assert!(refused.is_err(), "{refused:?}");
    let forged = go_verify(&[
        url,
        checkpoint::verifier_key(&"BEBRU".parse().unwrap(), &key),
        old_size,
        "A".repeat(43) + "=",
    ])
    .await
    .unwrap();
    assert!(forged.unwrap_err().contains("not consistent"));
}
