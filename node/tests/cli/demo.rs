//! `metronode demo` as a user runs it: four cities converge, the dashboard answers with all four,
//! Ctrl-C stops everything with exit 0, and a second run reuses the data.

use std::{
    io::{BufRead, BufReader, Read, Write},
    process::Stdio,
    time::{Duration, Instant},
};

use crate::harness::bin;

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The demo process, killed if a test fails before it stops it.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_demo(dir: &std::path::Path, http: &str) -> (Demo, String, Vec<String>) {
    let mut child = Demo(
        bin()
            .args(["demo", "--dir", dir.to_str().unwrap(), "--rows", "600", "--http", http])
            // Every info line, so the log below has text to check for colour codes.
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            // Kept for the failure message: why the demo ended.
            .stderr(std::fs::File::create(dir.with_extension("stderr")).unwrap())
            .spawn()
            .unwrap(),
    );
    let why = || {
        let text = std::fs::read_to_string(dir.with_extension("stderr")).unwrap_or_default();
        text.lines().rev().take(15).collect::<Vec<_>>().join("\n")
    };
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.0.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "demo ended early: {lines:?}; its last log lines, latest first:\n{}",
            why()
        );
        lines.push(line.trim_end().to_owned());
        if let Some(url) = line.trim().strip_prefix("dashboard: http://") {
            let addr = url.trim_end_matches('/').to_owned();
            std::thread::spawn(move || for _ in reader.lines() {});
            return (child, addr, lines);
        }
        assert!(Instant::now() < deadline, "no dashboard address: {lines:?}");
    }
}

#[test]
fn the_demo_federates_four_cities_and_serves_the_dashboard() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let (mut demo, addr, lines) = run_demo(&dir, "127.0.0.1:0");
    assert!(lines.iter().any(|l| l.contains("replicated")), "{lines:?}");
    let page = http_get(&addr, "/?indicator=DRI-USE-01");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for city in ["Brussels", "Dublin", "Sofia", "Tirana"] {
        assert!(page.contains(city), "{city} missing from the dashboard");
    }
    assert!(page.contains("4 cities included"));
    // The map: every district of every pilot city, from the boundaries each published.
    // Documents are fetched after their records, so the last may still be on its way.
    let districts: usize = metronode::synth::PILOTS.iter().map(|c| c.districts.len()).sum();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(&addr, "/?indicator=DRI-USE-01").matches("<path d=").count() != districts {
        assert!(Instant::now() < deadline, "the map never showed every district");
        std::thread::sleep(Duration::from_millis(300));
    }
    let api = http_get(&addr, "/api/v1/query?indicator=DRI-INF-01&format=csv");
    assert!(api.contains("DRI-INF-01,2025,_T,metro,METRO,"), "{api}");
    let library = http_get(&addr, "/artefacts");
    for doc in ["Tirana Digital Rights Charter", "Sofia Open Data Policy"] {
        assert!(library.contains(doc), "{doc} missing from the artefact library");
    }
    // Sofia publishes its survey with differential privacy: each period's release spent its
    // share of the budget, and says how.
    let budget = bin().args(["budget", "--dir"]).arg(dir.join("bgsof")).output().unwrap();
    let said = String::from_utf8_lossy(&budget.stdout);
    assert!(budget.status.success(), "{said} {}", String::from_utf8_lossy(&budget.stderr));
    for period in ["2024", "2025"] {
        assert!(said.contains(&format!("survey {period}: spent 0.5 of 2")), "{said}");
    }
    // Its noise gives margins of error; the exact cities' values have none.
    let by_city = http_get(&addr, "/api/v1/query?indicator=DRI-USE-01&by=city");
    let margins = by_city.split("\"margin_of_error\":").skip(1);
    assert!(margins.filter(|rest| !rest.starts_with("null")).count() >= 1, "{by_city}");
    let pid = demo.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    assert_eq!(demo.0.wait().unwrap().code(), Some(0));
    // Its log, written to a file, is plain text: colour codes only on a terminal.
    let log = std::fs::read_to_string(dir.with_extension("stderr")).unwrap();
    assert!(log.contains("INFO"), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in a log written to a file");

    // A second run reuses the federation and the data, and converges again; the `--http` it is
    // given wins over the address the first run stored.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (demo, addr, lines) = run_demo(&dir, &free.to_string());
    assert!(!lines.iter().any(|l| l.contains("founded") || l.contains("ingested")), "{lines:?}");
    assert_eq!(addr, free.to_string(), "{lines:?}");
    assert!(http_get(&addr, "/healthz").contains("ok"));
    drop(demo);

    // A dashboard port that is taken is found before anything is written.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let fresh = root.path().join("fresh");
    let out = bin()
        .args(["demo", "--dir", fresh.to_str().unwrap(), "--http"])
        .arg(taken.local_addr().unwrap().to_string())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("couldn't listen on") && err.contains("--http"), "{err}");
    assert!(!fresh.exists(), "the demo wrote its directories before finding the port taken");
}
