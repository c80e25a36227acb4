//! `metronode demo`: the embedded default. Four pilot cities (Brussels, Dublin, Sofia, Tirana)
//! as four real nodes in this process, each with its own data directory, federated over mutual
//! TLS on loopback, with seeded synthetic microdata ingested for two periods; prints the
//! dashboard address and runs until Ctrl-C.

use std::{io::Write, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    clock, federation,
    identity::MemberId,
    node::{self, Identity, Node},
    pb,
    release::{self, IngestRequest},
    server, shutdown,
    shutdown::Stopper,
    synth,
};

pub mod city;

/// Periods the demo publishes, oldest first, so the dashboard has a trend.
pub const PERIODS: [&str; 2] = ["2024", "2025"];

/// Runs the demo federation until SIGINT or SIGTERM.
pub fn run(dir: &Path, rows: u64, http: Option<SocketAddr>, seed: u64) -> anyhow::Result<()> {
    crate::telemetry::init(&crate::config::LoggingConfig {
        filter: "warn,metronode=warn".into(),
        format: crate::config::LogFormat::Text,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(demo(dir, rows, http, seed))
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn demo(dir: &Path, rows: u64, http: Option<SocketAddr>, seed: u64) -> anyhow::Result<()> {
    let signal = shutdown::install();
    // The dashboard's port first, before anything is written: `--http` wins over what an
    // earlier run stored, which wins over the default.
    let first = dir.join(synth::PILOTS[0].id.to_ascii_lowercase());
    let http = match http {
        Some(addr) => addr,
        None if first.join(crate::config::FILE_NAME).exists() => {
            Identity::load(&first)?.config.http.listen
        }
        None => SocketAddr::from(([127, 0, 0, 1], 7480)),
    };
    let mut dashboard_listener = Some(TcpListener::bind(http).await.with_context(|| {
        format!("couldn't listen on {http}; is another demo running? (try --http 127.0.0.1:0)")
    })?);
    std::fs::create_dir_all(dir).with_context(|| format!("couldn't create {}", dir.display()))?;
    let mut nodes = Vec::new();
    for (i, city) in synth::PILOTS.iter().enumerate() {
        let city_dir = dir.join(city.id.to_ascii_lowercase());
        if !city_dir.join(crate::config::FILE_NAME).exists() {
            init_city(
                &city_dir,
                city,
                if i == 0 { http } else { SocketAddr::from(([127, 0, 0, 1], 0)) },
            )?;
        }
        nodes.push(Arc::new(Node::open(Identity::load(&city_dir)?)?));
    }
    let stop = Stopper::new();
    let mut tasks = Vec::new();
    let mut dashboard = None;
    for node in &nodes {
        node.log.refresh_own_head(clock::now_unix_ms())?;
        let local = TcpListener::bind("127.0.0.1:0").await?;
        let fed_addr = node.config.federation.listen;
        let federation = TcpListener::bind(fed_addr)
            .await
            .with_context(|| format!("couldn't listen on {fed_addr}"))?;
        let http = match dashboard_listener.take() {
            Some(listener) => listener,
            None => {
                let http_addr = node.config.http.listen;
                TcpListener::bind(http_addr)
                    .await
                    .with_context(|| format!("couldn't listen on {http_addr}"))?
            }
        };
        dashboard.get_or_insert(http.local_addr()?);
        std::fs::write(node.dir.join("grpc.addr"), local.local_addr()?.to_string())?;
        let stop = stop.clone();
        tasks.push(tokio::spawn(server::run(
            node.clone(),
            server::Listeners { local, federation, http },
            async move { stop.cancelled().await },
        )));
    }
    say(&format!("metronode demo: {} cities in {}", nodes.len(), dir.display()));

    if nodes[0].membership().active().is_none() {
        let cards: Vec<pb::MemberCard> = nodes.iter().map(|n| n.card.clone()).collect();
        for node in &nodes {
            propose_founding(node, cards.clone())?;
        }
        say(
            "  founded the federation drg-pilots (threshold 3 of 4); waiting for every city to see it",
        );
    }
    wait(&nodes, "the federation", |ns| ns.iter().all(|n| n.membership().active().is_some()))
        .await?;

    for (node, city) in nodes.iter().zip(synth::PILOTS) {
        if !node.releases().iter().any(|r| r.city == city.id) {
            publish_city(node, &city, rows, seed).await?;
            publish_artefacts(node, &city)?;
            say(&format!(
                "  {} ({}): ingested synthetic microdata for {} and published its releases",
                city.name,
                city.id,
                PERIODS.join(" and ")
            ));
        }
    }
    wait(&nodes, "replication", converged).await?;
    let url = format!("http://{}/", dashboard.context("no dashboard listener")?);
    say("  replicated: every city holds every city's verified releases");
    say(&format!("dashboard: {url}"));
    say(&format!(
        "try: metronode query --dir {} --indicator DRI-USE-01 --by age_band    (Ctrl-C stops the demo)",
        nodes[0].dir.display()
    ));
    say(&format!(
        "     metronode budget --dir {}    ({DP_CITY} publishes its survey with differential privacy: discrete Gaussian, rho 0.5 per release)",
        dir.join(DP_CITY.to_ascii_lowercase()).display()
    ));

    let why = signal.await;
    say(&format!("{why}: stopping the demo"));
    stop.stop();
    for t in tasks {
        t.await.context("a node task failed")??;
    }
    for node in &nodes {
        let _ = std::fs::remove_file(node.dir.join("grpc.addr"));
    }
    say("stopped; data kept for the next run");
    Ok(())
}

/// The pilot city whose survey has differential privacy in the demo, and its settings: two
/// survey releases (2024 and 2025) of rho 0.5 each, within a budget of 2 per period.
pub const DP_CITY: &str = "BGSOF";
const DP_CONFIG: &str = "[privacy.survey]\nmechanism = \"discrete_gaussian\"\nper_release = \"0.5\"\n\
                         budget = \"2\"\nweight_clip = 4000\n";

/// The demo federation's name and threshold.
pub const FEDERATION: (&str, u32) = ("drg-pilots", 3);

/// Proposes version 1 of the demo federation from `cards` at `node`, unless it already did.
fn propose_founding(node: &Node, cards: Vec<pb::MemberCard>) -> anyhow::Result<()> {
    let manifest = federation::founding(FEDERATION.0, FEDERATION.1, cards)?;
    if !node.membership().pending().any(|p| p.manifest.hash == manifest.hash) {
        let payload = pb::record_body::Payload::ManifestProposal(pb::ManifestProposal {
            manifest: manifest.bytes.clone(),
        });
        let a = node.log.append(payload, clock::now_unix_ms())?;
        node.observe(node.log.own(), a.record.seq)?;
    }
    Ok(())
}

fn init_city(dir: &Path, city: &synth::City, http: SocketAddr) -> anyhow::Result<()> {
    let fed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let id: MemberId = city.id.parse()?;
    node::init_dir(dir, &id, city.name, SocketAddr::from(([127, 0, 0, 1], 0)), fed, None)?;
    let config = dir.join(crate::config::FILE_NAME);
    let text = std::fs::read_to_string(&config)?
        .replace("sync_interval_ms = 5000", "sync_interval_ms = 1000")
        .replace(
            "listen = \"127.0.0.1:0\"\n# Requests from loopback",
            &format!("listen = \"{http}\"\n# Requests from loopback"),
        );
    // One city shows the privacy features: its survey releases carry noise and margins, and
    // spend a budget (`metronode budget`).
    let text = if city.id == DP_CITY { format!("{text}\n{DP_CONFIG}") } else { text };
    std::fs::write(&config, text)?;
    Ok(())
}

async fn publish_city(
    node: &Arc<Node>,
    city: &synth::City,
    rows: u64,
    seed: u64,
) -> anyhow::Result<()> {
    for (p, period) in PERIODS.iter().enumerate() {
        for dataset in synth::DATASETS {
            let n = match dataset {
                "survey" => rows,
                "household" => rows / 2,
                "open_data_inventory" => 120,
                "algorithm_register" => 25,
                _ => 0,
            };
            let mut data = Vec::new();
            synth::generate(city, dataset, n, seed + p as u64, &mut data)?;
            let req = IngestRequest {
                dataset: dataset.into(),
                period: (*period).into(),
                file_name: format!("{}-{dataset}-{period}.csv", city.id.to_ascii_lowercase()),
                dry_run: false,
            }
            .check(&node.catalogue)?;
            let node = node.clone();
            tokio::task::spawn_blocking(move || {
                release::publish(&node, &node.catalogue, &req, data.as_slice())
            })
            .await?
            .with_context(|| format!("{}: couldn't ingest {dataset} {period}", city.id))?;
        }
    }
    Ok(())
}

/// Three synthetic documents per city: a digital-rights charter, an open-data policy and its
/// district boundaries (generated hexagons, so that the dashboard draws a map).
fn publish_artefacts(node: &Node, city: &synth::City) -> anyhow::Result<()> {
    let ids: Vec<String> = node.catalogue.indicators.iter().map(|i| i.id.clone()).collect();
    let common = format!(
        "language = [\"en\"]\nissued = \"2025-03-01\"\nstatus = \"in_force\"\nlicense = \"CC-BY-4.0\"\ncontact_email = \"digital@{}.example\"\ncc4dr_principles = [\"access_and_literacy\"]\n",
        city.id.to_ascii_lowercase()
    );
    let docs = [
        (
            "digital-rights-charter",
            format!("{} Digital Rights Charter", city.name),
            format!(
                "{common}description = \"Commitments of {} on digital inclusion and rights, with 2030 targets (demo document)\"\nrights_areas = [\"inclusion_equality_equity\", \"privacy_safety_security_protection\"]\nrelated_indicators = [\"DRI-SKL-01\", \"DRI-USE-01\"]\n[details]\nadopted_by = \"City council (demo)\"\nadopted_on = \"2025-03-01\"\ncommitments = [{{ commitment_id = \"C1\", text = \"At least basic digital skills for 80% of residents by 2030\" }}]\n",
                city.name
            ),
        ),
        (
            "open-data-policy",
            format!("{} Open Data Policy", city.name),
            format!(
                "{common}description = \"Open by default: licences, portal and inventory (demo document)\"\nrights_areas = [\"public_goods_open_infrastructure\", \"transparency_accountability\"]\nrelated_indicators = [\"DRI-GOV-01\"]\n[details]\ndefault_license = \"CC-BY-4.0\"\nportal_url = \"https://data.{}.example\"\n",
                city.id.to_ascii_lowercase()
            ),
        ),
    ];
    let boundaries = (
        "district-boundaries",
        format!("{} district boundaries (generated for the demo)", city.name),
        format!(
            "{common}description = \"Generated hexagons, one per district, for the demo's map: not the real shapes\"\nrights_areas = [\"public_goods_open_infrastructure\"]\n"
        ),
    );
    for (ty, title, toml) in docs.into_iter().chain([boundaries]) {
        let meta = crate::artefact::validate(ty, &title, &toml, &ids)?;
        let (body, file_name, media_type) = if meta.artefact_type == "district_boundaries" {
            let body = synth::boundaries(city);
            crate::geo::parse(city.id, body.as_bytes())?;
            (body, format!("{}.geojson", meta.id), "application/geo+json")
        } else {
            let body =
                format!("{title}\n\nA synthetic document of the metronode demo. {}\n", meta.json);
            (body, format!("{}.txt", meta.id), "")
        };
        let mut head = Vec::new();
        let stored =
            node.blobs.put(body.as_bytes(), node.config.artefacts.max_bytes, None, &mut head)?;
        let media_type =
            if media_type.is_empty() { crate::artefact::sniff(&head) } else { media_type };
        let publication = crate::analysis::publication(meta, stored, media_type, file_name, None);
        node.log.append(
            pb::record_body::Payload::ArtefactPublication(publication),
            clock::now_unix_ms(),
        )?;
    }
    Ok(())
}

fn converged(nodes: &[Arc<Node>]) -> bool {
    let ids: Vec<MemberId> = nodes.iter().map(|n| n.log.own().clone()).collect();
    ids.iter().all(|o| {
        let want = nodes.iter().map(|n| n.log.size(o)).max().unwrap_or(0);
        nodes.iter().all(|n| n.log.size(o) == want)
    })
}

async fn wait(
    nodes: &[Arc<Node>],
    what: &str,
    cond: impl Fn(&[Arc<Node>]) -> bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !cond(nodes) {
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("the demo did not converge on {what} within two minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
