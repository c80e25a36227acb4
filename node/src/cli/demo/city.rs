//! `metronode demo city`: one pilot city of the demo federation as a node of its own, for the
//! containers of `deploy/compose.yaml`. On its first start it creates its data directory
//! (listening on every interface, dashboard public, a one-second sync), then it writes its
//! member card to the shared cards directory, founds the federation once all four pilots' cards
//! are there, publishes its synthetic releases and documents once, and serves until SIGTERM.
//! A restart reuses everything: nothing is proposed or published twice.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use tracing::info;

use crate::{
    identity::MemberId,
    node::{self, Identity, Node},
    pb, synth,
};

/// Sync interval of the container demo: a stopped city shows up quickly.
const SYNC_INTERVAL_MS: u64 = 1000;
/// A member not synced for this long is reported stale by the container demo.
const STALE_AFTER_MS: u64 = 10_000;

/// Runs one pilot city until SIGTERM or SIGINT.
pub fn run(
    id: &str,
    dir: &Path,
    cards: &Path,
    endpoint: &str,
    rows: u64,
    seed: u64,
) -> anyhow::Result<()> {
    let Some(city) = synth::city(id) else {
        bail!("unknown pilot city `{id}`; use BEBRU, IEDUB, BGSOF or ALTIA");
    };
    if !dir.join(crate::config::FILE_NAME).exists() {
        init(dir, &city, endpoint)?;
    }
    let identity = Identity::load(dir)?;
    std::fs::create_dir_all(cards)
        .with_context(|| format!("couldn't create {}", cards.display()))?;
    write_card(cards, &identity)?;
    let cards = cards.to_owned();
    super::super::run_node(identity, move |node| bootstrap(node, city, cards, rows, seed))
}

fn init(dir: &Path, city: &synth::City, endpoint: &str) -> anyhow::Result<()> {
    let id: MemberId = city.id.parse()?;
    let any = |port| SocketAddr::from(([0, 0, 0, 0], port));
    node::init_dir(dir, &id, city.name, any(7400), any(7401), Some(endpoint.to_owned()))?;
    let config = dir.join(crate::config::FILE_NAME);
    let text = std::fs::read_to_string(&config)?;
    let edited = text
        .replace("sync_interval_ms = 5000", &format!("sync_interval_ms = {SYNC_INTERVAL_MS}"))
        .replace("stale_after_ms = 300000", &format!("stale_after_ms = {STALE_AFTER_MS}"))
        .replace("public = false", "public = true");
    // The template's edits above are what makes this a demo node; refuse to run without them.
    let parsed = crate::config::Config::parse(&edited, &config)?;
    if parsed.federation.sync_interval_ms != SYNC_INTERVAL_MS || !parsed.http.public {
        bail!("{}: the demo could not adjust the configuration template", config.display());
    }
    std::fs::write(&config, edited).with_context(|| format!("couldn't write {}", config.display()))
}

/// Writes `CARDS/ID.toml` through a temporary file, so other cities never read half a card.
fn write_card(cards: &Path, identity: &Identity) -> anyhow::Result<()> {
    let card = identity.card();
    let path = cards.join(format!("{}.toml", card.id));
    let tmp = cards.join(format!(".{}.toml.tmp", card.id));
    std::fs::write(&tmp, super::super::card_toml(card)?)
        .with_context(|| format!("couldn't write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("couldn't write {}", path.display()))
}

/// Founds the federation from the pilots' cards, then publishes the city's data once.
async fn bootstrap(
    node: Arc<Node>,
    city: synth::City,
    cards: PathBuf,
    rows: u64,
    seed: u64,
) -> anyhow::Result<()> {
    if node.membership().active().is_none() {
        let members = wait_for_cards(&cards).await?;
        super::propose_founding(&node, members)?;
        info!(federation = super::FEDERATION.0, "proposed the founding of the demo federation");
    }
    while node.membership().active().is_none() {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    info!(federation = super::FEDERATION.0, "the demo federation is in effect");
    if !node.releases().iter().any(|r| r.city == city.id) {
        super::publish_city(&node, &city, rows, seed).await?;
        super::publish_artefacts(&node, &city)?;
        info!(city = city.id, "published the synthetic releases and documents");
    }
    Ok(())
}

/// Every pilot's card, once all are in the directory; a malformed card is an error.
async fn wait_for_cards(cards: &Path) -> anyhow::Result<Vec<pb::MemberCard>> {
    let mut waited = 0u32;
    loop {
        let paths: Vec<PathBuf> =
            synth::PILOTS.iter().map(|c| cards.join(format!("{}.toml", c.id))).collect();
        if paths.iter().all(|p| p.exists()) {
            return paths.iter().map(|p| crate::cli::federation::read_card(p)).collect();
        }
        if waited.is_multiple_of(40) {
            let missing: Vec<&str> = synth::PILOTS
                .iter()
                .zip(&paths)
                .filter(|(_, p)| !p.exists())
                .map(|(c, _)| c.id)
                .collect();
            info!(?missing, dir = %cards.display(), "waiting for the other pilots' member cards");
        }
        waited += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
