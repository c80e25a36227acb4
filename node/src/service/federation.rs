//! The Federation service: records, tree heads and proofs of the logs this node holds.

use std::{
    collections::BTreeMap,
    pin::Pin,
    sync::{Arc, Mutex},
};

use prost::Message;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::{Error, blocking, member_id};
use crate::{identity::MemberId, node::Node, pb};

/// Most records one `GetRecords` call returns; callers page with `from_seq`.
pub const MAX_RECORDS_PER_CALL: usize = 1000;

/// Most origins one `GetManyRecords` call may name.
pub const MAX_ORIGINS_PER_CALL: usize = 1000;

/// Bytes of records in one `GetManyRecords` reply message: a run longer than this is split (a
/// single larger record goes alone), well under the 4 MiB a peer reads in one message.
pub const MANY_RECORDS_MESSAGE_BYTES: usize = 1 << 20;

/// Calls one member may have in progress on the mTLS port (a reply still being sent counts);
/// more are refused with `RESOURCE_EXHAUSTED` and counted. A member's syncer makes one at a time.
pub const MAX_CALLS_PER_PEER: usize = 16;

/// Serves `metronode.v1.Federation`.
#[derive(Debug, Clone)]
pub struct FederationService {
    node: Arc<Node>,
    /// Per member, the calls it may still start.
    calls: Arc<Mutex<BTreeMap<MemberId, Arc<Semaphore>>>>,
}

impl FederationService {
    /// A service over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node, calls: Arc::default() }
    }

    /// On the mTLS port, every call re-checks that the peer is still a current member: a
    /// connection opened before a removal or revocation is cut off at its next call. It also
    /// takes one of the member's `MAX_CALLS_PER_PEER` permits, held until the reply is sent.
    /// Calls on the local port carry no certificate and pass.
    fn authorize<T>(&self, req: &Request<T>) -> Result<Option<OwnedSemaphorePermit>, Status> {
        let Some(certs) = req.peer_certs() else { return Ok(None) };
        let Some(cert) = certs.first() else {
            return Err(Error::Unauthenticated("no client certificate".into()).into());
        };
        match self.node.pins.check(cert, rustls::pki_types::UnixTime::now()) {
            Ok(member) => {
                let calls = self
                    .calls
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(member.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(MAX_CALLS_PER_PEER)))
                    .clone();
                match calls.try_acquire_owned() {
                    Ok(permit) => Ok(Some(permit)),
                    Err(_) => {
                        self.node.log.metrics().peer_refused("too_many_calls");
                        tracing::debug!(peer = %member, "refused a call over the per-member limit");
                        Err(Error::TooManyCalls(format!(
                            "more than {MAX_CALLS_PER_PEER} calls in progress from {member}"
                        ))
                        .into())
                    }
                }
            }
            Err(refusal) => {
                self.node.log.metrics().peer_refused(refusal.label());
                tracing::warn!(reason = %refusal, "refused a call from a peer that is no longer a member");
                Err(Error::PermissionDenied(refusal.to_string()).into())
            }
        }
    }
}

type RecordStream = Pin<Box<dyn Stream<Item = Result<pb::SignedRecord, Status>> + Send>>;
type OriginRecordsStream = Pin<Box<dyn Stream<Item = Result<pb::OriginRecords, Status>> + Send>>;

/// The origins a `GetManyRecords` call names, with their positions: each a member id, at most
/// `MAX_ORIGINS_PER_CALL`, none twice.
fn positions(req: &pb::GetManyRecordsRequest) -> Result<Vec<(MemberId, u64)>, Error> {
    if req.origins.len() > MAX_ORIGINS_PER_CALL {
        return Err(Error::InvalidArgument(format!(
            "origins: {} named, at most {MAX_ORIGINS_PER_CALL} in one call",
            req.origins.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut wanted = Vec::with_capacity(req.origins.len());
    for (i, p) in req.origins.iter().enumerate() {
        let origin = member_id(&format!("origins[{i}].origin"), &p.origin)?;
        if !seen.insert(origin.clone()) {
            return Err(Error::InvalidArgument(format!(
                "origins[{i}].origin: {origin} is named twice"
            )));
        }
        wanted.push((origin, p.from_seq));
    }
    Ok(wanted)
}

/// Splits one origin's stored records, from `from` on, into reply messages of at most
/// `MANY_RECORDS_MESSAGE_BYTES` of records each.
fn runs(origin: &MemberId, from: u64, records: Vec<pb::SignedRecord>) -> Vec<pb::OriginRecords> {
    let mut runs = Vec::new();
    let mut run = pb::OriginRecords { origin: origin.to_string(), from_seq: from, records: vec![] };
    let mut bytes = 0;
    for (seq, r) in (from..).zip(records) {
        let len = r.encoded_len();
        if !run.records.is_empty() && bytes + len > MANY_RECORDS_MESSAGE_BYTES {
            let next =
                pb::OriginRecords { origin: run.origin.clone(), from_seq: seq, records: vec![] };
            runs.push(std::mem::replace(&mut run, next));
            bytes = 0;
        }
        bytes += len;
        run.records.push(r);
    }
    if !run.records.is_empty() {
        runs.push(run);
    }
    runs
}

#[tonic::async_trait]
impl pb::federation_server::Federation for FederationService {
    #[instrument(skip_all, fields(origin = %req.get_ref().origin))]
    async fn get_tree_head(
        &self,
        req: Request<pb::GetTreeHeadRequest>,
    ) -> Result<Response<pb::SignedTreeHead>, Status> {
        let _permit = self.authorize(&req)?;
        let origin = member_id("origin", &req.get_ref().origin)?;
        let head = self.node.log.tree_head(&origin).map_err(Error::from)?;
        let signed = pb::SignedTreeHead::decode(head.signed.as_slice())
            .map_err(|e| Error::Internal(e.into()))?;
        Ok(Response::new(signed))
    }

    type GetRecordsStream = RecordStream;

    #[instrument(skip_all, fields(origin = %req.get_ref().origin, from = req.get_ref().from_seq))]
    async fn get_records(
        &self,
        req: Request<pb::GetRecordsRequest>,
    ) -> Result<Response<RecordStream>, Status> {
        let permit = self.authorize(&req)?;
        let req = req.into_inner();
        let origin = member_id("origin", &req.origin)?;
        let limit = match req.limit as usize {
            0 => MAX_RECORDS_PER_CALL,
            n => n.min(MAX_RECORDS_PER_CALL),
        };
        let node = self.node.clone();
        let records =
            blocking(move || Ok(node.log.signed_records(&origin, req.from_seq, limit)?)).await?;
        let records = records.into_iter().map(Ok);
        // The permit goes with the stream: a reply the peer does not read keeps its slot.
        let stream = tokio_stream::iter(records).map(move |r| {
            let _held = &permit;
            r
        });
        Ok(Response::new(Box::pin(stream)))
    }

    type GetManyRecordsStream = OriginRecordsStream;

    #[instrument(skip_all, fields(origins = req.get_ref().origins.len()))]
    async fn get_many_records(
        &self,
        req: Request<pb::GetManyRecordsRequest>,
    ) -> Result<Response<OriginRecordsStream>, Status> {
        let permit = self.authorize(&req)?;
        let req = req.into_inner();
        let wanted = positions(&req)?;
        let limit = match req.limit as usize {
            0 => MAX_RECORDS_PER_CALL,
            n => n.min(MAX_RECORDS_PER_CALL),
        };
        let node = self.node.clone();
        // The records of the origins in the order asked, up to `limit` in all; an origin this
        // node does not hold, or holds no further than asked, adds nothing.
        let messages = blocking(move || {
            let mut left = limit;
            let mut messages = Vec::new();
            for (origin, from) in wanted {
                if left == 0 {
                    break;
                }
                let records = node.log.signed_records(&origin, from, left)?;
                left -= records.len();
                messages.extend(runs(&origin, from, records));
            }
            Ok(messages)
        })
        .await?;
        let stream = tokio_stream::iter(messages.into_iter().map(Ok)).map(move |r| {
            let _held = &permit;
            r
        });
        Ok(Response::new(Box::pin(stream)))
    }

    #[instrument(skip_all, fields(origin = %req.get_ref().origin, seq = req.get_ref().seq))]
    async fn get_inclusion_proof(
        &self,
        req: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::InclusionProof>, Status> {
        let _permit = self.authorize(&req)?;
        let req = req.into_inner();
        let origin = member_id("origin", &req.origin)?;
        let (size, path) =
            self.node.log.inclusion_proof(&origin, req.seq, req.tree_size).map_err(Error::from)?;
        Ok(Response::new(pb::InclusionProof {
            leaf_index: req.seq,
            tree_size: size,
            path: path.iter().map(|h| h.to_vec()).collect(),
        }))
    }

    #[instrument(skip_all, fields(origin = %req.get_ref().origin))]
    async fn get_consistency_proof(
        &self,
        req: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::ConsistencyProof>, Status> {
        let _permit = self.authorize(&req)?;
        let req = req.into_inner();
        let origin = member_id("origin", &req.origin)?;
        let (second, path) = self
            .node
            .log
            .consistency_proof(&origin, req.first_size, req.second_size)
            .map_err(Error::from)?;
        Ok(Response::new(pb::ConsistencyProof {
            first_size: req.first_size,
            second_size: second,
            path: path.iter().map(|h| h.to_vec()).collect(),
        }))
    }

    #[instrument(skip_all)]
    async fn list_origins(
        &self,
        req: Request<pb::ListOriginsRequest>,
    ) -> Result<Response<pb::ListOriginsResponse>, Status> {
        let _permit = self.authorize(&req)?;
        let origins = self
            .node
            .log
            .origins()
            .into_iter()
            .map(|(origin, size, root)| pb::OriginSummary {
                origin: origin.to_string(),
                size,
                root_hash: root.to_vec(),
            })
            .collect();
        Ok(Response::new(pb::ListOriginsResponse { origins }))
    }

    #[instrument(skip_all)]
    async fn get_witness_statements(
        &self,
        req: Request<pb::GetWitnessStatementsRequest>,
    ) -> Result<Response<pb::GetWitnessStatementsResponse>, Status> {
        let _permit = self.authorize(&req)?;
        let origin = req.into_inner().origin;
        let origin = if origin.is_empty() { None } else { Some(member_id("origin", &origin)?) };
        let raw = self
            .node
            .log
            .store()
            .witnesses(origin.as_ref())
            .map_err(|e| Error::Internal(e.into()))?;
        let statements = raw
            .iter()
            .filter_map(|b| pb::SignedWitnessStatement::decode(b.as_slice()).ok())
            .collect();
        Ok(Response::new(pb::GetWitnessStatementsResponse { statements }))
    }

    #[instrument(skip_all)]
    async fn get_evidence(
        &self,
        req: Request<pb::GetEvidenceRequest>,
    ) -> Result<Response<pb::GetEvidenceResponse>, Status> {
        let _permit = self.authorize(&req)?;
        let origin = req.into_inner().origin;
        let origin = if origin.is_empty() { None } else { Some(member_id("origin", &origin)?) };
        let raw = self
            .node
            .log
            .store()
            .evidence(origin.as_ref())
            .map_err(|e| Error::Internal(e.into()))?;
        let evidence = raw.iter().filter_map(|b| pb::Evidence::decode(b.as_slice()).ok()).collect();
        Ok(Response::new(pb::GetEvidenceResponse { evidence }))
    }

    type GetBlobStream = Pin<Box<dyn Stream<Item = Result<pb::BlobChunk, Status>> + Send>>;

    #[instrument(skip_all)]
    async fn get_blob(
        &self,
        req: Request<pb::GetBlobRequest>,
    ) -> Result<Response<Self::GetBlobStream>, Status> {
        let permit = self.authorize(&req)?;
        let hash: [u8; 32] = req
            .into_inner()
            .sha256
            .as_slice()
            .try_into()
            .map_err(|_| Error::InvalidArgument("sha256: must be 32 bytes".into()))?;
        let file = self
            .node
            .blobs
            .open_body(&hash)
            .map_err(|_| Error::NotFound("no such document is held here".into()))?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let _held = permit;
            let mut file = file;
            loop {
                let mut buf = vec![0u8; 64 * 1024];
                match file.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.blocking_send(Ok(pb::BlobChunk { data: buf })).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        // The reason stays in this node's log: a peer learns only that it failed.
                        let e = anyhow::Error::new(e).context("reading a document for a peer");
                        let _ = tx.blocking_send(Err(Error::Internal(e).into()));
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_of_records_is_split_into_messages_under_the_bound() {
        let origin: MemberId = "BEBRU".parse().unwrap();
        let record =
            |n: usize| pb::SignedRecord { body: vec![7; n].into(), signature: vec![1; 64].into() };
        // Three records of 400 KiB fit two to a message; one larger than the bound goes alone.
        let envelopes = vec![
            record(400 << 10),
            record(400 << 10),
            record(400 << 10),
            record(MANY_RECORDS_MESSAGE_BYTES + 1),
            record(10),
        ];
        let runs = runs(&origin, 5, envelopes.clone());
        let shape: Vec<(u64, usize)> = runs.iter().map(|r| (r.from_seq, r.records.len())).collect();
        assert_eq!(shape, [(5, 2), (7, 1), (8, 1), (9, 1)]);
        let back: Vec<pb::SignedRecord> =
            runs.iter().flat_map(|r| r.records.iter().cloned()).collect();
        assert_eq!(back, envelopes, "every record once, in order, as stored");
        assert!(runs.iter().all(|r| r.origin == "BEBRU"));
        assert!(super::runs(&origin, 0, vec![]).is_empty());
    }
}
