//! Log records: sealing a payload into a signed record, and opening (verifying) one.
//!
//! A record travels and is stored as an encoded `pb::SignedRecord`: the exact body bytes and the
//! origin's signature over them. Opening verifies the signature over the bytes as received and only
//! then decodes the body; nothing is ever re-encoded before it is verified.

use prost::Message;

use crate::{
    identity::{Domain, MemberId, NodeId, NodeKey, VerifyError},
    merkle::{Hash, leaf_hash},
    pb,
};

/// The hash that precedes record 0.
pub const GENESIS_PREV: Hash = [0; 32];

/// A verified, decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Whose log the record belongs to.
    pub origin: MemberId,
    /// Position in that log.
    pub seq: u64,
    /// Record hash of the previous record.
    pub prev_hash: Hash,
    /// When the origin appended it (ms since the Unix epoch).
    pub issued_at_unix_ms: i64,
    /// What the record says; `None` for a payload kind this version does not know.
    pub payload: Option<pb::record_body::Payload>,
    /// The record hash: the RFC 6962 leaf hash of the body bytes.
    pub hash: Hash,
}

/// Why a record was refused. Messages describe the record, never its payload contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The envelope is not a valid `SignedRecord` encoding.
    #[error("envelope is not a valid SignedRecord encoding")]
    Envelope,
    /// The signature does not verify under the origin's key.
    #[error("signature check failed: {0}")]
    Signature(#[from] VerifyError),
    /// The signed body is not a valid `RecordBody` encoding.
    #[error("body is not a valid RecordBody encoding")]
    Body,
    /// The body names an origin that is not a member id, or not the expected one.
    #[error("record names origin `{got}`, expected {expected}")]
    Origin {
        /// The origin the reader expected.
        expected: MemberId,
        /// The origin the record names (truncated).
        got: String,
    },
    /// The record is not at the position the reader expected.
    #[error("record has sequence {got}, expected {expected}")]
    Sequence {
        /// The next free position.
        expected: u64,
        /// The position the record claims.
        got: u64,
    },
    /// The record does not link to the record before it.
    #[error("record does not link to the previous record's hash")]
    Chain,
}

/// Builds and signs the record at `seq` of `origin`'s log. Returns the encoded envelope to store
/// and the decoded record.
pub fn seal(
    key: &NodeKey,
    origin: &MemberId,
    seq: u64,
    prev_hash: Hash,
    issued_at_unix_ms: i64,
    payload: pb::record_body::Payload,
) -> (Vec<u8>, Record) {
    let body = pb::RecordBody {
        origin: origin.to_string(),
        seq,
        prev_hash: prev_hash.to_vec(),
        issued_at_unix_ms,
        payload: Some(payload.clone()),
    }
    .encode_to_vec();
    let signature = key.sign(Domain::Record, &body).to_vec();
    let hash = leaf_hash(&body);
    let envelope =
        pb::SignedRecord { body: body.into(), signature: signature.into() }.encode_to_vec();
    let record = Record {
        origin: origin.clone(),
        seq,
        prev_hash,
        issued_at_unix_ms,
        payload: Some(payload),
        hash,
    };
    (envelope, record)
}

/// Verifies an encoded envelope against the origin's key and decodes it.
pub fn open(envelope: &[u8], origin: &MemberId, key: &NodeId) -> Result<Record, RecordError> {
    let env = pb::SignedRecord::decode(envelope).map_err(|_| RecordError::Envelope)?;
    open_signed(&env, origin, key)
}

/// Verifies an encoded envelope against any of the origin's keys (newest first).
pub fn open_any(
    envelope: &[u8],
    origin: &MemberId,
    keys: &[NodeId],
) -> Result<Record, RecordError> {
    let env = pb::SignedRecord::decode(envelope).map_err(|_| RecordError::Envelope)?;
    signed_by_any(&env, origin, keys)
}

/// Signatures verified at once when records arrive in numbers (`open_many_heads`).
pub const VERIFY_BATCH: usize = 256;

/// Verifies many envelopes of one origin, in order, as `open_any` would each, decoding each
/// body's own fields but not its payload (`Record::payload` is `None`): a chunk of
/// `VERIFY_BATCH` whose signatures all verify at once under one of `keys` is not checked again;
/// a chunk that does not is checked one record at a time, so the answer names exactly the
/// records that fail. What storing and re-verifying a log need (signatures, positions, links),
/// at a fraction of the cost of decoding large payloads.
pub fn open_many_heads(
    envelopes: &[pb::SignedRecord],
    origin: &MemberId,
    keys: &[NodeId],
) -> Vec<Result<Record, RecordError>> {
    let mut out = Vec::with_capacity(envelopes.len());
    for chunk in envelopes.chunks(VERIFY_BATCH) {
        let items: Vec<(&[u8], &[u8])> =
            chunk.iter().map(|e| (&e.body[..], &e.signature[..])).collect();
        if chunk.len() > 1 && keys.iter().any(|k| verify_in_parallel(k, &items)) {
            out.extend(chunk.iter().map(|e| head(e, origin)));
        } else {
            out.extend(chunk.iter().map(|e| signed_by(e, keys).and_then(|()| head(e, origin))));
        }
    }
    out
}

/// Decodes many envelopes of one origin as `open_many_heads` does, without verifying their
/// signatures: for stored records that a verified tree head of the origin covers, whose bodies
/// its signature over the Merkle root already commits to (`Log::open`, which then checks the
/// root).
pub fn open_many_covered(
    envelopes: &[pb::SignedRecord],
    origin: &MemberId,
) -> Vec<Result<Record, RecordError>> {
    envelopes.iter().map(|e| head(e, origin)).collect()
}

/// `NodeId::verify_batch` of `items`, split across two threads when the machine has two cores
/// and the batch is large enough to pay for a thread.
fn verify_in_parallel(key: &NodeId, items: &[(&[u8], &[u8])]) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 || items.len() < 64 {
        return key.verify_batch(Domain::Record, items);
    }
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| key.verify_batch(Domain::Record, b));
        let here = key.verify_batch(Domain::Record, a);
        // A thread that panicked verified nothing.
        here & other.join().unwrap_or(false)
    })
}

/// `open_any` of a decoded envelope.
fn signed_by_any(
    env: &pb::SignedRecord,
    origin: &MemberId,
    keys: &[NodeId],
) -> Result<Record, RecordError> {
    signed_by(env, keys)?;
    body(env, origin)
}

/// Whether one of `keys` signed the envelope: the error of the last key tried when none did.
fn signed_by(env: &pb::SignedRecord, keys: &[NodeId]) -> Result<(), RecordError> {
    let mut last = VerifyError::Invalid;
    for key in keys {
        match key.verify(Domain::Record, &env.body, &env.signature) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(RecordError::Signature(last))
}

/// Verifies a decoded envelope against the origin's key and decodes its body.
pub fn open_signed(
    env: &pb::SignedRecord,
    origin: &MemberId,
    key: &NodeId,
) -> Result<Record, RecordError> {
    key.verify(Domain::Record, &env.body, &env.signature)?;
    body(env, origin)
}

/// Decodes an envelope's body, its signature verified already.
fn body(env: &pb::SignedRecord, origin: &MemberId) -> Result<Record, RecordError> {
    let body = pb::RecordBody::decode(&env.body[..]).map_err(|_| RecordError::Body)?;
    let head = Head {
        origin: body.origin,
        seq: body.seq,
        prev_hash: body.prev_hash,
        issued_at_unix_ms: body.issued_at_unix_ms,
    };
    let mut record = checked(env, origin, head)?;
    record.payload = body.payload;
    Ok(record)
}

/// `RecordBody` without its payload: prost skips the payload's bytes unread.
#[derive(Clone, PartialEq, prost::Message)]
struct Head {
    #[prost(string, tag = "1")]
    origin: String,
    #[prost(uint64, tag = "2")]
    seq: u64,
    #[prost(bytes = "vec", tag = "3")]
    prev_hash: Vec<u8>,
    #[prost(int64, tag = "4")]
    issued_at_unix_ms: i64,
}

/// Decodes an envelope's body but its payload, its signature verified already.
fn head(env: &pb::SignedRecord, origin: &MemberId) -> Result<Record, RecordError> {
    let head = Head::decode(&env.body[..]).map_err(|_| RecordError::Body)?;
    checked(env, origin, head)
}

/// The record a decoded head describes, once its origin and previous hash are checked.
fn checked(env: &pb::SignedRecord, origin: &MemberId, head: Head) -> Result<Record, RecordError> {
    if head.origin != origin.as_str() {
        return Err(RecordError::Origin {
            expected: origin.clone(),
            got: head.origin.chars().take(16).collect(),
        });
    }
    let prev_hash: Hash = head.prev_hash.as_slice().try_into().map_err(|_| RecordError::Body)?;
    Ok(Record {
        origin: origin.clone(),
        seq: head.seq,
        prev_hash,
        issued_at_unix_ms: head.issued_at_unix_ms,
        payload: None,
        hash: leaf_hash(&env.body),
    })
}

impl RecordError {
    /// The metric label of the refusal.
    pub fn label(&self) -> &'static str {
        match self {
            RecordError::Envelope => "envelope",
            RecordError::Signature(_) => "signature",
            RecordError::Body => "body",
            RecordError::Origin { .. } => "origin",
            RecordError::Sequence { .. } => "sequence",
            RecordError::Chain => "chain",
        }
    }
}

// === impl Record ===

impl Record {
    /// Checks that the record is the next one of a log whose last record hash is `prev`.
    pub fn check_link(&self, expected_seq: u64, prev: &Hash) -> Result<(), RecordError> {
        if self.seq != expected_seq {
            return Err(RecordError::Sequence { expected: expected_seq, got: self.seq });
        }
        if &self.prev_hash != prev {
            return Err(RecordError::Chain);
        }
        Ok(())
    }

    /// A short name for the payload kind, for logs and summaries.
    pub fn kind(&self) -> &'static str {
        match &self.payload {
            Some(pb::record_body::Payload::Notice(_)) => "notice",
            Some(pb::record_body::Payload::IndicatorRelease(_)) => "indicator_release",
            Some(pb::record_body::Payload::ManifestProposal(_)) => "manifest_proposal",
            Some(pb::record_body::Payload::ManifestApproval(_)) => "manifest_approval",
            Some(pb::record_body::Payload::ArtefactPublication(_)) => "artefact_publication",
            Some(pb::record_body::Payload::ArtefactWithdrawal(_)) => "artefact_withdrawal",
            None => "unknown",
        }
    }
}

#[cfg(test)]
mod tests;
