//! The analyst's side over HTTP: the API in JSON, CSV and SDMX-CSV; probes and metrics; tokens
//! and the audit log; and the dashboard loaded in headless Chromium, with a screenshot kept in
//! `tests/artefacts/`.

use std::{path::Path, process::Command};

use metronode::synth;
use metronode_tests::{TestCluster, TestNode, http_get as get};

/// What pysdmx read, as JSON; `None` where it is not installed (never in CI).
fn check_with_pysdmx(sdmx: &str) -> Option<serde_json::Value> {
    metronode_tests::check_with_pysdmx(sdmx).map(|line| serde_json::from_str(&line).unwrap())
}

async fn federated_with_data() -> TestCluster {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB", "BGSOF"], 2).await;
    for (node, city) in cluster.nodes.iter().zip([synth::BRUSSELS, synth::DUBLIN, synth::SOFIA]) {
        let mut data = Vec::new();
        synth::generate(&city, "survey", 2500, 3, &mut data).unwrap();
        node.ingest("survey", "2025", false, data).await.unwrap();
    }
    cluster
        .wait_until("every city's releases everywhere", |c| {
            (0..3).all(|i| ["BEBRU", "IEDUB", "BGSOF"].iter().all(|o| c.held(i, o) == 10))
        })
        .await;
    cluster
}

#[tokio::test]
async fn the_api_answers_in_json_csv_and_sdmx_csv() {
    let cluster = federated_with_data().await;
    let addr = cluster.nodes[1].http_addr;
    let (status, _, body) = get(addr, "/api/v1/query?indicator=DRI-USE-01&by=age_band", None).await;
    assert_eq!(status, 200, "{body}");
    let a: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(a["period"], "2025");
    assert_eq!(a["coverage"]["included"].as_array().unwrap().len(), 3);
    assert_eq!(a["cities"].as_array().unwrap().len(), 3);
    let metro = &a["metro"];
    assert!(metro["published"].as_bool().unwrap());
    let (n, d) = (metro["numerator"].as_f64().unwrap(), metro["denominator"].as_f64().unwrap());
    let sum = |k: &str| {
        a["cities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["estimate"][k].as_f64().unwrap())
            .sum::<f64>()
    };
    assert_eq!((n, d), (sum("numerator"), sum("denominator")), "ratio of sums over the cities");
    assert!(a["groups"].as_array().unwrap().iter().any(|g| g["value"] == "75_plus"));
    assert!(a["gap"]["absolute"].as_f64().unwrap() > 0.1, "older residents are less connected");
    assert_eq!(a["cities"][0]["provenance"]["record_hash"].as_str().unwrap().len(), 64);

    let (status, head, csv) =
        get(addr, "/api/v1/query?indicator=DRI-USE-01&by=sex&format=csv", None).await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-type: text/csv"));
    assert!(head.contains("DRI-USE-01-2025-by-sex-_T.csv"), "the file name says what it holds");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "indicator,period,series,level,code,value,unit,margin_of_error_95,interval_low_95,interval_high_95,numerator,denominator,status,note"
    );
    // The value in the unit it names: 86.6 percent, not 0.866.
    let metro: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&metro[..5], ["DRI-USE-01", "2025", "_T", "metro", "METRO"]);
    let value: f64 = metro[5].parse().unwrap();
    assert!((value - a["metro"]["value"].as_f64().unwrap() * 100.0).abs() < 1e-3, "{value}");
    assert_eq!(metro[6], "percent");
    assert_eq!(lines.iter().filter(|l| l.contains(",city,")).count(), 3);
    assert_eq!(lines.iter().filter(|l| l.contains(",sex,")).count(), 2);

    // SDMX-CSV 2.0, by content negotiation as by format=, read back by an SDMX parser.
    let sdmx_type = "application/vnd.sdmx.data+csv;version=2.0.0";
    let line = "GET /api/v1/query?indicator=DRI-USE-01&by=age_band HTTP/1.1";
    let (status, head, sdmx) = raw(addr, line, &[("Accept", sdmx_type)], "").await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains(&format!("content-type: {sdmx_type}")), "{head}");
    let (_, _, by_param) =
        get(addr, "/api/v1/query?indicator=DRI-USE-01&by=age_band&format=sdmx-csv", None).await;
    assert_eq!(sdmx, by_param);
    let rows: Vec<Vec<&str>> = sdmx.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "STRUCTURE",
            "STRUCTURE_ID",
            "ACTION",
            "INDICATOR",
            "SERIES",
            "REF_AREA",
            "BREAKDOWN",
            "BREAKDOWN_CODE",
            "TIME_PERIOD",
            "OBS_VALUE",
            "UNIT_MEASURE",
            "UNIT_MULT",
            "OBS_STATUS",
            "CONF_STATUS",
            "MARGIN_OF_ERROR",
            "CONFIDENCE_LEVEL",
            "NUMERATOR",
            "DENOMINATOR"
        ]
    );
    assert!(rows[1..].iter().all(
        |r| r.len() == rows[0].len() && r[..3] == ["dataflow", "METRONODE:DF_DRI(1.0.0)", "I"]
    ));
    assert!(rows.iter().any(|r| r[5] == "BGSOF" && r[8] == "2025" && r[12] == "A" && r[13] == "F"));
    assert!(rows.iter().any(|r| r[6] == "AGE" && r[7] == "Y_GE75"), "Eurostat's age codes");
    let metro_value: f64 = rows[1][9].parse().unwrap();
    assert!((metro_value - a["metro"]["value"].as_f64().unwrap() * 100.0).abs() < 1e-3);
    assert_eq!((rows[1][10], rows[1][11]), ("PC", "0"), "OBS_VALUE in percent, no multiplier");
    if let Some(read) = check_with_pysdmx(&sdmx) {
        assert_eq!(read["id"], "DF_DRI", "{read}");
        assert_eq!(read["version"], "1.0.0", "{read}");
        assert_eq!(read["rows"].as_u64().unwrap() as usize, rows.len() - 1, "{read}");
        assert!(read["codes"].as_array().unwrap().iter().any(|c| c == "Y16-24"), "{read}");
    }
    // Withheld figures: confidential, no value.
    let (_, _, districts) = get(
        addr,
        "/api/v1/query?indicator=DRI-SKL-01&by=district_code&series=no_skills&format=sdmx-csv",
        None,
    )
    .await;
    let withheld = districts.lines().filter(|l| l.contains(",,PC,0,Q,C,")).count();
    assert!(withheld > 0, "{districts}");
    if let Some(read) = check_with_pysdmx(&districts) {
        assert_eq!(read["conf_status"], serde_json::json!(["C", "F"]), "{read}");
    }

    let (status, _, err) = get(addr, "/api/v1/query?indicator=DRI-USE-01&by=shoe_size", None).await;
    assert_eq!(status, 400);
    assert!(err.contains("unknown breakdown `shoe_size` for DRI-USE-01"), "{err}");
    let (status, _, list) = get(addr, "/api/v1/indicators", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&list).unwrap()["indicators"]
            .as_array()
            .unwrap()
            .len(),
        19
    );
    let (status, _, members) = get(addr, "/api/v1/members", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&members).unwrap()["members"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    assert_eq!(get(addr, "/healthz", None).await.0, 200);
    assert_eq!(get(addr, "/readyz", None).await.0, 200);
    let (_, _, metrics) = get(addr, "/metrics", None).await;
    assert!(metrics.contains("metronode_records_replicated_total"), "{metrics}");

    // Every query went to the audit log.
    let audit = std::fs::read_to_string(cluster.nodes[1].dir().join("audit.jsonl")).unwrap();
    assert!(audit.lines().count() >= 6);
    assert!(
        audit.contains("\"who\":\"loopback\"")
            && audit.contains("indicator=DRI-USE-01&period=&by=sex")
    );
}

#[tokio::test]
async fn tokens_guard_the_api_when_loopback_is_not_open() {
    let token = "s3cret-token-for-dublin";
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    };
    let node = TestNode::start_with("IEDUB", "").await;
    // Rewrite the [http] section: tokens required, even on loopback.
    let node = {
        let dir = node.dir().to_owned();
        let cfg = std::fs::read_to_string(dir.join("node.toml")).unwrap();
        let cfg = cfg.replace("open_on_loopback = true", "open_on_loopback = false");
        let cfg = cfg.replace(
            "[keys]",
            &format!("[[http.tokens]]\nname = \"analyst-dublin\"\nsha256 = \"{hash}\"\n\n[keys]"),
        );
        std::fs::write(dir.join("node.toml"), cfg).unwrap();
        node.restart().await
    };
    let addr = node.http_addr;
    assert_eq!(get(addr, "/api/v1/indicators", None).await.0, 401);
    assert_eq!(get(addr, "/api/v1/indicators", Some("wrong")).await.0, 401);
    assert_eq!(get(addr, "/api/v1/indicators", Some(token)).await.0, 200);
    let (status, head, _) = raw(addr, "GET /?indicator=DRI-USE-01 HTTP/1.1", &[], "").await;
    assert_eq!(status, 303, "a browser without a token is sent to sign in");
    assert!(head.contains("location: /sign-in?next=%2f%3findicator%3ddri-use-01"), "{head}");
    assert_eq!(get(addr, "/healthz", None).await.0, 200, "probes stay open");
    let audit = std::fs::read_to_string(node.dir().join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"who\":\"analyst-dublin\""));
    assert!(!audit.contains(token), "the token itself is never written");
    let cfg = std::fs::read_to_string(node.dir().join("node.toml")).unwrap();
    assert!(!cfg.contains(token));
}

/// One HTTP/1.1 request over a fresh connection: status, lowercased head and body.
async fn raw(
    addr: std::net::SocketAddr,
    line: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{line}\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// The value a `Set-Cookie` line of `head` (lowercased) gives cookie `name`.
fn set_cookie<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A node closed to loopback with one analyst token, added as `metronode token --name
/// analyst-tirana --dir DIR` adds it (a second token of that name refused); and the token.
async fn node_with_token() -> (TestNode, String) {
    use metronode::cli::query::{add_token, make_token};
    let node = TestNode::start_with("ALTIA", "").await;
    let (token, entry) = make_token("analyst-tirana");
    let dir = node.dir().to_owned();
    let cfg = std::fs::read_to_string(dir.join("node.toml")).unwrap();
    let cfg = cfg.replace("open_on_loopback = true", "open_on_loopback = false");
    std::fs::write(dir.join("node.toml"), cfg).unwrap();
    add_token(&dir, "analyst-tirana", &entry).unwrap();
    let again = add_token(&dir, "analyst-tirana", &make_token("analyst-tirana").1);
    assert!(again.unwrap_err().to_string().contains("already has a token named"));
    (node.restart().await, token)
}

#[tokio::test]
async fn a_browser_signs_in_once_with_a_token_and_out_again() {
    let (node, token) = node_with_token().await;
    let token = token.as_str();
    let addr = node.http_addr;
    // The sign-in page sets the CSRF cookie its form echoes.
    let (status, head, page) = raw(addr, "GET /sign-in?next=/artefacts HTTP/1.1", &[], "").await;
    assert_eq!(status, 200);
    let csrf = set_cookie(&head, "metronode_csrf").unwrap().to_owned();
    assert!(head.contains("httponly") && head.contains("samesite=strict"), "{head}");
    assert!(page.contains(&format!(r#"name="csrf" value="{csrf}""#)));
    assert!(page.contains(r#"name="next" value="/artefacts""#));
    assert!(page.contains(r#"<label for="token">"#), "the field has a label");
    let cookie = format!("metronode_csrf={csrf}");
    let form = |t: &str, c: &str| format!("token={t}&csrf={c}&next=%2Fartefacts");
    let post = "POST /sign-in HTTP/1.1";
    // A form from another site, or without the CSRF cookie's value, is refused.
    let (status, ..) = raw(addr, post, &[("Cookie", &cookie)], &form(token, &"0".repeat(64))).await;
    assert_eq!(status, 403);
    let evil = [("Cookie", cookie.as_str()), ("Origin", "http://evil.example")];
    let (status, ..) = raw(addr, post, &evil, &form(token, &csrf)).await;
    assert_eq!(status, 403);
    // A wrong token is refused and sets no session.
    let (status, head, page) = raw(addr, post, &[("Cookie", &cookie)], &form("guess", &csrf)).await;
    assert_eq!(status, 401);
    assert!(set_cookie(&head, "metronode_session").is_none());
    assert!(page.contains("not one this node knows"));
    // The right one: a session cookie, HttpOnly and SameSite=Strict, and back to the page asked for.
    let origin = format!("http://{addr}");
    let ok = [("Cookie", cookie.as_str()), ("Origin", origin.as_str())];
    let (status, head, _) = raw(addr, post, &ok, &form(token, &csrf)).await;
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("location: /artefacts"), "{head}");
    let line = head.lines().find(|l| l.starts_with("set-cookie: metronode_session=")).unwrap();
    for part in ["httponly", "samesite=strict", "max-age=28800", "path=/"] {
        assert!(line.contains(part), "{line}");
    }
    assert!(!line.contains("secure"), "plain HTTP: not Secure");
    let session = set_cookie(&head, "metronode_session").unwrap().to_owned();
    let both = format!("metronode_session={session}; {cookie}");
    let (status, _, page) = raw(addr, "GET /artefacts HTTP/1.1", &[("Cookie", &both)], "").await;
    assert_eq!(status, 200, "the session opens the pages");
    assert!(page.contains("Signed in as analyst-tirana · sign out"), "{page}");
    let (status, ..) = raw(addr, "GET /api/v1/indicators HTTP/1.1", &[("Cookie", &both)], "").await;
    assert_eq!(status, 200, "and the API the page's links use");
    let (status, ..) = raw(addr, "GET /api/v1/indicators HTTP/1.1", &[], "").await;
    assert_eq!(status, 401, "nothing without it");
    // Behind a TLS-terminating ingress the cookie is Secure.
    let tls = [("Cookie", cookie.as_str()), ("X-Forwarded-Proto", "https")];
    let (_, head, _) = raw(addr, post, &tls, &form(token, &csrf)).await;
    let line = head.lines().find(|l| l.starts_with("set-cookie: metronode_session=")).unwrap();
    assert!(line.contains("; secure"), "{line}");
    // Signing out needs the CSRF value too, then the session is gone.
    let out = "POST /sign-out HTTP/1.1";
    let (status, ..) = raw(addr, out, &[("Cookie", &both)], "csrf=").await;
    assert_eq!(status, 403);
    let (status, head, _) = raw(addr, out, &[("Cookie", &both)], &format!("csrf={csrf}")).await;
    assert_eq!(status, 303);
    assert!(
        head.contains(
            "set-cookie: metronode_session=; path=/; httponly; samesite=strict; max-age=0"
        )
    );
    let (status, ..) = raw(addr, "GET /api/v1/indicators HTTP/1.1", &[("Cookie", &both)], "").await;
    assert_eq!(status, 401, "a closed session opens nothing");
    // The audit log names the token, never holds it or a session id.
    let audit = std::fs::read_to_string(node.dir().join("audit.jsonl")).unwrap();
    assert!(audit.contains(r#""what":"/sign-in","who":"analyst-tirana""#), "{audit}");
    assert!(audit.contains(r#""what":"/artefacts","who":"analyst-tirana""#), "{audit}");
    assert!(audit.contains(r#""status":401,"what":"/sign-in","who":"sign-in from 127.0.0.1""#));
    assert!(audit.contains(r#""what":"/sign-out","who":"analyst-tirana""#), "{audit}");
    assert!(!audit.contains(token) && !audit.contains(&session));
}

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|c| {
        Command::new("which")
            .arg(c)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| c.to_string())
    })
}

#[tokio::test]
async fn the_dashboard_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        // .ci/run installs Chromium and sets METRONODE_REQUIRE_CHROMIUM, so CI never gets here.
        assert!(
            std::env::var_os("METRONODE_REQUIRE_CHROMIUM").is_none(),
            "Chromium is required but not installed"
        );
        return;
    };
    let cluster = federated_with_data().await;
    let url = format!("http://{}/?indicator=DRI-SKL-01&by=age_band", cluster.nodes[0].http_addr);
    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let shot = artefacts.join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let common = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ];
    let (url2, browser2, shot2) = (url.clone(), browser.clone(), shot.clone());
    let dom = tokio::task::spawn_blocking(move || {
        let dom =
            Command::new(&browser2).args(common).arg("--dump-dom").arg(&url2).output().unwrap();
        let shot = Command::new(&browser2)
            .args(common)
            .arg(format!("--screenshot={}", shot2.display()))
            .arg("--window-size=1280,2600")
            .arg(&url2)
            .output()
            .unwrap();
        assert!(shot.status.success(), "{}", String::from_utf8_lossy(&shot.stderr));
        String::from_utf8(dom.stdout).unwrap()
    })
    .await
    .unwrap();
    assert!(dom.contains("At least basic overall digital skills"), "indicator title rendered");
    let headline = dom.split("id=\"headline\">").nth(1).unwrap().split('<').next().unwrap();
    assert!(headline.contains('%'), "headline value: {headline}");
    for city in ["BEBRU", "IEDUB", "BGSOF"] {
        assert!(dom.contains(&format!("<td>{city} ")), "{city} row missing");
    }
    assert!(dom.contains("<svg role=\"img\""), "charts are SVG");
    for bad in ["internal error", "Error", "panicked", "no city publishes", "unknown indicator"] {
        assert!(!dom.contains(bad), "the page shows `{bad}`");
    }
    let png = std::fs::read(&shot).unwrap();
    assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG"), "a real screenshot");

    // Every language, on a desktop and on a phone: screenshots kept beside the first, and the
    // Bulgarian page on a phone read back from the browser.
    let base = url.clone();
    let dom = tokio::task::spawn_blocking(move || {
        for lang in metronode::i18n::LANGS {
            for width in [1400, 390] {
                let shot = artefacts.join(format!("dashboard-{}-{width}.png", lang.code()));
                let _ = std::fs::remove_file(&shot);
                let out = Command::new(&browser)
                    .args(common)
                    .arg(format!("--screenshot={}", shot.display()))
                    .arg(format!("--window-size={width},2600"))
                    .arg(format!("{base}&lang={}", lang.code()))
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                let png = std::fs::read(&shot).unwrap();
                assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG"), "{}", shot.display());
            }
        }
        let dom = Command::new(&browser)
            .args(common)
            .arg("--window-size=390,2600")
            .arg("--dump-dom")
            .arg(format!("{base}&lang=bg"))
            .output()
            .unwrap();
        String::from_utf8(dom.stdout).unwrap()
    })
    .await
    .unwrap();
    assert!(dom.contains(r#"<html lang="bg">"#), "the Bulgarian page");
    let bg = metronode::i18n::Lang::Bg;
    assert!(
        dom.contains(&bg.indicator_name("DRI-SKL-01", "")) && dom.contains(&bg.t("trend", &[]))
    );
}

/// Answers are cached, but a new release or a member falling silent shows at once.
#[tokio::test]
async fn cached_answers_follow_new_releases_and_silent_members() {
    let cluster = federated_with_data().await;
    let addr = cluster.nodes[0].http_addr;
    let path = "/api/v1/query?indicator=DRI-USE-01";
    let (_, _, first) = get(addr, path, None).await;
    let (_, _, again) = get(addr, path, None).await;
    assert_eq!(first, again, "the same question with nothing changed gets the same answer");
    assert!(first.contains("\"period\":\"2025\""), "{first}");

    let mut data = Vec::new();
    synth::generate(&synth::BRUSSELS, "survey", 2500, 4, &mut data).unwrap();
    cluster.nodes[0].ingest("survey", "2026", false, data).await.unwrap();
    // A new release is seen at once; as one city's alone, 2026 is offered, not the default.
    let (_, _, after) = get(addr, path, None).await;
    let a: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(a["period"], "2025", "{after}");
    let partial = a["period_coverage"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        partial,
        serde_json::json!({"period": "2026", "cities": ["BEBRU"], "comparable": false})
    );
    let trend = a["trend"].as_array().unwrap();
    assert_eq!(trend.last().unwrap()["same_coverage"], false, "{after}");
    let (_, _, page) = get(addr, "/?indicator=DRI-USE-01", None).await;
    assert!(
        page.contains("2026 is published so far by BEBRU only, not comparable with 2025"),
        "{page}"
    );
    assert!(page.contains("2026 (partial: BEBRU)"), "{page}");
    assert!(page.contains("class=\"dot-other\""), "the 2026 point drawn apart");
    // Asked for, it is answered; the others have not published it yet, which is not stale.
    let (_, _, body) = get(addr, "/api/v1/query?indicator=DRI-USE-01&period=2026", None).await;
    let a: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(a["coverage"]["included"], serde_json::json!(["BEBRU"]));
    let not_yet = a["coverage"]["not_yet_published"].as_array().unwrap();
    assert_eq!(not_yet.len(), 2, "{body}");
    assert!(not_yet.iter().all(|n| n["latest"] == "2025"), "{body}");
    assert!(a["coverage"]["stale"].as_array().unwrap().is_empty(), "{body}");
    let mut analytics =
        metronode::pb::analytics_client::AnalyticsClient::connect(cluster.nodes[0].url())
            .await
            .unwrap();
    let reply = analytics
        .query_indicator(metronode::pb::QueryRequest {
            indicator_id: "DRI-USE-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.period, "2025");
    assert!(reply.period_coverage.iter().any(|p| p.period == "2026" && !p.comparable));

    // Sofia stops; with a short stale limit Brussels reports it without a new release.
    let TestCluster { mut nodes } = cluster;
    let sofia = nodes.pop().unwrap();
    sofia.stop().await.unwrap();
    let path = "/api/v1/query?indicator=DRI-USE-01&period=2025";
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, _, body) = get(addr, path, None).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let stale = v["coverage"]["stale"].as_array().unwrap();
        if stale.iter().any(|s| s["city"] == "BGSOF") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "Sofia never reported stale: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The dashboard and `/artefacts` in the language a browser asks for, or the one chosen by link,
/// which keeps the view; numbers written as the language writes them; machine translations
/// said to be so; the error page too.
#[tokio::test]
async fn the_dashboard_speaks_the_language_asked_for() {
    use metronode::i18n::Lang;
    let cluster = federated_with_data().await;
    let addr = cluster.nodes[0].http_addr;
    let page = |path: &str, accept: &'static str| {
        let line = format!("GET {path} HTTP/1.1");
        async move { raw(addr, &line, &[("Accept-Language", accept)], "").await }
    };

    let (status, head, body) = page("/?indicator=DRI-USE-01", "bg-BG,bg;q=0.9,en;q=0.8").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-language: bg") && head.contains("vary: accept-language"));
    assert!(body.contains(r#"<html lang="bg">"#));
    for text in [
        Lang::Bg.t("title", &[]),
        Lang::Bg.t("gap", &[]),
        Lang::Bg.indicator_name("DRI-USE-01", ""),
        Lang::Bg.dimension("age_band"),
    ] {
        assert!(body.contains(&text), "Bulgarian page lacks {text}");
    }
    assert!(!body.contains("Mind the gap") && !body.contains("Cities side by side"));
    assert!(body.contains(r#"id="machine-translation""#), "a machine translation says so");

    // Chosen by link over the browser's language; the view is kept, in the links and the form.
    let (status, head, body) =
        page("/?indicator=DRI-SKL-02&by=age_band&lang=fr", "bg-BG,bg;q=0.9").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-language: fr") && body.contains(r#"<html lang="fr">"#));
    let series = Lang::Fr.series("DRI-SKL-02", "copy_move_files");
    let heading = body.split(r#"id="indicator-heading">"#).nth(1).unwrap();
    assert!(
        heading.starts_with(&format!("{}: {series}", Lang::Fr.indicator_name("DRI-SKL-02", "")))
    );
    assert!(body.contains(r#"href="/?indicator=DRI-SKL-02&amp;by=age_band&amp;lang=nl""#));
    assert!(body.contains(r#"<input type="hidden" name="lang" value="fr">"#));
    let groups = body.split(r#"id="groups">"#).nth(1).unwrap_or_default().split("</table>").next();
    let (young, age) = (Lang::Fr.value("age_band", "16_24"), Lang::Fr.dimension("age_band"));
    assert!(groups.is_some_and(|g| g.contains(&format!("<td>{young}</td>"))), "{groups:?}");
    assert!(groups.is_some_and(|g| g.contains(&format!(r#"<th scope="col">{age}</th>"#))));
    let headline = body.split(r#"id="headline">"#).nth(1).unwrap().split('<').next().unwrap();
    assert!(headline.contains(",") && headline.contains("\u{202f}%"), "French number: {headline}");

    // Its CSV link asks for French column names; the rows keep their codes.
    let link = body.split(r#"<a href=""#).find(|l| l.contains("format=csv&amp;lang=fr")).unwrap();
    let link = link.split('"').next().unwrap().replace("&amp;", "&");
    let (status, _, csv) = metronode_tests::http_get(addr, &link, None).await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("indicateur,période,série,niveau,code,valeur,"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("DRI-SKL-02,"), "{csv}");

    let (_, head, body) = page("/?indicator=DRI-SKL-02", "en-GB,en;q=0.9").await;
    assert!(head.contains("content-language: en") && body.contains("Mind the gap"));
    assert!(!body.contains(r#"id="machine-translation""#));
    let headline = body.split(r#"id="headline">"#).nth(1).unwrap().split('<').next().unwrap();
    assert!(headline.contains('.') && !headline.contains(','), "English number: {headline}");

    let (status, _, body) = page("/artefacts", "sq-AL,sq;q=0.9").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"<html lang="sq">"#) && body.contains(&Lang::Sq.t("policy-matrix", &[]))
    );

    // The sign-in page speaks the language of the page it leads back to.
    let (status, head, body) = page("/sign-in?next=%2F%3Flang%3Dbg", "en").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-language: bg") && body.contains(r#"<html lang="bg">"#));
    assert!(body.contains(&Lang::Bg.t("sign-in-heading", &[])), "{body}");

    let (status, _, body) = page("/?indicator=DRI-NOPE-01&lang=ga", "en").await;
    assert_eq!(status, 400);
    assert!(
        body.contains(r#"<html lang="ga">"#) && body.contains(&Lang::Ga.t("not-answered", &[]))
    );
    assert!(body.contains(&Lang::Ga.t("choose-indicator", &[])), "{body}");
}

/// The PyPI site with axe-selenium-python and Selenium (`METRONODE_AXE`, set by `.ci/run`,
/// which also sets `METRONODE_REQUIRE_AXE`, so CI never skips).
fn selenium_site() -> Option<std::ffi::OsString> {
    let site = std::env::var_os("METRONODE_AXE");
    assert!(
        site.is_some() || std::env::var_os("METRONODE_REQUIRE_AXE").is_none(),
        "axe-core and Selenium are required but METRONODE_AXE is not set"
    );
    site
}

/// axe-core (Deque's accessibility engine, from PyPI's axe-selenium-python) in headless
/// Chromium finds no violation on the dashboard with its district map, a breakdown and
/// `/artefacts`, in English and Bulgarian, on a desktop and on a phone.
#[tokio::test]
async fn axe_core_finds_no_accessibility_violation() {
    let Some(site) = selenium_site() else { return };
    let cluster = federated_with_data().await;
    publish_boundaries(&cluster, 0).await;
    let base = format!("http://{}", cluster.nodes[0].http_addr);
    let mut pages = Vec::new();
    for lang in ["en", "bg"] {
        for path in ["/?", "/?indicator=DRI-SKL-01&by=age_band&", "/artefacts?"] {
            for width in [1400, 390] {
                pages.push(format!("{base}{path}lang={lang}@{width}"));
            }
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/axe_check.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg(script).arg(site).args(&pages).output().unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(report.lines().count(), 12, "{report}{}", String::from_utf8_lossy(&out.stderr));
    for line in report.lines() {
        let page: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(page["passes"].as_u64().unwrap_or(0) > 10, "axe ran its rules: {line}");
        assert_eq!(page["violations"], serde_json::json!([]), "{line}");
    }
    assert!(out.status.success(), "{report}");
}

const BOUNDARIES_META: &str = r#"
description = "Generated district boundaries"
language = ["en"]
issued = "2025-03-01"
status = "in_force"
license = "CC-BY-4.0"
contact_email = "gis@city.example"
rights_areas = ["public_goods_open_infrastructure"]
cc4dr_principles = ["access_and_literacy"]
"#;

/// Publishes district boundaries at `node`, as `metronode publish --type district-boundaries`.
async fn publish_districts(
    node: &TestNode,
    body: &str,
) -> Result<metronode::pb::PublishReply, tonic::Status> {
    let meta = BOUNDARIES_META;
    node.publish_artefact("district-boundaries", "Districts", meta, "d.geojson", body.as_bytes())
        .await
}

/// Every city of `federated_with_data` publishes its generated district boundaries; returns the
/// dashboard of node `at` once its map holds every district.
async fn publish_boundaries(cluster: &TestCluster, at: usize) -> String {
    let cities = [synth::BRUSSELS, synth::DUBLIN, synth::SOFIA];
    for (node, city) in cluster.nodes.iter().zip(cities) {
        publish_districts(node, &synth::boundaries(&city)).await.unwrap();
    }
    let all: usize = cities.iter().map(|c| c.districts.len()).sum();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let path = "/?indicator=DRI-USE-01&by=age_band";
        let (status, _, body) = get(cluster.nodes[at].http_addr, path, None).await;
        assert_eq!(status, 200);
        if body.matches("<path d=").count() == all {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "the map never held every district");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// Each city publishes its district boundaries (GeoJSON, checked on publish: a bad file is
/// refused naming the feature and the place in it, a district its releases do not name too);
/// they replicate like every artefact, and the dashboard draws one indicator over every
/// district of every city, with names, classes, withheld districts and a table.
#[tokio::test]
async fn a_map_shows_every_district_of_every_city() {
    use metronode::i18n::Lang;
    let cluster = federated_with_data().await;
    let cities = [synth::BRUSSELS, synth::DUBLIN, synth::SOFIA];

    // Refused on publish, each naming where: an open ring, a district of another city, a
    // district the city's releases never named.
    let node = &cluster.nodes[0];
    let good = synth::boundaries(&synth::BRUSSELS);
    let mut doc: serde_json::Value = serde_json::from_str(&good).unwrap();
    doc["features"][0]["geometry"]["coordinates"][0].as_array_mut().unwrap().pop();
    let open_ring = doc.to_string();
    let refusals = [
        (open_ring, "district boundaries: features[0] (BEBRU-21001).geometry.coordinates[0]"),
        (good.replacen("BEBRU-21001", "IEDUB-01", 1), "`IEDUB-01` is not a district code of BEBRU"),
        (
            good.replacen("BEBRU-21001", "BEBRU-99999", 1),
            "BEBRU-99999 is not a district of BEBRU's releases",
        ),
    ];
    for (body, expected) in refusals {
        let e = publish_districts(node, &body).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        assert!(e.message().contains(expected), "{}\nexpected {expected}", e.message());
    }

    let addr = cluster.nodes[2].http_addr;
    let body = publish_boundaries(&cluster, 2).await;
    let map =
        body.split(r#"<section id="map">"#).nth(1).unwrap().split("</section>").next().unwrap();
    for city in cities {
        for (code, name, _) in city.districts {
            let code = format!("{}-{code}", city.id);
            assert!(map.contains(&format!(r#"data-code="{code}""#)), "{code} not drawn");
            assert!(
                map.contains(&format!(
                    "<td>{code}</td><td>{}</td>",
                    metronode::http::dashboard::esc(name)
                )),
                "{code} not in the table"
            );
        }
    }
    assert_eq!(map.matches("<svg role=\"img\"").count(), 3, "one panel per city");
    assert!(
        map.contains(r#"<ul class="legend">"#) && map.contains("#08519c"),
        "a legend and the darkest class"
    );
    // Districts by name in the breakdown too.
    let (_, _, body) = get(addr, "/?indicator=DRI-USE-01&by=district_code", None).await;
    let groups = body.split(r#"id="groups">"#).nth(1).unwrap().split("</table>").next().unwrap();
    assert!(groups.contains("<td>Anderlecht (BEBRU-21001)</td>"), "{groups}");
    // And in another language.
    let (_, _, body) = get(addr, "/?indicator=DRI-USE-01&lang=bg", None).await;
    assert!(body.contains(&format!("<h2>{}</h2>", Lang::Bg.t("map", &[]))));
}

/// In a real browser (headless Chromium driven by Selenium, from the same PyPI site as
/// axe-core): sent to sign in, signed in with a token and back at the view asked for, the
/// language link keeps the view, the form keeps the language and names the series, and after
/// signing out the dashboard asks for sign-in again.
#[tokio::test]
async fn an_analyst_signs_in_switches_language_and_signs_out_in_a_real_browser() {
    let Some(site) = selenium_site() else { return };
    let (node, token) = node_with_token().await;
    let base = format!("http://{}", node.http_addr);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/browser_flows.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(site)
            .arg(base)
            .arg(token.as_str())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let steps: Vec<serde_json::Value> =
        report.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(steps.len(), 6, "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(steps.iter().all(|s| s["ok"] == true), "{report}");
    assert!(out.status.success(), "{report}");
}
