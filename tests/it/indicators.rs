//! Indicator releases end to end over gRPC: ingest, signed releases a reader verifies, dry runs,
//! failed ingests that publish and spend nothing, and the privacy budget across restarts.

use metronode::{identity::MemberId, log, pb, synth};
use metronode_tests::TestNode;
use prost::Message;

fn synthetic(city: &synth::City, dataset: &str, rows: u64) -> Vec<u8> {
    let mut out = Vec::new();
    synth::generate(city, dataset, rows, 11, &mut out).unwrap();
    out
}

const DP: &str = r#"
[privacy.survey]
mechanism = "discrete_gaussian"
per_release = "0.5"
budget = "1"
weight_clip = 600
"#;

#[tokio::test]
async fn an_ingest_publishes_one_signed_release_per_indicator() {
    let node = TestNode::start("BEBRU").await;
    let reply = node
        .ingest("household", "2025", false, synthetic(&synth::BRUSSELS, "household", 3000))
        .await
        .unwrap();
    let ids: Vec<&str> = reply.releases.iter().map(|r| r.indicator_id.as_str()).collect();
    assert_eq!(ids, ["DRI-ACC-01", "DRI-ACC-02", "DRI-ACC-03", "DRI-ACC-04"]);
    assert_eq!(reply.seqs, [0, 1, 2, 3]);
    assert!(!reply.dry_run);

    // A reader fetches the records, verifies them, and finds exactly the releases replied.
    let mut fed = pb::federation_client::FederationClient::connect(node.url()).await.unwrap();
    let mut stream = fed
        .get_records(pb::GetRecordsRequest { origin: "BEBRU".into(), from_seq: 0, limit: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut envs = Vec::new();
    while let Some(r) = stream.message().await.unwrap() {
        envs.push(r.encode_to_vec());
    }
    let origin: MemberId = "BEBRU".parse().unwrap();
    let key = node.node.log.node_id();
    log::verify_chain(
        envs.iter().cloned().enumerate().map(|(i, e)| Ok((i as u64, e))),
        &origin,
        &key,
    )
    .unwrap();
    for (env, release) in envs.iter().zip(&reply.releases) {
        let rec = metronode::record::open(env, &origin, &key).unwrap();
        match rec.payload {
            Some(pb::record_body::Payload::IndicatorRelease(r)) => assert_eq!(&r, release),
            other => panic!("unexpected payload {other:?}"),
        }
    }
    let acc01 = &reply.releases[0];
    assert_eq!(
        (acc01.period.as_str(), acc01.unit.as_str(), acc01.aggregation.as_str()),
        ("2025", "percent", "ratio_of_sums")
    );
    assert_eq!(acc01.catalogue_version, "2025.1");
    assert_eq!(acc01.input_sha256.len(), 32);
    let method = acc01.method.as_ref().unwrap();
    assert!(method.sdc_method.starts_with("sdc-v3") && method.noise.is_none());
    // A household file shows few combinations of answers: its set was audited at atom level.
    assert!(method.sdc_method.ends_with(metronode::anonymise::AUDIT_ATOM_LEVEL), "{method:?}");
    let total = &acc01.cells[0];
    assert_eq!((total.dimension.as_str(), total.status), ("", pb::CellStatus::Published as i32));
    let share = total.numerator as f64 / total.denominator as f64;
    assert!((0.85..0.99).contains(&share), "Brussels household access {share}");
    node.stop().await.unwrap();
}

#[tokio::test]
async fn a_dry_run_shows_without_publishing_or_spending() {
    let node = TestNode::start_with("IEDUB", DP).await;
    let reply = node
        .ingest("survey", "2025", true, synthetic(&synth::DUBLIN, "survey", 2000))
        .await
        .unwrap();
    assert!(reply.dry_run && reply.seqs.is_empty());
    assert_eq!(reply.releases.len(), 9);
    let noise = reply.releases[0].method.as_ref().unwrap().noise.as_ref().unwrap();
    assert_eq!(
        (noise.mechanism.as_str(), noise.budget_spent.as_str(), noise.budget_unit.as_str()),
        ("discrete_gaussian", "0.5", "rho")
    );
    assert!(noise.noise_sd > 0.0 && noise.measurements > 100);
    // Under noise too the suppression pattern was audited, and the release says against what:
    // 2,000 survey rows show too many combinations of answers for the atom level.
    let method = &reply.releases[0].method.as_ref().unwrap().sdc_method;
    assert!(method.ends_with(metronode::anonymise::AUDIT_PREDICATE_LEVEL), "{method}");
    let budget = reply.budget.unwrap();
    assert_eq!((budget.spent.as_str(), budget.remaining.as_str()), ("0", "1"));
    assert_eq!(node.log_size(), 0);
    node.stop().await.unwrap();
}

#[tokio::test]
async fn the_budget_refuses_overspending_and_survives_a_restart() {
    let node = TestNode::start_with("BGSOF", DP).await;
    let data = synthetic(&synth::SOFIA, "survey", 1500);
    for spent in ["0.5", "1"] {
        let reply = node.ingest("survey", "2025", false, data.clone()).await.unwrap();
        assert_eq!(reply.budget.unwrap().spent, spent);
    }
    let size = node.log_size();
    let err = node.ingest("survey", "2025", false, data.clone()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(
        err.message().contains("privacy budget exceeded for survey 2025: spent 1 of 1 rho"),
        "{}",
        err.message()
    );
    assert_eq!(node.log_size(), size, "nothing published");
    // Another period has its own budget.
    node.ingest("survey", "2026", false, data.clone()).await.unwrap();
    let size = node.log_size();

    let node = node.restart().await;
    assert_eq!(node.log_size(), size);
    let err = node.ingest("survey", "2025", true, data.clone()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "the ledger survived the restart");
    let mut client = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
    let ledger = client.get_budget(pb::GetBudgetRequest {}).await.unwrap().into_inner().entries;
    let got: Vec<(String, String, String)> =
        ledger.into_iter().map(|e| (e.period, e.spent, e.remaining)).collect();
    assert_eq!(
        got,
        [("2025".into(), "1".into(), "0".into()), ("2026".into(), "0.5".into(), "0.5".into())]
    );
    node.stop().await.unwrap();
}

#[tokio::test]
async fn a_failed_ingest_publishes_nothing_and_spends_nothing() {
    let node = TestNode::start_with("ALTIA", DP).await;
    let mut data = synthetic(&synth::TIRANA, "survey", 500);
    // Break the last line: truncated mid-row.
    data.truncate(data.len() - 40);
    let err = node.ingest("survey", "2025", false, data).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    // The line, and the first column the truncation took away.
    let m = err.message();
    assert!(m.starts_with("survey.csv:501:") && m.contains("this column is missing"), "{m}");
    assert!(m.contains("expected 26 fields"), "{m}");

    let err = node.ingest("survey", "2025", false, b"ind_id,hh_id\n".to_vec()).await.unwrap_err();
    assert!(err.message().contains("missing column"), "{}", err.message());
    let err = node.ingest("tweets", "2025", false, b"a\n".to_vec()).await.unwrap_err();
    assert!(err.message().contains("unknown dataset `tweets`"));
    let err = node.ingest("survey", "last year", false, b"a\n".to_vec()).await.unwrap_err();
    assert!(err.message().contains("period must be a year"));
    let header_only = b"dataset_id,published_open,theme\n".to_vec();
    let err = node.ingest("open_data_inventory", "2025", false, header_only).await.unwrap_err();
    assert!(err.message().contains("no data rows"));

    assert_eq!(node.log_size(), 0);
    let mut client = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
    assert!(
        client.get_budget(pb::GetBudgetRequest {}).await.unwrap().into_inner().entries.is_empty()
    );
    node.stop().await.unwrap();
}
