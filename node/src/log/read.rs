//! Reading a log: decoded records for the read models (`read`), the membership records
//! alone, and what the transparency routes and peers are served (stored envelopes, leaves,
//! tiles, inclusion and consistency proofs).

use super::*;

impl Log {
    /// The records of `origin` from `from` on, decoded: the way readers (the release index, the
    /// own releases) read a log; readers of rare kinds (documents, membership) read only those,
    /// with `read_kinds`. Records were verified when
    /// stored, so they are decoded, not checked again; one that does not decode (never written
    /// by this code) is skipped, and a read error ends the reading (as `stored`).
    pub fn read<'a>(
        &'a self,
        origin: &'a MemberId,
        from: u64,
    ) -> impl Iterator<Item = Result<Held, Error>> + 'a {
        self.stored(origin, from).filter_map(|item| {
            let (seq, env) = match item {
                Ok(item) => item,
                Err(e) => return Some(Err(e)),
            };
            let signed = pb::SignedRecord::decode(env.as_slice()).ok()?;
            let payload = pb::RecordBody::decode(signed.body.as_slice()).ok()?.payload?;
            Some(Ok(Held { seq, body: signed.body, payload }))
        })
    }

    /// The payloads of an origin's records from `from` on (already verified when stored).
    pub fn payloads(
        &self,
        origin: &MemberId,
        from: u64,
    ) -> Result<Vec<(u64, pb::record_body::Payload)>, Error> {
        self.read(origin, from).map(|h| h.map(|h| (h.seq, h.payload))).collect()
    }

    /// The records of `origin` from `from` on whose payload is one of `kinds` (field numbers of
    /// `RecordBody`'s payload: [`kind`]), decoded, with the position read up to. The others are
    /// told apart off the wire format and not decoded (a release, the bulk of a log, is most of
    /// the cost of decoding). Read whole or not at all, so a reader that keeps its position
    /// reads the same records again after an error.
    pub fn read_kinds(
        &self,
        origin: &MemberId,
        from: u64,
        kinds: &[u32],
    ) -> Result<(Vec<Held>, u64), Error> {
        let mut out = Vec::new();
        let mut next = from;
        for item in self.stored(origin, from) {
            let (seq, env) = item?;
            next = seq + 1;
            let Ok(signed) = pb::SignedRecord::decode(env.as_slice()) else { continue };
            if !payload_kind(&signed.body).is_some_and(|k| kinds.contains(&k)) {
                continue;
            }
            let body = pb::RecordBody::decode(signed.body.as_slice()).ok();
            if let Some(payload) = body.and_then(|b| b.payload) {
                out.push(Held { seq, body: signed.body, payload });
            }
        }
        Ok((out, next))
    }

    /// The membership records (manifest proposals and approvals) of an origin from `from` on, as
    /// `payloads` gives them, the others not decoded (`read_kinds`).
    pub fn membership_payloads(
        &self,
        origin: &MemberId,
        from: u64,
    ) -> Result<Vec<(u64, pb::record_body::Payload)>, Error> {
        let (held, _) =
            self.read_kinds(origin, from, &[kind::MANIFEST_PROPOSAL, kind::MANIFEST_APPROVAL])?;
        Ok(held.into_iter().map(|h| (h.seq, h.payload)).collect())
    }

    /// The hashes of a C2SP tile of `origin`'s tree: `count` hashes at tile level `level`
    /// (tree level 8 x `level`) from tile `index`; `None` unless all are held.
    pub fn tile_hashes(
        &self,
        origin: &MemberId,
        level: u8,
        index: u64,
        count: u64,
    ) -> Option<Vec<Hash>> {
        let chains = self.lock();
        let start = index.checked_mul(crate::checkpoint::TILE_WIDTH)?;
        chains.get(origin)?.tree.level_hashes(8 * usize::from(level), start, count)
    }

    /// The signed records of `origin`'s log `start..start+count`: each record's body (the exact
    /// bytes its leaf hash covers) and its signature; `None` unless all are held.
    pub fn leaves(
        &self,
        origin: &MemberId,
        start: u64,
        count: u64,
    ) -> Result<Option<Vec<pb::SignedRecord>>, Error> {
        if start.checked_add(count).is_none_or(|end| end > self.size(origin)) {
            return Ok(None);
        }
        let mut out = Vec::new();
        for envelope in self.stored(origin, start).take(usize::try_from(count).unwrap_or(0)) {
            let (seq, bytes) = envelope?;
            let env = pb::SignedRecord::decode(bytes.as_slice()).map_err(|_| Error::BadRecord {
                origin: origin.clone(),
                seq,
                source: RecordError::Envelope,
            })?;
            out.push(env);
        }
        Ok((out.len() as u64 == count).then_some(out))
    }

    /// Up to `limit` envelopes of `origin` from `from` on.
    pub fn envelopes(
        &self,
        origin: &MemberId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.stored(origin, from).take(limit).map(|r| r.map(|(_, e)| e)).collect()
    }

    /// The stored envelopes of `origin` from `from` on, with their positions, up to the records
    /// the log holds (its tree): the store commits records before the log takes them, and only
    /// what the log took was acknowledged, so nothing else is served. Readers stop at the first
    /// error.
    pub fn stored<'a>(
        &'a self,
        origin: &'a MemberId,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), Error>> + 'a {
        let held = self.size(origin);
        self.store
            .records(origin, from)
            .take_while(move |r| r.as_ref().map_or(true, |(seq, _)| *seq < held))
            .map(|r| r.map_err(Error::from))
    }

    /// Audit path of record `seq` in `origin`'s tree at `size` (0: the latest tree head's size).
    pub fn inclusion_proof(
        &self,
        origin: &MemberId,
        seq: u64,
        size: u64,
    ) -> Result<(u64, Vec<Hash>), Error> {
        let chains = self.lock();
        let chain = chains.get(origin).ok_or_else(|| Error::NoSuchOrigin(origin.clone()))?;
        let size = if size == 0 { chain.head.as_ref().map_or(0, |h| h.size) } else { size };
        Ok((size, chain.tree.inclusion_proof(seq, size)?))
    }

    /// Consistency proof of `origin`'s tree between two sizes (second 0: the latest head's size).
    pub fn consistency_proof(
        &self,
        origin: &MemberId,
        first: u64,
        second: u64,
    ) -> Result<(u64, Vec<Hash>), Error> {
        let chains = self.lock();
        let chain = chains.get(origin).ok_or_else(|| Error::NoSuchOrigin(origin.clone()))?;
        let second = if second == 0 { chain.head.as_ref().map_or(0, |h| h.size) } else { second };
        Ok((second, chain.tree.consistency_proof(first, second)?))
    }
}

/// One record of a log as `Log::read` yields it.
#[derive(Debug, Clone)]
pub struct Held {
    /// Its position in its origin's log.
    pub seq: u64,
    /// The signed body: the bytes its signature and its leaf hash cover.
    pub body: Vec<u8>,
    /// What it says.
    pub payload: pb::record_body::Payload,
}

/// The field numbers of `RecordBody`'s payload (`oneof payload`, log.proto): what `read_kinds`
/// selects by.
pub mod kind {
    /// `Notice`.
    pub const NOTICE: u32 = 10;
    /// `IndicatorRelease`.
    pub const INDICATOR_RELEASE: u32 = 11;
    /// `ManifestProposal`.
    pub const MANIFEST_PROPOSAL: u32 = 12;
    /// `ManifestApproval`.
    pub const MANIFEST_APPROVAL: u32 = 13;
    /// `ArtefactPublication`.
    pub const ARTEFACT_PUBLICATION: u32 = 14;
    /// `ArtefactWithdrawal`.
    pub const ARTEFACT_WITHDRAWAL: u32 = 15;
}

/// Every field number of `RecordBody`'s payload.
const PAYLOAD_FIELDS: std::ops::RangeInclusive<u32> = kind::NOTICE..=kind::ARTEFACT_WITHDRAWAL;

/// The field number of the payload an encoded `RecordBody` holds, read off its wire format
/// without decoding it: the last payload field, as decoding a `oneof` keeps the last one.
/// `None` when it holds none or is not well formed.
pub(super) fn payload_kind(body: &[u8]) -> Option<u32> {
    use prost::encoding::{DecodeContext, decode_key, skip_field};
    let mut buf = body;
    let mut kind = None;
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        if PAYLOAD_FIELDS.contains(&tag) {
            kind = Some(tag);
        }
        skip_field(wire, tag, &mut buf, DecodeContext::default()).ok()?;
    }
    kind
}
