//! Two real nodes federated from the command line: cards, `federation create` on each, mTLS
//! replication, `federation show` and `peers`.

use std::{
    fs,
    time::{Duration, Instant},
};

use crate::harness::{Serving, publish, run};

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Creates a node directory for `id` with its federation listener on `port`, syncing often.
pub(crate) fn init_at(root: &std::path::Path, id: &str, port: u16) -> std::path::PathBuf {
    let dir = root.join(id.to_lowercase());
    let fed = format!("127.0.0.1:{port}");
    let out = run(&[
        "init",
        "--id",
        id,
        "--name",
        id,
        "--dir",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--federation-listen",
        &fed,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Sync often, so the test converges quickly.
    let config = dir.join("node.toml");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("sync_interval_ms = 5000", "sync_interval_ms = 200");
    fs::write(config, text).unwrap();
    dir
}

/// Runs the binary, requires success and returns its stdout.
pub(crate) fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Polls `cond` until it holds, failing after 30 seconds.
pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_cities_federate_from_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let a = init_at(root.path(), "BEBRU", free_port());
    let b = init_at(root.path(), "IEDUB", free_port());
    let card_a = root.path().join("bebru.card.toml");
    let card_b = root.path().join("iedub.card.toml");
    fs::write(&card_a, stdout(&["card", "--dir", a.to_str().unwrap()])).unwrap();
    fs::write(&card_b, stdout(&["card", "--dir", b.to_str().unwrap()])).unwrap();
    let node_a = Serving::start(&a);
    let node_b = Serving::start(&b);

    let created = stdout(&[
        "federation",
        "create",
        "--dir",
        a.to_str().unwrap(),
        "--federation-id",
        "pilots",
        "--threshold",
        "1",
        card_b.to_str().unwrap(),
    ]);
    assert!(created.starts_with("proposed version 1 of pilots: "), "{created}");
    let show = stdout(&["federation", "show", "--dir", a.to_str().unwrap()]);
    assert!(
        show.contains("no federation in effect yet") && show.contains("approved by 1 of 2 needed"),
        "{show}"
    );
    stdout(&[
        "federation",
        "create",
        "--dir",
        b.to_str().unwrap(),
        "--federation-id",
        "pilots",
        "--threshold",
        "1",
        card_a.to_str().unwrap(),
    ]);
    wait_for("version 1 on both", || {
        [&a, &b].iter().all(|d| {
            stdout(&["federation", "show", "--dir", d.to_str().unwrap()])
                .contains("federation pilots version 1")
        })
    });

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c =
            metronode::pb::publisher_client::PublisherClient::connect(node_b.url()).await.unwrap();
        publish(&mut c, "hello from Dublin").await.unwrap();
    });
    wait_for("Brussels holding Dublin's two records", || {
        let peers = stdout(&["peers", "--dir", a.to_str().unwrap()]);
        peers.lines().any(|l| {
            l.starts_with("IEDUB")
                && l.contains(" yes ")
                && l.split_whitespace().nth(6) == Some("2")
        })
    });
    let peers = stdout(&["peers", "--dir", a.to_str().unwrap()]);
    assert!(peers.lines().next().unwrap().starts_with("member"), "{peers}");
    assert!(peers.lines().any(|l| l.starts_with("BEBRU") && l.contains("self")), "{peers}");
    drop(node_a);
    drop(node_b);
}
