//! `metronode query` and `metronode token`: the analyst's command line.

use std::{fmt::Write as _, io::Write, path::Path};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::{aggregate::Answer, pb};

/// Output format of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// The whole answer as JSON.
    Json,
    /// CSV rows (metro, cities, groups).
    Csv,
    /// SDMX-CSV.
    SdmxCsv,
}

/// Asks the running node for a metropolitan answer and prints it.
pub fn query(
    dir: &Path,
    indicator: &str,
    by: &str,
    period: &str,
    series: &str,
    format: Format,
) -> anyhow::Result<()> {
    let url = super::ingest::node_url(dir)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reply = rt.block_on(async {
        let mut c = pb::analytics_client::AnalyticsClient::connect(url.clone())
            .await
            .with_context(|| format!("couldn't reach the node at {url}"))?;
        let req = pb::QueryRequest {
            indicator_id: indicator.into(),
            period: period.into(),
            by: by.into(),
            series: series.into(),
        };
        c.query_indicator(req).await.map_err(|s| anyhow::anyhow!("{}", s.message()))
    })?;
    let answer = Answer::from(&reply.into_inner());
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?,
        Format::Csv => write!(out, "{}", crate::export::to_csv(&answer))?,
        Format::SdmxCsv => write!(out, "{}", crate::export::to_sdmx_csv(&answer))?,
        Format::Table => write!(out, "{}", table(&answer))?,
    }
    Ok(())
}

fn show(e: &crate::aggregate::Estimate, unit: &str) -> String {
    if !e.published {
        return format!("withheld ({})", e.note);
    }
    format!(
        "{}  ({:.0} / {:.0}){}",
        e.in_words(unit),
        e.numerator,
        e.denominator,
        if e.note.is_empty() { String::new() } else { format!(" [{}]", e.note) }
    )
}

fn table(a: &Answer) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {} (series {})", a.indicator, a.period, a.series);
    let _ = writeln!(s, "metropolitan  {}", show(&a.metro, &a.unit));
    for c in &a.cities {
        let _ = writeln!(
            s,
            "  {:<6} {:<14} {}",
            c.city,
            c.name.chars().take(14).collect::<String>(),
            show(&c.estimate, &a.unit)
        );
    }
    if !a.groups.is_empty() {
        let _ = writeln!(s, "by {}", a.by);
        for g in &a.groups {
            let _ = writeln!(s, "  {:<22} {}", g.value, show(&g.estimate, &a.unit));
        }
    }
    if let Some(g) = &a.gap {
        let _ = writeln!(s, "gap: {}", g.statement);
    }
    let _ = writeln!(
        s,
        "coverage: included {}; missing {}; {} suppressed cells",
        a.coverage.included.join(", "),
        if a.coverage.missing.is_empty() { "none".into() } else { a.coverage.missing.join(", ") },
        a.coverage.suppressed_cells
    );
    for n in &a.coverage.not_yet_published {
        let _ =
            writeln!(s, "  {}: not yet published for {} (latest: {})", n.city, a.period, n.latest);
    }
    for st in &a.coverage.stale {
        let _ = writeln!(s, "  stale {}: {}", st.city, st.reason);
    }
    for f in &a.coverage.flagged {
        let how =
            if f.included { "included by this node's setting, although" } else { "left out:" };
        let _ =
            writeln!(s, "  {}: {how} its log holds evidence of {}", f.city, f.evidence.join(", "));
    }
    for p in a.period_coverage.iter().filter(|p| p.period > a.period && !p.comparable) {
        let _ = writeln!(
            s,
            "newer: {} published so far by {} only (partial; --period {} to see it)",
            p.period,
            p.cities.join(", "),
            p.period
        );
    }
    s
}

/// Fetches the proof bundle of a query from the running node's HTTP port into `file`.
pub fn bundle(
    dir: &Path,
    indicator: &str,
    by: &str,
    period: &str,
    series: &str,
    file: &Path,
) -> anyhow::Result<()> {
    use std::io::Read;
    let addr_file = dir.join("http.addr");
    let addr = std::fs::read_to_string(&addr_file)
        .with_context(|| format!("no running node found ({} is missing)", addr_file.display()))?;
    let query = serde_urlencoded::to_string([
        ("indicator", indicator),
        ("by", by),
        ("period", period),
        ("series", series),
        ("format", "bundle"),
    ])?;
    let mut s = std::net::TcpStream::connect(addr.trim())
        .with_context(|| format!("couldn't reach the node's HTTP port at {}", addr.trim()))?;
    write!(
        s,
        "GET /api/v1/query?{query} HTTP/1.1\r\nHost: metronode\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").context("no HTTP reply")?;
    let (head, body) = (String::from_utf8_lossy(&reply[..split]), &reply[split + 4..]);
    if !head.starts_with("HTTP/1.1 200") {
        anyhow::bail!(
            "the node did not make the bundle: {} {}",
            head.lines().next().unwrap_or_default(),
            String::from_utf8_lossy(body).trim()
        );
    }
    std::fs::write(file, body).with_context(|| format!("couldn't write {}", file.display()))?;
    writeln!(std::io::stdout(), "proof bundle written to {}", file.display())?;
    Ok(())
}

/// Verifies a proof bundle offline and says what it proves.
pub fn verify_bundle(file: &Path, cards: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("couldn't read {}", file.display()))?;
    let bundle: crate::bundle::Bundle = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a proof bundle", file.display()))?;
    let pinned = cards
        .iter()
        .map(|c| crate::cli::federation::read_card(c))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let catalogue = crate::catalogue::Catalogue::builtin();
    let v = crate::bundle::verify(&bundle, &catalogue, &pinned)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "verified: {} records (signatures, positions, inclusion under signed tree heads), \
         membership version {} ({}), the answer recomputed from {} releases",
        v.records,
        v.version,
        v.members.join(", "),
        v.releases
    )?;
    for (log, by) in &v.witnessed {
        if !by.is_empty() {
            writeln!(out, "{log}'s tree head cosigned by {}", by.join(", "))?;
        }
    }
    if !v.claimed.is_empty() {
        writeln!(
            out,
            "the serving node's own view, not provable offline: stale or holding evidence: {}",
            v.claimed.join(", ")
        )?;
    }
    Ok(())
}

/// Makes a new bearer token: prints the token once, and the `[[http.tokens]]` entry to add.
pub fn token(name: &str, dir: Option<&Path>) -> anyhow::Result<()> {
    let (token, entry) = make_token(name);
    let mut out = std::io::stdout().lock();
    writeln!(out, "token (give it to {name}; it is not stored): {token}")?;
    match dir {
        None => writeln!(out, "add to node.toml:\n{entry}")?,
        Some(dir) => {
            let path = add_token(dir, name, &entry)?;
            writeln!(out, "added to {} as {name:?}: restart the node to use it", path.display())?;
        }
    }
    Ok(())
}

/// A fresh token and its hashed `[[http.tokens]]` entry.
pub fn make_token(name: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    let token = hex::encode(bytes);
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    let entry = format!(
        "[[http.tokens]]\nname = {}\nsha256 = \"{hash}\"\n",
        toml::Value::String(name.into())
    );
    (token, entry)
}

/// Adds a token's entry to `DIR/node.toml`, checked as the node will read it and replaced whole
/// (keeping the file's permissions); refuses a name already there. Returns the file's path.
pub fn add_token(dir: &Path, name: &str, entry: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("node.toml");
    let old = std::fs::read_to_string(&path)
        .with_context(|| format!("couldn't read {}", path.display()))?;
    let config = crate::config::Config::parse(&old, &path)?;
    if config.http.tokens.iter().any(|t| t.name == name) {
        anyhow::bail!("{} already has a token named {name:?}; pick another name", path.display());
    }
    let new = format!("{}\n\n{entry}", old.trim_end());
    crate::config::Config::parse(&new, &path)?;
    let tmp = dir.join("node.toml.new");
    std::fs::write(&tmp, &new).with_context(|| format!("couldn't write {}", tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::metadata(&path)?.permissions())?;
    std::fs::rename(&tmp, &path).with_context(|| format!("couldn't replace {}", path.display()))?;
    Ok(path)
}
