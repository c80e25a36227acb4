//! `metronode federation …` and `metronode peers`: membership changes and the peers view,
//! through the running node's local gRPC port.

use std::{fmt::Write as _, io::Write, path::Path};

use anyhow::{Context, bail};
use prost::Message;

use crate::{
    federation::{self, Manifest},
    identity::MemberId,
    pb,
};

use super::ingest::node_url;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

async fn channel(dir: &Path) -> anyhow::Result<tonic::transport::Channel> {
    let url = node_url(dir)?;
    tonic::transport::Endpoint::from_shared(url.clone())?
        .connect()
        .await
        .with_context(|| format!("couldn't reach the node at {url}"))
}

fn status(s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{}", s.message())
}

/// Reads a member card as printed by `metronode card`.
pub fn read_card(path: &Path) -> anyhow::Result<pb::MemberCard> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("couldn't read {}", path.display()))?;
    let t: toml::Table =
        toml::from_str(&text).with_context(|| format!("{}: not a member card", path.display()))?;
    let field = |k: &str| -> anyhow::Result<String> {
        t.get(k)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .with_context(|| format!("{}: field `{k}` missing", path.display()))
    };
    let hexfield = |k: &str| -> anyhow::Result<Vec<u8>> {
        hex::decode(field(k)?)
            .with_context(|| format!("{}: field `{k}` is not hex", path.display()))
    };
    let id: MemberId =
        field("id")?.parse().with_context(|| format!("{}: field `id`", path.display()))?;
    Ok(pb::MemberCard {
        id: id.to_string(),
        name: field("name")?,
        country: field("country")?,
        signing_public_key: hexfield("signing_public_key")?,
        tls_key_fingerprint: hexfield("tls_key_fingerprint")?,
        endpoint: field("endpoint")?,
    })
}

async fn propose(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let mut client = pb::publisher_client::PublisherClient::new(channel(dir).await?);
    client
        .propose_manifest(pb::ProposeManifestRequest { manifest: manifest.bytes.clone() })
        .await
        .map_err(status)?;
    Ok(())
}

async fn membership(dir: &Path) -> anyhow::Result<pb::Membership> {
    let mut client = pb::analytics_client::AnalyticsClient::new(channel(dir).await?);
    Ok(client.get_membership(pb::GetMembershipRequest {}).await.map_err(status)?.into_inner())
}

/// `federation create`: version 1 from the founders' cards (this node's own card included).
pub fn create(
    dir: &Path,
    federation_id: &str,
    threshold: u32,
    cards: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    let own = crate::node::Identity::load(dir)?.card();
    let mut members: Vec<pb::MemberCard> =
        cards.iter().map(|c| read_card(c)).collect::<Result<_, _>>()?;
    if !members.iter().any(|m| m.id == own.id) {
        members.push(own);
    }
    let manifest = federation::founding(federation_id, threshold, members)?;
    runtime()?.block_on(propose(dir, &manifest))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "proposed version 1 of {federation_id}: {}", hex::encode(manifest.hash))?;
    writeln!(
        out,
        "it takes effect when every founding member has run the same command with the same cards"
    )?;
    Ok(())
}

/// `federation propose`: the next version from the active one.
pub fn propose_change(
    dir: &Path,
    add: &[std::path::PathBuf],
    remove: &[String],
    threshold: Option<u32>,
    note: &str,
    out_file: Option<&Path>,
) -> anyhow::Result<()> {
    let rt = runtime()?;
    let m = rt.block_on(membership(dir))?;
    if m.active.is_empty() {
        bail!("this node has no federation in effect yet; use `federation create`");
    }
    let active = Manifest::decode(&m.active)?;
    let upsert: Vec<pb::MemberCard> = add.iter().map(|c| read_card(c)).collect::<Result<_, _>>()?;
    let remove: Vec<MemberId> = remove.iter().map(|r| r.parse()).collect::<Result<_, _>>()?;
    let next = federation::next_version(&active, upsert, &remove, threshold, note)?;
    rt.block_on(propose(dir, &next))?;
    if let Some(path) = out_file {
        std::fs::write(path, &next.bytes)
            .with_context(|| format!("couldn't write {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "proposed version {}: {}", next.body.version, hex::encode(next.hash))?;
    writeln!(
        out,
        "it takes effect when {} members of version {} approve",
        active.body.threshold, active.body.version
    )?;
    Ok(())
}

/// `federation approve`: a pending proposal by hash, or a manifest file (a joining member).
pub fn approve(dir: &Path, hash: Option<&str>, manifest: Option<&Path>) -> anyhow::Result<()> {
    let rt = runtime()?;
    match (hash, manifest) {
        (Some(h), None) => {
            let hash = hex::decode(h).context("--hash is not hex")?;
            rt.block_on(async {
                let mut client = pb::publisher_client::PublisherClient::new(channel(dir).await?);
                client
                    .approve_manifest(pb::ApproveManifestRequest { manifest_hash: hash })
                    .await
                    .map_err(status)
            })?;
            writeln!(std::io::stdout(), "approved {h}")?;
        }
        (None, Some(path)) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("couldn't read {}", path.display()))?;
            let m = Manifest::decode(&bytes).with_context(|| format!("{}", path.display()))?;
            rt.block_on(propose(dir, &m))?;
            writeln!(
                std::io::stdout(),
                "approved version {} ({})",
                m.body.version,
                hex::encode(m.hash)
            )?;
        }
        _ => bail!("give either --hash or --manifest"),
    }
    Ok(())
}

/// `federation show`: the version in effect and the pending proposals.
pub fn show(dir: &Path, export: Option<(&str, &Path)>) -> anyhow::Result<()> {
    let m = runtime()?.block_on(membership(dir))?;
    if let Some((hash, path)) = export {
        let p = m
            .pending
            .iter()
            .find(|p| hex::encode(&p.manifest_hash) == hash)
            .with_context(|| format!("no pending proposal {hash}"))?;
        std::fs::write(path, &p.manifest)
            .with_context(|| format!("couldn't write {}", path.display()))?;
        return Ok(());
    }
    let mut s = String::new();
    if m.active.is_empty() {
        let _ = writeln!(s, "no federation in effect yet");
    } else {
        let a = pb::Manifest::decode(m.active.as_slice())?;
        let _ = writeln!(
            s,
            "federation {} version {} (threshold {}): {}",
            a.federation_id, a.version, a.threshold, a.change
        );
        for c in &a.members {
            let _ = writeln!(s, "  {} {} ({}) {}", c.id, c.name, c.country, c.endpoint);
        }
    }
    for p in &m.pending {
        let body = pb::Manifest::decode(p.manifest.as_slice())?;
        let _ = writeln!(
            s,
            "pending version {} {} \"{}\": approved by {} of {} needed ({})",
            body.version,
            hex::encode(&p.manifest_hash),
            body.change,
            p.approvals.len(),
            p.needed,
            p.approvals.join(", ")
        );
    }
    write!(std::io::stdout(), "{s}")?;
    Ok(())
}

/// `peers`: each member, reachability, last sync, records held, lag and flags.
pub fn peers(dir: &Path) -> anyhow::Result<()> {
    let reply = runtime()?.block_on(async {
        let mut client = pb::analytics_client::AnalyticsClient::new(channel(dir).await?);
        client.list_peers(pb::ListPeersRequest {}).await.map_err(status)
    })?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<6} {:<16} {:<9} {:<20} {:>8} {:>5}  flags",
        "member", "name", "reachable", "last sync", "records", "lag"
    );
    let now = crate::clock::now_unix_ms();
    for p in reply.into_inner().peers {
        let card = p.card.unwrap_or_default();
        let last = if p.is_self {
            "self".to_owned()
        } else if p.last_sync_unix_ms == 0 {
            "never".to_owned()
        } else {
            format!("{:.1} s ago", (now - p.last_sync_unix_ms) as f64 / 1000.0)
        };
        let mut flags = p.flags.join(",");
        if !p.last_error.is_empty() {
            let _ =
                write!(flags, "{}error: {}", if flags.is_empty() { "" } else { " " }, p.last_error);
        }
        let _ = writeln!(
            s,
            "{:<6} {:<16} {:<9} {:<20} {:>8} {:>5}  {}",
            card.id,
            card.name.chars().take(16).collect::<String>(),
            if p.reachable { "yes" } else { "no" },
            last,
            p.records_held,
            p.records_seen.saturating_sub(p.records_held),
            flags
        );
    }
    write!(std::io::stdout(), "{s}")?;
    Ok(())
}
