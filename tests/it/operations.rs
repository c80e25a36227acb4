//! What an operator's Prometheus and Grafana read: `/metrics` in OpenMetrics with its content
//! type, every refusal reason counted from zero, each node's own gauges (peers, logs, budget,
//! disk, build) and latency histograms; the Grafana dashboard and the alert rules in `deploy/`
//! name only metrics the node exports, and promtool accepts the rules.

use std::{collections::BTreeSet, path::Path, process::Command};

use metronode::synth;
use metronode_tests::{TestCluster, http_get as get};

/// The metric names an exposition defines, with the suffixes their samples carry.
fn exported(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let mut parts = line.split(' ');
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else { continue };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            "info" => &["_info"],
            _ => &[""],
        };
        names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
    }
    names
}

/// Every `metronode_*` name a text mentions.
fn mentioned(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("metronode_") {
        let tail = &rest[i..];
        let end =
            tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        out.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    out
}

#[tokio::test]
async fn metrics_dashboard_and_alert_rules_agree_with_what_each_node_exports() {
    let dp = "\n[privacy.survey]\nmechanism = \"discrete_gaussian\"\nper_release = \"0.5\"\nbudget = \"2\"\nweight_clip = 600\n";
    let cluster = TestCluster::cities_with(&["BEBRU", "IEDUB"], 2, |t| format!("{t}{dp}")).await;
    let mut data = Vec::new();
    synth::generate(&synth::BRUSSELS, "survey", 600, 5, &mut data).unwrap();
    cluster.nodes[0].ingest("survey", "2025", false, data).await.unwrap();
    let addr = cluster.nodes[0].http_addr;
    let _ = get(addr, "/api/v1/query?indicator=DRI-USE-01", None).await;
    cluster
        .wait_until("Dublin synced with Brussels", |c| c.held(1, "BEBRU") == c.held(0, "BEBRU"))
        .await;

    let (status, head, text) = get(addr, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    assert!(text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1, "one exposition");
    for line in [
        "metronode_peer_refused_total{reason=\"no_certificate\"}",
        "metronode_peer_refused_total{reason=\"expired\"}",
        "metronode_build_info{version=\"",
        "metronode_peer_reachable{peer=\"IEDUB\"}",
        "metronode_peer_lag_records{peer=\"IEDUB\"}",
        "metronode_log_records{origin=\"BEBRU\"}",
        "metronode_privacy_budget{dataset=\"survey\",period=\"2025\"} 2.0",
        "metronode_privacy_budget_left{dataset=\"survey\",period=\"2025\"} 1.5",
        "metronode_disk_free_bytes ",
        "metronode_ingest_duration_seconds_count ",
        "metronode_query_duration_seconds_bucket{le=",
        "metronode_records_replicated_total ",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(text.contains("member=\"BEBRU\"} 1"), "build_info names the node");
    // Each node's gauges are its own.
    let (_, _, dublin) = get(cluster.nodes[1].http_addr, "/metrics", None).await;
    assert!(
        dublin.contains("member=\"IEDUB\"} 1")
            && dublin.contains("metronode_peer_reachable{peer=\"BEBRU\"}")
    );

    let names = exported(&text);
    for line in [
        "metronode_records_rejected_total{peer=\"IEDUB\",reason=\"signature\"} 0",
        "metronode_tree_heads_refused_total{peer=\"IEDUB\",reason=\"rolled_back\"} 0",
        "metronode_sync_failures_total{peer=\"IEDUB\",code=\"unavailable\"} 0",
        "metronode_clock_skew_records_total{origin=\"IEDUB\",kind=\"ahead\"} 0",
    ] {
        assert!(text.contains(line), "counted from zero for every member: {line}");
    }
    assert!(
        text.contains("metronode_equivocation_evidence_total{origin=\"IEDUB\",kind=\"fork\"} 0"),
        "evidence counted from zero for every member"
    );
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let dashboard =
        std::fs::read_to_string(deploy.join("grafana/metronode-federation.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    let exprs: Vec<&str> = json["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["expr"].as_str().unwrap())
        .collect();
    assert!(exprs.len() >= 10);
    let rules_path = deploy.join("prometheus/metronode-alerts.yml");
    let rules = std::fs::read_to_string(&rules_path).unwrap();
    for (what, used) in
        [("dashboard", mentioned(&exprs.join("\n"))), ("alert rules", mentioned(&rules))]
    {
        let unknown: Vec<&String> = used.difference(&names).collect();
        assert!(unknown.is_empty(), "the {what} use metrics the node does not export: {unknown:?}");
    }
    match Command::new("promtool").arg("check").arg("rules").arg(&rules_path).output() {
        Ok(out) => assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout)),
        Err(_) => assert!(
            std::env::var_os("METRONODE_REQUIRE_PROMTOOL").is_none(),
            "promtool is required but not installed"
        ),
    }
}
