//! Reading a log: decoded records for the read models (`read`), the membership records
//! alone, and what the transparency routes and peers are served (stored envelopes, leaves,
//! tiles, inclusion and consistency proofs).

use super::*;

impl Log {
    /// The records of `origin` from `from` on, decoded: the way readers (the release index) read
    /// a log; readers of some kinds (documents, membership, the own releases index) read only
    /// those, with `read_kinds`. Records were verified when stored, so their signatures are not
    /// verified again, but each body not read since the log was opened is checked against the
    /// leaf hash the log holds (the root its origin signed commits to those), so what a reader
    /// decodes is what the origin signed even where the disk changed a record while the node
    /// was down (`Error::Damaged`). One that does not decode (never written by this code) is
    /// skipped, and a read error ends the reading (as `stored`).
    pub fn read<'a>(
        &'a self,
        origin: &'a MemberId,
        from: u64,
    ) -> impl Iterator<Item = Result<Held, Error>> + 'a {
        let leaves = self.leaf_hashes(origin, from, usize::MAX);
        self.stored(origin, from).take(leaves.hashes.len()).filter_map(move |item| {
            let (seq, env) = match item {
                Ok(item) => item,
                Err(e) => return Some(Err(e)),
            };
            let signed = pb::SignedRecord::decode(env).ok()?;
            if !leaves.holds(seq, &signed.body) {
                return Some(Err(Error::Damaged { origin: origin.clone(), seq }));
            }
            let payload = pb::RecordBody::decode(&signed.body[..]).ok()?.payload?;
            Some(Ok(Held { seq, body: signed.body, payload }))
        })
    }

    /// The leaf hashes of `origin`'s records from `from` on, at most `limit` of them, as its
    /// tree holds them, to check bodies read against.
    fn leaf_hashes(&self, origin: &MemberId, from: u64, limit: usize) -> Leaves {
        let chains = self.lock();
        let Some(chain) = chains.get(origin) else {
            return Leaves { from, checked: 0, hashes: Vec::new() };
        };
        let count = chain.tree.size().saturating_sub(from).min(limit as u64);
        let hashes = chain.tree.level_hashes(0, from, count).unwrap_or_default();
        Leaves { from, checked: chain.checked, hashes }
    }

    /// Up to `limit` records of `origin` from `from` on, decoded, each body not read since the
    /// log was opened checked against the leaf hash the log holds: what peers and the
    /// transparency routes are served, so that a record the disk changed while the node was
    /// down is never sent as this log's. Served up to such a record, which is logged;
    /// `Error::Damaged` when it is the first asked for.
    pub fn signed_records(
        &self,
        origin: &MemberId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<pb::SignedRecord>, Error> {
        let leaves = self.leaf_hashes(origin, from, limit);
        let mut out = Vec::with_capacity(leaves.hashes.len());
        for item in self.stored(origin, from).take(leaves.hashes.len()) {
            let (seq, env) = item?;
            let signed = pb::SignedRecord::decode(env).ok();
            let Some(signed) = signed.filter(|s| leaves.holds(seq, &s.body)) else {
                let damaged = Error::Damaged { origin: origin.clone(), seq };
                if out.is_empty() {
                    return Err(damaged);
                }
                tracing::error!(error = %damaged, "a stored record is damaged; served up to it");
                break;
            };
            out.push(signed);
        }
        Ok(out)
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
        let held = self.size(origin);
        // The index tags each record with its kind: only records of these kinds (and any the
        // index holds no entry of) are read.
        let tags: Vec<u8> = kinds.iter().filter_map(|&k| u8::try_from(k).ok()).collect();
        let positions = self.store.tagged(origin, from, held, &tags);
        // Runs of consecutive positions (records the index has no entry of) are read at once.
        let mut runs: Vec<(u64, usize)> = Vec::new();
        for seq in positions {
            match runs.last_mut() {
                Some((start, len)) if *start + *len as u64 == seq => *len += 1,
                _ => runs.push((seq, 1)),
            }
        }
        let read = runs.into_iter().flat_map(|(start, len)| match len {
            1 => {
                let one = self.store.record(origin, start).map_err(Error::from);
                Box::new(one.map(|env| env.map(|env| (start, env))).transpose().into_iter())
                    as Box<dyn Iterator<Item = Result<(u64, Bytes), Error>>>
            }
            _ => Box::new(self.stored(origin, start).take(len)),
        });
        for item in read {
            let (seq, env) = item?;
            let Ok(signed) = pb::SignedRecord::decode(env) else { continue };
            if !payload_kind(&signed.body).is_some_and(|k| kinds.contains(&k)) {
                continue;
            }
            let body = pb::RecordBody::decode(&signed.body[..]).ok();
            if let Some(payload) = body.and_then(|b| b.payload) {
                if !self.leaf_hashes(origin, seq, 1).holds(seq, &signed.body) {
                    return Err(Error::Damaged { origin: origin.clone(), seq });
                }
                out.push(Held { seq, body: signed.body, payload });
            }
        }
        Ok((out, held.max(from)))
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
        let out = self.signed_records(origin, start, usize::try_from(count).unwrap_or(0))?;
        if out.len() as u64 != count {
            // Cut short by a damaged record: a tile is served whole or not at all.
            return Err(Error::Damaged { origin: origin.clone(), seq: start + out.len() as u64 });
        }
        Ok(Some(out))
    }

    /// Up to `limit` envelopes of `origin` from `from` on.
    pub fn envelopes(
        &self,
        origin: &MemberId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.stored(origin, from).take(limit).map(|r| r.map(|(_, e)| e.to_vec())).collect()
    }

    /// The stored envelopes of `origin` from `from` on, with their positions, up to the records
    /// the log holds (its tree): the store commits records before the log takes them, and only
    /// what the log took was acknowledged, so nothing else is served. Readers stop at the first
    /// error.
    pub fn stored<'a>(
        &'a self,
        origin: &'a MemberId,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Bytes), Error>> + 'a {
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

/// Leaf hashes of a log's records from `from` on, as its tree holds them, to check bodies read
/// from the store against.
struct Leaves {
    from: u64,
    /// Records below this were read since the log was opened (`Chain::checked`).
    checked: u64,
    hashes: Vec<Hash>,
}

impl Leaves {
    /// Whether `body`, read as record `seq`, is the body the tree holds: read since the log was
    /// opened, or hashing to its leaf.
    fn holds(&self, seq: u64, body: &[u8]) -> bool {
        seq < self.checked
            || seq.checked_sub(self.from).and_then(|i| self.hashes.get(i as usize))
                == Some(&merkle::leaf_hash(body))
    }
}

/// One record of a log as `Log::read` yields it.
#[derive(Debug, Clone)]
pub struct Held {
    /// Its position in its origin's log.
    pub seq: u64,
    /// The signed body: the bytes its signature and its leaf hash cover.
    pub body: Bytes,
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

/// The field number of `payload`, as its record's index entry tags it (0 for none).
pub(super) fn kind_of(payload: Option<&pb::record_body::Payload>) -> u8 {
    use pb::record_body::Payload;
    let kind = match payload {
        None => return 0,
        Some(Payload::Notice(_)) => kind::NOTICE,
        Some(Payload::IndicatorRelease(_)) => kind::INDICATOR_RELEASE,
        Some(Payload::ManifestProposal(_)) => kind::MANIFEST_PROPOSAL,
        Some(Payload::ManifestApproval(_)) => kind::MANIFEST_APPROVAL,
        Some(Payload::ArtefactPublication(_)) => kind::ARTEFACT_PUBLICATION,
        Some(Payload::ArtefactWithdrawal(_)) => kind::ARTEFACT_WITHDRAWAL,
    };
    kind as u8
}

/// The field number of the payload of an encoded `RecordBody`, as its record's index entry
/// tags it (0 for none).
pub(super) fn body_kind(body: &[u8]) -> u8 {
    payload_kind(body).map_or(0, |k| k as u8)
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
