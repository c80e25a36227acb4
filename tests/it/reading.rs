//! Numbers people can trust, over HTTP and gRPC on real nodes: every catalogue indicator's gap
//! read by its polarity (best and worst, ties, neutral), a share near 100% under differential
//! privacy kept in its valid range, and questions that cannot be answered told apart (400 for
//! what the catalogue lacks, with a did-you-mean; 404 for what nobody has published).

use metronode::{
    catalogue::{Catalogue, Polarity},
    pb, synth,
};
use metronode_tests::{TestCluster, TestNode, http_get as get};
use serde_json::Value;

fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_indicators_gap_is_read_by_its_polarity_over_http_and_grpc() {
    let ids = ["BEBRU", "IEDUB"];
    let cluster = TestCluster::cities(&ids, 2).await;
    for (node, city) in cluster.nodes.iter().zip([synth::BRUSSELS, synth::DUBLIN]) {
        for dataset in synth::DATASETS {
            let mut data = Vec::new();
            synth::generate(&city, dataset, 1500, 5, &mut data).unwrap();
            node.ingest(dataset, "2025", false, data).await.unwrap();
        }
    }
    cluster
        .wait_until("both logs on both nodes", |c| {
            ids.iter().all(|o| c.held(0, o) == c.held(1, o) && c.held(0, o) > 0)
        })
        .await;
    let addr = cluster.nodes[0].http_addr;
    let mut analytics =
        pb::analytics_client::AnalyticsClient::connect(cluster.nodes[0].url()).await.unwrap();
    let catalogue = Catalogue::builtin();
    let mut ranked = 0;
    for indicator in &catalogue.indicators {
        let by = indicator.disaggregations.first().map_or("city", String::as_str);
        for by in ["city", by] {
            let path = format!("/api/v1/query?indicator={}&by={by}", indicator.id);
            let (status, _, body) = get(addr, &path, None).await;
            assert_eq!(status, 200, "{path}: {body}");
            let a: Value = serde_json::from_str(&body).unwrap();
            let Some(gap) = a.get("gap").filter(|g| !g.is_null()) else { continue };
            let polarity = indicator.polarity_of(a["series"].as_str().unwrap());
            let what = format!("{path}: {gap}");
            assert_eq!(gap["polarity"], polarity.as_str(), "{what}");
            let (best, worst) = (names(&gap["best"]), names(&gap["worst"]));
            let (highest, lowest) = (names(&gap["highest"]), names(&gap["lowest"]));
            let statement = gap["statement"].as_str().unwrap();
            match polarity {
                _ if best.is_empty() => {
                    assert!(worst.is_empty(), "{what}");
                    assert!(!statement.contains("Best"), "{what}");
                }
                Polarity::HigherIsBetter => assert_eq!((&best, &worst), (&highest, &lowest)),
                Polarity::LowerIsBetter => assert_eq!((&best, &worst), (&lowest, &highest)),
                Polarity::Neutral => panic!("a neutral indicator ranked: {what}"),
            }
            if !best.is_empty() {
                ranked += 1;
                let served = if indicator.about_people() { " served" } else { "" };
                assert!(statement.starts_with(&format!("Best{served}: ")), "{what}");
            }
            if indicator.unit != "percent" {
                assert!(!statement.contains("points"), "{what}");
            }
            // gRPC gives the same reading.
            let reply = analytics
                .query_indicator(pb::QueryRequest {
                    indicator_id: indicator.id.clone(),
                    by: by.into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            let g = reply.gap.unwrap();
            assert_eq!(
                (g.statement.as_str(), &g.best, &g.polarity),
                (statement, &best, &polarity.as_str().to_owned())
            );
        }
    }
    assert!(ranked >= 10, "most indicators name a best and a worst: {ranked}");

    // The reported inversions: never used the internet is best low.
    let (_, _, body) = get(addr, "/api/v1/query?indicator=DRI-USE-02&by=age_band", None).await;
    let a: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(names(&a["gap"]["best"]), names(&a["gap"]["lowest"]), "{body}");
    assert!(names(&a["gap"]["worst"]).contains(&"75_plus".to_owned()), "{body}");
}

#[tokio::test]
async fn a_noisy_share_near_100_percent_stays_within_0_and_100_everywhere() {
    let config = "[privacy.survey]\nmechanism = \"discrete_gaussian\"\nper_release = \"0.5\"\nbudget = \"2\"\nweight_clip = 600\n";
    let node = TestNode::start_with("BEBRU", config).await;
    // Everyone owns a mobile phone: the true share of DRI-USE-03 is 100% in every group.
    let mut data = Vec::new();
    synth::generate(&synth::BRUSSELS, "survey", 400, 11, &mut data).unwrap();
    let text = String::from_utf8(data).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|c| *c == "mobile_phone_own").unwrap();
    let rows: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut f: Vec<&str> = line.split(',').collect();
            if i > 0 {
                f[col] = "1";
            }
            f.join(",")
        })
        .collect();
    node.ingest("survey", "2025", false, (rows.join("\n") + "\n").into_bytes()).await.unwrap();

    let mut clipped = 0;
    for by in ["city", "age_band", "sex", "income_quintile", "district_code"] {
        let path = format!("/api/v1/query?indicator=DRI-USE-03&by={by}");
        let (status, _, body) = get(node.http_addr, &path, None).await;
        assert_eq!(status, 200, "{body}");
        let a: Value = serde_json::from_str(&body).unwrap();
        let estimates = std::iter::once(&a["metro"])
            .chain(a["cities"].as_array().unwrap().iter().map(|c| &c["estimate"]))
            .chain(a["groups"].as_array().unwrap().iter().map(|g| &g["estimate"]))
            .chain(a["trend"].as_array().unwrap().iter().map(|t| &t["estimate"]));
        for e in estimates.filter(|e| e["published"] == true) {
            let v = e["value"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{path}: {e}");
            let interval = e["interval"].as_array().unwrap();
            let (lo, hi) = (interval[0].as_f64().unwrap(), interval[1].as_f64().unwrap());
            assert!(0.0 <= lo && lo <= v && v <= hi && hi <= 1.0, "{path}: {e}");
            assert_eq!(e["confidence_level"], 0.95, "{e}");
            // The published sums stay as published: the clip is post-processing only.
            let raw = e["numerator"].as_f64().unwrap() / e["denominator"].as_f64().unwrap();
            assert_eq!(e["clipped"] == true, !(0.0..=1.0).contains(&raw), "{e}");
            clipped += usize::from(e["clipped"] == true);
        }
        // The CSV export shows the same clipped values, in percent: none above 100.
        let (_, _, csv) = get(node.http_addr, &format!("{path}&format=csv"), None).await;
        for line in csv.lines().skip(1) {
            let value = line.split(',').nth(5).unwrap();
            if let Ok(v) = value.parse::<f64>() {
                assert!((0.0..=100.0).contains(&v), "{line}");
            }
        }
    }
    assert!(clipped > 0, "noise around a true 100% pushes some ratios past it");
    let (_, _, page) = get(node.http_addr, "/?indicator=DRI-USE-03&by=age_band", None).await;
    assert!(
        page.contains("moved into its valid range (0 to 100% for a share"),
        "the method says so"
    );

    // SDMX-CSV: estimates under noise, with their 95% margins, read back by pysdmx (which
    // also refuses a percentage outside 0 to 100).
    let path = "/api/v1/query?indicator=DRI-USE-03&by=age_band&format=sdmx-csv";
    let (_, _, sdmx) = get(node.http_addr, path, None).await;
    assert!(
        sdmx.lines().skip(1).all(|l| l.contains(",PC,0,E,F,") || l.contains(",PC,0,Q,C,")),
        "{sdmx}"
    );
    if let Some(line) = metronode_tests::check_with_pysdmx(&sdmx) {
        let read: Value = serde_json::from_str(&line).unwrap();
        assert!(read["obs_status"].as_array().unwrap().contains(&"E".into()), "{read}");
    }

    // gRPC: the same values and intervals, the clip stated.
    let mut analytics = pb::analytics_client::AnalyticsClient::connect(node.url()).await.unwrap();
    let reply = analytics
        .query_indicator(pb::QueryRequest {
            indicator_id: "DRI-USE-03".into(),
            by: "age_band".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    for g in &reply.groups {
        let e = g.estimate.as_ref().unwrap();
        if e.published {
            assert!(e.value <= 1.0 && e.interval_high.unwrap() <= 1.0, "{e:?}");
        }
    }
}

#[tokio::test]
async fn unknown_ids_are_400_with_the_choices_and_unpublished_periods_are_404() {
    let node = TestNode::start("IEDUB").await;
    let mut data = Vec::new();
    synth::generate(&synth::DUBLIN, "survey", 800, 3, &mut data).unwrap();
    node.ingest("survey", "2025", false, data).await.unwrap();
    let addr = node.http_addr;
    let json = |body: &str| serde_json::from_str::<Value>(body).unwrap();

    // Ids without regard to case.
    let (status, _, body) = get(addr, "/api/v1/query?indicator=dri-use-01&by=AGE_BAND", None).await;
    assert_eq!(status, 200, "{body}");
    let a = json(&body);
    assert_eq!((a["indicator"].as_str(), a["by"].as_str()), (Some("DRI-USE-01"), Some("age_band")));

    // A near miss: 400, the suggestion and every choice; never another indicator's answer.
    let (status, _, body) = get(addr, "/api/v1/query?indicator=DRI-USE-0l", None).await;
    assert_eq!(status, 400, "{body}");
    let e = json(&body);
    assert_eq!(e["did_you_mean"], "DRI-USE-01");
    assert_eq!(e["choices"].as_array().unwrap().len(), 19);
    let (status, _, page) = get(addr, "/?indicator=DRI-USE-0l", None).await;
    assert_eq!(status, 400);
    assert!(page.contains("did you mean `DRI-USE-01`?"), "{page}");
    assert!(page.contains(r#"<a href="/?indicator=DRI-USE-01">DRI-USE-01 "#), "{page}");
    assert!(!page.contains(r#"id="headline""#), "no answer to another question");
    for (path, what) in [
        ("/api/v1/query?indicator=DRI-USE-01&by=shoe_size", "unknown breakdown `shoe_size`"),
        (
            "/api/v1/query?indicator=DRI-SKL-02&series=copy_move_file",
            "did you mean `copy_move_files`?",
        ),
    ] {
        let (status, _, body) = get(addr, path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(json(&body)["error"].as_str().unwrap().contains(what), "{body}");
    }
    let (status, _, page) = get(addr, "/?indicator=DRI-USE-01&by=shoe_size", None).await;
    assert_eq!(status, 400);
    assert!(page.contains(r#"<a href="/?indicator=DRI-USE-01&amp;by=age_band">"#), "{page}");

    // A period nobody published: 404, not "withheld", with the periods there are.
    let (status, _, body) = get(addr, "/api/v1/query?indicator=DRI-USE-01&period=2031", None).await;
    assert_eq!(status, 404, "{body}");
    let e = json(&body);
    assert_eq!(
        e["error"],
        "no city has published DRI-USE-01 for 2031 yet; periods with releases: 2025"
    );
    assert_eq!(e["periods"], serde_json::json!(["2025"]));
    let (status, _, page) = get(addr, "/?indicator=DRI-USE-01&period=2031", None).await;
    assert_eq!(status, 404);
    assert!(
        page.contains(r#"<a href="/?indicator=DRI-USE-01&amp;period=2025">2025</a>"#),
        "{page}"
    );
    let (status, _, body) = get(addr, "/api/v1/query?indicator=DRI-ACC-01", None).await;
    assert_eq!(
        (status, json(&body)["error"].as_str()),
        (404, Some("no city has published DRI-ACC-01 yet"))
    );

    // gRPC: the same words, as InvalidArgument and NotFound.
    let mut analytics = pb::analytics_client::AnalyticsClient::connect(node.url()).await.unwrap();
    let ask = |indicator: &str, period: &str| pb::QueryRequest {
        indicator_id: indicator.into(),
        period: period.into(),
        ..Default::default()
    };
    let e = analytics.query_indicator(ask("DRI-USE-0l", "")).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(e.message().contains("did you mean `DRI-USE-01`?"), "{e:?}");
    let e = analytics.query_indicator(ask("DRI-USE-01", "2031")).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    assert!(e.message().starts_with("no city has published DRI-USE-01 for 2031 yet"), "{e:?}");
}

#[tokio::test]
async fn a_member_caught_forking_its_log_is_left_out_of_metropolitan_values_and_named() {
    use crate::scripted::{federation, notice};
    use metronode::{merkle, release};

    let (cluster, evil) = federation("XXFRK").await;
    for (node, city) in cluster.nodes.iter().zip([synth::BRUSSELS, synth::DUBLIN]) {
        let mut data = Vec::new();
        synth::generate(&city, "survey", 1500, 7, &mut data).unwrap();
        node.ingest("survey", "2025", false, data).await.unwrap();
    }
    // The member about to lie publishes real releases first.
    let city = synth::City { id: "XXFRK", name: "Forking City", ..synth::TIRANA };
    let mut data = Vec::new();
    synth::generate(&city, "survey", 1500, 7, &mut data).unwrap();
    let req = release::IngestRequest {
        dataset: "survey".into(),
        period: "2025".into(),
        file_name: "survey.csv".into(),
        dry_run: false,
    }
    .check(&evil.node.catalogue)
    .unwrap();
    release::publish(&evil.node, &evil.node.catalogue, &req, data.as_slice()).unwrap();
    let n = evil.size();
    cluster
        .wait_until("every log on both honest nodes", |c| {
            c.nodes.iter().all(|x| {
                x.node.log.size(evil.id()) == n
                    && ["BEBRU", "IEDUB"].iter().all(|o| c.held(0, o) == c.held(1, o))
            })
        })
        .await;
    let addr = cluster.nodes[0].http_addr;
    let path = "/api/v1/query?indicator=DRI-USE-01";
    let (_, _, body) = get(addr, path, None).await;
    let before: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(before["coverage"]["included"].as_array().unwrap().len(), 3, "{body}");

    // It forks: another signed record at its last position, and a next one linking to it.
    let other = evil.seal(evil.id(), n - 1, evil.hash(n - 2), notice("the other story"));
    let next = evil.seal(evil.id(), n, merkle::leaf_hash(&other.body), notice("and it goes on"));
    {
        let mut script = evil.script();
        script.origins.insert(evil.id().to_string(), (n + 1, vec![5; 32]));
        script.records.insert(evil.id().to_string(), vec![other, next]);
    }
    cluster
        .wait_until("both honest nodes hold the evidence", |c| {
            c.nodes.iter().all(|x| x.node.log.flags(evil.id()) == ["equivocation", "fork"])
        })
        .await;
    evil.truth();

    // Out of every value, and named with the evidence, over HTTP and gRPC.
    let (_, _, body) = get(addr, path, None).await;
    let a: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(names(&a["coverage"]["included"]), ["BEBRU", "IEDUB"], "{body}");
    assert!(a["cities"].as_array().unwrap().iter().all(|c| c["city"] != "XXFRK"), "{body}");
    let flagged = &a["coverage"]["flagged"][0];
    assert_eq!(flagged["city"], "XXFRK");
    assert_eq!(names(&flagged["evidence"]), ["equivocation", "fork"]);
    assert_eq!(flagged["included"], false);
    let honest: f64 = before["cities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["city"] != "XXFRK")
        .map(|c| c["estimate"]["numerator"].as_f64().unwrap())
        .sum();
    assert_eq!(a["metro"]["numerator"].as_f64().unwrap(), honest);
    let (_, _, page) = get(addr, "/?indicator=DRI-USE-01", None).await;
    assert!(
        page.contains(
            "XXFRK: left out of every value: its log holds evidence of equivocation, fork"
        ),
        "{page}"
    );
    let mut analytics =
        pb::analytics_client::AnalyticsClient::connect(cluster.nodes[1].url()).await.unwrap();
    let reply = analytics
        .query_indicator(pb::QueryRequest {
            indicator_id: "DRI-USE-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let coverage = reply.coverage.unwrap();
    assert_eq!(coverage.included, ["BEBRU", "IEDUB"]);
    assert_eq!(coverage.flagged[0].city, "XXFRK");
    assert!(!coverage.flagged[0].included);
}
