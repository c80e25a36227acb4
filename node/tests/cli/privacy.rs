//! Raw rows stay local: canary values planted in a microdata file never appear in a published
//! record, a reply, an error message or the node's log, whether the ingest succeeds or fails.

use std::fs;

use prost::Message;

use crate::harness::{Serving, all_records, bin, init};

const CANARIES: [&str; 4] = ["CANARYID7f31", "CANARYHH7f31", "CANARYAGE7f31", "CANARYW7f31"];

fn run_ingest(
    dir: &std::path::Path,
    file: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    bin()
        .args(["ingest", "--dir", dir.to_str().unwrap(), "--dataset", "survey", "--period", "2025"])
        .args(extra)
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn canary_values_never_leave_the_node() {
    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "BEBRU");
    let config = dir.join("node.toml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(
        &config,
        format!(
            "{text}\n[privacy.survey]\nper_release = \"0.5\"\nbudget = \"2\"\nweight_clip = 800\n"
        ),
    )
    .unwrap();

    let mut csv = Vec::new();
    metronode::synth::generate(&metronode::synth::BRUSSELS, "survey", 3000, 5, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    // Plant identifiers in the first data row.
    let first: Vec<&str> = lines[1].split(',').collect();
    let mut planted: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    planted[0] = CANARIES[0].into();
    planted[1] = CANARIES[1].into();
    lines[1] = planted.join(",");
    let good = root.path().join("good.csv");
    fs::write(&good, lines.join("\n") + "\n").unwrap();
    // A bad file: a canary where an age band belongs, another where a weight belongs.
    let mut bad_age = planted.clone();
    bad_age[6] = CANARIES[2].into();
    let mut bad_lines = lines.clone();
    bad_lines[2] = bad_age.join(",");
    let bad = root.path().join("bad.csv");
    fs::write(&bad, bad_lines.join("\n") + "\n").unwrap();
    let mut bad_weight = planted.clone();
    bad_weight[2] = CANARIES[3].into();
    let mut bad_lines = lines.clone();
    bad_lines[3] = bad_weight.join(",");
    let bad2 = root.path().join("bad2.csv");
    fs::write(&bad2, bad_lines.join("\n") + "\n").unwrap();

    let mut node = Serving::start_with_env(&dir, &[("RUST_LOG", "info,metronode=trace")]);
    let mut seen = Vec::<u8>::new();
    for (file, ok) in [(&good, true), (&bad, false), (&bad2, false)] {
        for extra in [&["--format", "json"][..], &["--dry-run"][..]] {
            let out = run_ingest(&dir, file, extra);
            assert_eq!(out.status.success(), ok, "{}", String::from_utf8_lossy(&out.stderr));
            seen.extend_from_slice(&out.stdout);
            seen.extend_from_slice(&out.stderr);
        }
    }
    let err = String::from_utf8_lossy(&run_ingest(&dir, &bad, &[]).stderr).into_owned();
    assert!(err.contains("bad.csv:3:7 (`age_band`): not one of the allowed values"), "{err}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let records = rt.block_on(all_records(&node.url(), "BEBRU"));
    assert_eq!(records.len(), 9, "one release per survey indicator");
    for r in &records {
        seen.extend_from_slice(&r.encode_to_vec());
    }
    let budget = bin().args(["budget", "--dir", dir.to_str().unwrap()]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&budget.stdout)
            .contains("survey 2025: spent 0.5 of 2 rho, 1.5 left")
    );
    seen.extend_from_slice(&budget.stdout);
    assert_eq!(node.signal_and_wait("TERM").code(), Some(0));
    let log = node.log();
    assert!(log.contains("published release"), "the node logged its work: {log}");
    seen.extend_from_slice(log.as_bytes());

    let seen = String::from_utf8_lossy(&seen);
    for canary in CANARIES {
        assert!(!seen.contains(canary), "{canary} escaped the node");
    }
    // Nor do the other raw identifiers of the file.
    assert!(!seen.contains("BEBRU-P17,"), "a raw person id escaped");
}
