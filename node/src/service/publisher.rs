//! The Publisher service: what the city's own data officers sign into its log.

use std::{io, sync::Arc};

use prost::Message;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, instrument};

use super::{Error, blocking};
use crate::{
    clock,
    federation::Manifest,
    node::Node,
    pb,
    release::{self, IngestRequest},
};

/// Chunks buffered between the gRPC stream and the CSV reader: bounds memory per ingest.
const INGEST_QUEUE: usize = 16;

/// Longest notice title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest notice text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Serves `metronode.v1.Publisher`.
#[derive(Debug, Clone)]
pub struct PublisherService {
    node: Arc<Node>,
}

impl PublisherService {
    /// A service over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node }
    }
}

impl PublisherService {
    /// Appends one payload to the own log, then lets the membership see it.
    async fn append(
        &self,
        payload: pb::record_body::Payload,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let node = self.node.clone();
        let appended = blocking(move || {
            let a = node.log.append(payload, clock::now_unix_ms())?;
            node.observe(node.log.own(), a.record.seq)?;
            Ok(a)
        })
        .await?;
        info!(seq = appended.record.seq, kind = appended.record.kind(), "appended record");
        let tree_head = pb::SignedTreeHead::decode(appended.head.signed.as_slice())
            .map_err(|e| Error::Internal(e.into()))?;
        Ok(Response::new(pb::PublishReply {
            seq: appended.record.seq,
            record_hash: appended.record.hash.to_vec(),
            tree_head: Some(tree_head),
        }))
    }
}

#[tonic::async_trait]
impl pb::publisher_server::Publisher for PublisherService {
    #[instrument(skip_all)]
    async fn publish_notice(
        &self,
        req: Request<pb::PublishNoticeRequest>,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let notice = req
            .into_inner()
            .notice
            .ok_or_else(|| Error::InvalidArgument("notice: missing".into()))?;
        if notice.title.trim().is_empty() {
            return Err(Error::InvalidArgument("notice.title: must not be empty".into()).into());
        }
        if notice.title.chars().count() > MAX_TITLE_CHARS {
            return Err(Error::InvalidArgument(format!(
                "notice.title: longer than {MAX_TITLE_CHARS} characters"
            ))
            .into());
        }
        if notice.text.len() > MAX_TEXT_BYTES {
            return Err(Error::InvalidArgument(format!(
                "notice.text: longer than {MAX_TEXT_BYTES} bytes"
            ))
            .into());
        }
        self.append(pb::record_body::Payload::Notice(notice)).await
    }

    #[instrument(skip_all)]
    async fn ingest(
        &self,
        req: Request<Streaming<pb::IngestChunk>>,
    ) -> Result<Response<pb::IngestReply>, Status> {
        let mut stream = req.into_inner();
        let header = match stream.message().await? {
            Some(pb::IngestChunk { chunk: Some(pb::ingest_chunk::Chunk::Header(h)) }) => h,
            _ => {
                return Err(Error::InvalidArgument(
                    "the first message must be the ingest header".into(),
                )
                .into());
            }
        };
        let request = IngestRequest {
            dataset: header.dataset,
            period: header.period,
            file_name: safe_name(&header.file_name),
            dry_run: header.dry_run,
        }
        .check(&self.node.catalogue)
        .map_err(Error::from)?;
        let (tx, rx) = mpsc::channel::<io::Result<Vec<u8>>>(INGEST_QUEUE);
        let node = self.node.clone();
        let job = tokio::task::spawn_blocking(move || {
            let reader = ChannelReader { rx, buf: Vec::new(), pos: 0 };
            release::publish(&node, &node.catalogue, &request, reader)
        });
        // A broken stream fails the ingest, so nothing half-read is published.
        forward(
            &mut stream,
            |c| match c.chunk {
                Some(pb::ingest_chunk::Chunk::Data(d)) => Some(d),
                _ => None,
            },
            tx,
        )
        .await;
        let outcome = job.await.map_err(|e| Error::Internal(e.into()))?.map_err(Error::from)?;
        Ok(Response::new(pb::IngestReply {
            dry_run: outcome.seqs.is_empty(),
            releases: outcome.releases,
            seqs: outcome.seqs,
            budget: outcome.budget,
        }))
    }

    #[instrument(skip_all)]
    async fn propose_manifest(
        &self,
        req: Request<pb::ProposeManifestRequest>,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let bytes = req.into_inner().manifest;
        let manifest =
            Manifest::decode(&bytes).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let m = self.node.membership();
        // A node with no federation yet may import any version: that is how a new member joins.
        if let Some(a) = m.active() {
            if manifest.body.version != a.body.version + 1 {
                return Err(Error::FailedPrecondition(format!(
                    "manifest version {} cannot follow: the next version is {}",
                    manifest.body.version,
                    a.body.version + 1
                ))
                .into());
            }
            if manifest.body.previous_hash != a.hash.to_vec() {
                return Err(Error::FailedPrecondition(
                    "manifest does not name the active version as previous".into(),
                )
                .into());
            }
        }
        let payload =
            pb::record_body::Payload::ManifestProposal(pb::ManifestProposal { manifest: bytes });
        self.append(payload).await
    }

    #[instrument(skip_all)]
    async fn approve_manifest(
        &self,
        req: Request<pb::ApproveManifestRequest>,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let hash = req.into_inner().manifest_hash;
        if !self.node.membership().pending().any(|p| p.manifest.hash.as_slice() == hash.as_slice())
        {
            return Err(
                Error::NotFound("no pending proposal with that hash is held here".into()).into()
            );
        }
        let payload = pb::record_body::Payload::ManifestApproval(pb::ManifestApproval {
            manifest_hash: hash,
        });
        self.append(payload).await
    }

    #[instrument(skip_all)]
    async fn publish_artefact(
        &self,
        req: Request<Streaming<pb::ArtefactChunk>>,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let mut stream = req.into_inner();
        let header = match stream.message().await? {
            Some(pb::ArtefactChunk { chunk: Some(pb::artefact_chunk::Chunk::Header(h)) }) => h,
            _ => {
                return Err(Error::InvalidArgument(
                    "the first message must be the artefact header".into(),
                )
                .into());
            }
        };
        let ids: Vec<String> =
            self.node.catalogue.indicators.iter().map(|i| i.id.clone()).collect();
        let meta = crate::artefact::validate(
            &header.artefact_type,
            &header.title,
            &header.metadata_toml,
            &ids,
        )
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        crate::artefact::check_file_name(&header.file_name)
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        // A full disk refuses the document before its body is written.
        self.node.log.store().writable().map_err(|e| Error::from(crate::log::Error::from(e)))?;
        let (tx, rx) = mpsc::channel::<io::Result<Vec<u8>>>(INGEST_QUEUE);
        let node = self.node.clone();
        let limit = node.config.artefacts.max_bytes;
        let job = tokio::task::spawn_blocking(move || {
            let mut head = Vec::new();
            let stored = node.blobs.put(
                ChannelReader { rx, buf: Vec::new(), pos: 0 },
                limit,
                None,
                &mut head,
            );
            stored.map(|s| (s, crate::artefact::sniff(&head)))
        });
        forward(
            &mut stream,
            |c| match c.chunk {
                Some(pb::artefact_chunk::Chunk::Data(d)) => Some(d),
                _ => None,
            },
            tx,
        )
        .await;
        let (stored, media_type) =
            job.await.map_err(|e| Error::Internal(e.into()))?.map_err(|e| match e {
                crate::blobs::Error::Io { ref source, .. }
                    if crate::store::out_of_space(source) =>
                {
                    Error::DiskFull(format!(
                        "disk full: no space left on device writing the document ({e}); \
                         nothing was published"
                    ))
                }
                crate::blobs::Error::Io { .. } => Error::Internal(e.into()),
                other => Error::InvalidArgument(other.to_string()),
            })?;
        if meta.artefact_type == "district_boundaries" {
            // Checking every pair of a ring's edges takes time: off the async executor.
            let node = self.node.clone();
            tokio::task::spawn_blocking(move || {
                let body = std::fs::read(node.blobs.path(&stored.sha256))
                    .map_err(|e| Error::Internal(e.into()))?;
                check_boundaries(&node, &body).map_err(Error::InvalidArgument)
            })
            .await
            .map_err(|e| Error::Internal(e.into()))??;
        }
        let media_type = if meta.artefact_type == "district_boundaries" {
            "application/geo+json"
        } else {
            media_type
        };
        let supersedes = crate::analysis::artefacts(&self.node)
            .into_iter()
            .filter(|a| a.origin == self.node.log.own().as_str() && a.state == "current")
            .find(|a| a.publication.as_ref().is_some_and(|p| p.artefact_id == meta.id))
            .map(|a| a.seq);
        let publication =
            crate::analysis::publication(meta, stored, media_type, header.file_name, supersedes);
        self.append(pb::record_body::Payload::ArtefactPublication(publication)).await
    }

    #[instrument(skip_all)]
    async fn withdraw_artefact(
        &self,
        req: Request<pb::WithdrawArtefactRequest>,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let r = req.into_inner();
        if r.reason.trim().is_empty() || r.reason.len() > 2000 {
            return Err(
                Error::InvalidArgument("reason: must be 1 to 2000 characters".into()).into()
            );
        }
        // This city's latest version of the artefact, as the log states it.
        let latest = crate::analysis::artefacts(&self.node)
            .into_iter()
            .filter(|a| {
                a.origin == self.node.log.own().as_str()
                    && a.publication.as_ref().is_some_and(|p| p.artefact_id == r.artefact_id)
            })
            .max_by_key(|a| a.seq);
        let id = r.artefact_id.chars().take(80).collect::<String>();
        match latest {
            Some(a) if a.state == "current" => {}
            Some(a) if a.state == "withdrawn" => {
                return Err(Error::FailedPrecondition(format!(
                    "artefact `{id}` is already withdrawn (its version at log record {}: {})",
                    a.seq, a.withdrawal_reason
                ))
                .into());
            }
            _ => {
                return Err(Error::NotFound(format!(
                    "no current artefact `{id}` published by this city"
                ))
                .into());
            }
        }
        self.append(pb::record_body::Payload::ArtefactWithdrawal(pb::ArtefactWithdrawal {
            artefact_id: r.artefact_id,
            reason: r.reason,
        }))
        .await
    }

    #[instrument(skip_all)]
    async fn get_budget(
        &self,
        _req: Request<pb::GetBudgetRequest>,
    ) -> Result<Response<pb::GetBudgetReply>, Status> {
        let node = self.node.clone();
        let entries = blocking(move || {
            let spent = node.log.store().ledger_entries().map_err(|e| Error::Internal(e.into()))?;
            Ok(spent
                .into_iter()
                .map(|(dataset, period, spent)| {
                    let total = node.config.budget_total(&dataset).unwrap_or_default();
                    let unit = node
                        .config
                        .privacy
                        .get(&dataset)
                        .map(|p| p.noise().map(|n| n.0.mechanism.budget_unit()).unwrap_or(""));
                    release::budget_entry(dataset, period, unit.unwrap_or(""), spent, total)
                })
                .collect())
        })
        .await?;
        Ok(Response::new(pb::GetBudgetReply { entries }))
    }
}

/// Forwards the data chunks of a client stream (after its header) to a blocking reader. A
/// second header or a broken stream reaches the reader as an error, so a half-read input fails
/// instead of being published; a reader that stopped early ends the forwarding.
async fn forward<T: Send + 'static>(
    stream: &mut Streaming<T>,
    data: impl Fn(T) -> Option<Vec<u8>>,
    tx: mpsc::Sender<io::Result<Vec<u8>>>,
) {
    loop {
        let item = match stream.message().await {
            Ok(Some(chunk)) => data(chunk).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "a second header in the stream")
            }),
            Ok(None) => return,
            Err(status) => {
                Err(io::Error::new(io::ErrorKind::ConnectionAborted, status.message().to_owned()))
            }
        };
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}

/// A file name as data: the last path component, printable characters only, at most 100.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.is_empty() { "upload.csv".into() } else { clean }
}

/// Reads the chunks a gRPC stream delivers, from a blocking thread.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
}

impl io::Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.buf = chunk;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A city's district boundaries, checked as they are published: valid GeoJSON polygons, one
/// per district, each code the city's own and, once it has published releases by district, one
/// of the districts they name.
fn check_boundaries(node: &Node, body: &[u8]) -> Result<(), String> {
    let own = node.log.own().as_str();
    let b = crate::geo::parse(own, body).map_err(|e| format!("district boundaries: {e}"))?;
    let known = crate::analysis::own_districts(node);
    if let Some(d) = b.districts.iter().find(|d| !known.is_empty() && !known.contains(&d.code)) {
        return Err(format!(
            "district boundaries: {} is not a district of {own}'s releases (they name {} districts, \
             from {} to {})",
            d.code,
            known.len(),
            known.first().map_or("", String::as_str),
            known.last().map_or("", String::as_str)
        ));
    }
    Ok(())
}
