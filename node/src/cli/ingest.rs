//! `metronode ingest` and `metronode budget`: the data officer's client of the running node.
//! The file is streamed to the node in chunks; the node computes, anonymises and publishes.

use std::{
    fmt::Write as _,
    io::{Read, Write},
    path::Path,
};

use anyhow::{Context, bail};

use crate::pb;

/// Bytes per streamed chunk.
const CHUNK: usize = 64 * 1024;

/// The running node's gRPC URL, from the address `serve` wrote into the data directory.
pub fn node_url(dir: &Path) -> anyhow::Result<String> {
    let file = dir.join("grpc.addr");
    let addr = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "no running node found for {} ({} is missing); start it with `metronode serve --dir {}`",
            dir.display(),
            file.display(),
            dir.display()
        )
    })?;
    Ok(format!("http://{}", addr.trim()))
}

/// Output format of `ingest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A summary for people.
    Table,
    /// The releases as JSON.
    Json,
}

/// Streams `file` to the node and prints what was (or would be) published.
pub fn ingest(
    dir: &Path,
    dataset: &str,
    period: &str,
    dry_run: bool,
    format: Format,
    file: &Path,
) -> anyhow::Result<()> {
    let url = node_url(dir)?;
    let mut f =
        std::fs::File::open(file).with_context(|| format!("couldn't open {}", file.display()))?;
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let header = pb::IngestChunk {
        chunk: Some(pb::ingest_chunk::Chunk::Header(pb::IngestHeader {
            dataset: dataset.into(),
            period: period.into(),
            file_name,
            dry_run,
        })),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reply = runtime.block_on(async move {
        let mut client = pb::publisher_client::PublisherClient::connect(url.clone())
            .await
            .with_context(|| format!("couldn't reach the node at {url}"))?
            .max_decoding_message_size(64 * 1024 * 1024);
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let reader = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if tx.blocking_send(header).is_err() {
                return Ok(());
            }
            loop {
                let mut buf = vec![0u8; CHUNK];
                let n = f.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                let chunk = pb::IngestChunk { chunk: Some(pb::ingest_chunk::Chunk::Data(buf)) };
                if tx.blocking_send(chunk).is_err() {
                    return Ok(());
                }
            }
        });
        let reply = client.ingest(tokio_stream::wrappers::ReceiverStream::new(rx)).await;
        reader.await?.context("couldn't read the file")?;
        match reply {
            Ok(r) => Ok(r.into_inner()),
            Err(status) => bail!("{}", status.message()),
        }
    })?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&reply_json(&reply))?)?,
        Format::Table => write!(out, "{}", summary(&reply))?,
    }
    Ok(())
}

/// Prints the privacy budget ledger of the running node.
pub fn budget(dir: &Path) -> anyhow::Result<()> {
    let url = node_url(dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reply = runtime.block_on(async move {
        let mut client = pb::publisher_client::PublisherClient::connect(url.clone())
            .await
            .with_context(|| format!("couldn't reach the node at {url}"))?;
        anyhow::Ok(
            client
                .get_budget(pb::GetBudgetRequest {})
                .await
                .map_err(|s| anyhow::anyhow!("{}", s.message()))?
                .into_inner(),
        )
    })?;
    let mut out = std::io::stdout().lock();
    if reply.entries.is_empty() {
        writeln!(out, "no privacy budget spent yet")?;
    }
    for e in reply.entries {
        writeln!(
            out,
            "{} {}: spent {} of {} {}, {} left",
            e.dataset, e.period, e.spent, e.total, e.unit, e.remaining
        )?;
    }
    Ok(())
}

fn status_name(status: i32) -> &'static str {
    match pb::CellStatus::try_from(status) {
        Ok(pb::CellStatus::Published) => "published",
        Ok(pb::CellStatus::SuppressedPrimary) => "suppressed_primary",
        Ok(pb::CellStatus::SuppressedSecondary) => "suppressed_secondary",
        _ => "unknown",
    }
}

fn summary(reply: &pb::IngestReply) -> String {
    let mut s = String::new();
    for r in &reply.releases {
        let published =
            r.cells.iter().filter(|c| c.status == pb::CellStatus::Published as i32).count();
        let suppressed: Vec<&pb::Cell> =
            r.cells.iter().filter(|c| c.status != pb::CellStatus::Published as i32).collect();
        let _ = writeln!(
            s,
            "{} {} (rows {}, in scope {}, missing an item {})",
            r.indicator_id, r.period, r.rows_read, r.rows_in_scope, r.rows_missing_item
        );
        let (scale, suffix) = crate::aggregate::unit_scale(&r.unit);
        for c in r.cells.iter().filter(|c| c.dimension.is_empty()) {
            let label =
                if c.series == "_T" { "total".to_owned() } else { format!("series {}", c.series) };
            if c.status == pb::CellStatus::Published as i32 && c.denominator > 0 {
                let v = c.numerator as f64 / c.denominator as f64 * scale;
                let _ = writeln!(
                    s,
                    "  {label}: {v:.1}{suffix} ({} / {}){}",
                    c.numerator,
                    c.denominator,
                    if c.flag.is_empty() { String::new() } else { format!(" [{}]", c.flag) }
                );
            } else {
                let _ = writeln!(s, "  {label}: withheld ({})", c.suppression_reason);
            }
        }
        let _ = writeln!(s, "  cells: {published} published, {} suppressed", suppressed.len());
        for c in suppressed.iter().filter(|c| !c.dimension.is_empty()) {
            let series = if c.series == "_T" { String::new() } else { format!("[{}] ", c.series) };
            let _ = writeln!(
                s,
                "    {series}{}={}: {} ({})",
                c.dimension,
                c.value,
                status_name(c.status),
                c.suppression_reason
            );
        }
    }
    if reply.dry_run {
        let _ = writeln!(s, "dry run: nothing published, no budget spent");
    } else if let (Some(first), Some(last)) = (reply.seqs.first(), reply.seqs.last()) {
        let _ = writeln!(
            s,
            "published {} releases as log records {first}..={last}",
            reply.releases.len()
        );
    }
    if let Some(b) = &reply.budget {
        let verb = if reply.dry_run { "so far" } else { "now" };
        let _ = writeln!(
            s,
            "privacy budget {} {}: {verb} spent {} of {} {}, {} left",
            b.dataset, b.period, b.spent, b.total, b.unit, b.remaining
        );
    }
    s
}

/// A release as JSON, for `--format json` and the HTTP API.
pub fn release_json(r: &pb::IndicatorRelease) -> serde_json::Value {
    let method = r.method.clone().unwrap_or_default();
    serde_json::json!({
        "indicator_id": r.indicator_id,
        "catalogue_version": r.catalogue_version,
        "period": r.period,
        "dataset": r.dataset,
        "input_sha256": hex::encode(&r.input_sha256),
        "unit": r.unit,
        "denominator_basis": r.denominator_basis,
        "aggregation": r.aggregation,
        "rows_read": r.rows_read,
        "rows_in_scope": r.rows_in_scope,
        "rows_missing_item": r.rows_missing_item,
        "method": {
            "sdc_method": method.sdc_method,
            "min_base": method.min_base,
            "flag_base": method.flag_base,
            "min_count": method.min_count,
            "noise": method.noise.map(|n| serde_json::json!({
                "mechanism": n.mechanism,
                "budget_spent": n.budget_spent,
                "budget_unit": n.budget_unit,
                "weight_clip": n.weight_clip,
                "measurements": n.measurements,
                "noise_sd": n.noise_sd,
                "scale_exact": n.scale_exact,
            })),
        },
        "cells": r.cells.iter().map(|c| {
            let published = c.status == pb::CellStatus::Published as i32;
            serde_json::json!({
                "series": c.series,
                "dimension": if c.dimension.is_empty() { None } else { Some(&c.dimension) },
                "value": if c.dimension.is_empty() { None } else { Some(&c.value) },
                "status": status_name(c.status),
                "numerator": published.then_some(c.numerator),
                "denominator": published.then_some(c.denominator),
                "base_band": c.base_band,
                "flag": c.flag,
                "suppression_reason": if published { None } else { Some(&c.suppression_reason) },
            })
        }).collect::<Vec<_>>(),
    })
}

fn reply_json(reply: &pb::IngestReply) -> serde_json::Value {
    serde_json::json!({
        "dry_run": reply.dry_run,
        "seqs": reply.seqs,
        "budget": reply.budget.as_ref().map(|b| serde_json::json!({
            "dataset": b.dataset, "period": b.period, "unit": b.unit,
            "spent": b.spent, "total": b.total, "remaining": b.remaining,
        })),
        "releases": reply.releases.iter().map(release_json).collect::<Vec<_>>(),
    })
}
