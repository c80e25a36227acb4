//! `metronode publish` and `metronode withdraw`: a city's policy documents, streamed to the
//! running node, which validates the metadata and signs it into the log; and
//! `publish --template TYPE`, the metadata template of a type.

use std::{io::Read, io::Write, path::Path};

use anyhow::{Context, bail};

use super::ingest::node_url;
use crate::pb;

/// Prints the commented metadata template of a type.
pub fn template(artefact_type: &str) -> anyhow::Result<()> {
    let Some(text) = crate::artefact::template(artefact_type, crate::artefact::Fill::Placeholders)
    else {
        bail!(
            "unknown artefact type `{}`; use one of {}",
            artefact_type.chars().take(40).collect::<String>(),
            crate::artefact::TYPES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
        );
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

/// Streams a document and its metadata to the node.
pub fn publish(
    dir: &Path,
    artefact_type: &str,
    title: &str,
    metadata: Option<&Path>,
    file: &Path,
) -> anyhow::Result<()> {
    let url = node_url(dir)?;
    let metadata_toml = match metadata {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("couldn't read {}", p.display()))?
        }
        None => String::new(),
    };
    let Some(name) = file.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        bail!("{} is not a file", file.display());
    };
    let mut f =
        std::fs::File::open(file).with_context(|| format!("couldn't open {}", file.display()))?;
    let header = pb::ArtefactChunk {
        chunk: Some(pb::artefact_chunk::Chunk::Header(pb::ArtefactHeader {
            artefact_type: artefact_type.into(),
            title: title.into(),
            metadata_toml,
            file_name: name,
        })),
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reply = rt.block_on(async move {
        let mut client = pb::publisher_client::PublisherClient::connect(url.clone())
            .await
            .with_context(|| format!("couldn't reach the node at {url}"))?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let reader = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if tx.blocking_send(header).is_err() {
                return Ok(());
            }
            loop {
                let mut buf = vec![0u8; 64 * 1024];
                let n = f.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                if tx
                    .blocking_send(pb::ArtefactChunk {
                        chunk: Some(pb::artefact_chunk::Chunk::Data(buf)),
                    })
                    .is_err()
                {
                    return Ok(());
                }
            }
        });
        let reply = client.publish_artefact(tokio_stream::wrappers::ReceiverStream::new(rx)).await;
        reader.await?.context("couldn't read the document")?;
        reply.map(|r| r.into_inner()).map_err(|s| anyhow::anyhow!("{}", s.message()))
    })?;
    writeln!(
        std::io::stdout(),
        "published as log record {} ({})",
        reply.seq,
        hex::encode(&reply.record_hash)
    )?;
    Ok(())
}

/// Signs a withdrawal.
pub fn withdraw(dir: &Path, artefact: &str, reason: &str) -> anyhow::Result<()> {
    let url = node_url(dir)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reply = rt.block_on(async {
        let mut client = pb::publisher_client::PublisherClient::connect(url.clone())
            .await
            .with_context(|| format!("couldn't reach the node at {url}"))?;
        client
            .withdraw_artefact(pb::WithdrawArtefactRequest {
                artefact_id: artefact.into(),
                reason: reason.into(),
            })
            .await
            .map(|r| r.into_inner())
            .map_err(|s| anyhow::anyhow!("{}", s.message()))
    })?;
    writeln!(std::io::stdout(), "withdrew {artefact} in log record {}", reply.seq)?;
    Ok(())
}
