//! Another origin's log as this node holds it: records and tree heads fetched from peers,
//! verified before they are stored, with evidence kept of any that contradict what is held.

use super::*;

impl Log {
    /// Verifies and stores records of another origin fetched from a peer, in order from the next
    /// position this node lacks. Good records are kept even when later ones are bad; a record
    /// that contradicts one already held is kept as evidence, never stored in the log. The
    /// payloads are not decoded here (most of the cost of a large record): a payload is the
    /// origin's signed statement, and readers skip one that does not decode (`read`).
    pub fn append_foreign(
        &self,
        origin: &MemberId,
        batch: &[pb::SignedRecord],
        keys: &[NodeId],
        via: &MemberId,
        now_unix_ms: i64,
    ) -> Result<Fetched, Error> {
        let opened = record::open_many_heads(batch, origin, keys);
        self.append_opened(origin, batch, opened, via, now_unix_ms)
    }

    /// `append_foreign` of a batch whose signatures were verified already (`opened` is
    /// `record::open_many_heads` of `batch`, with the origin's keys), so that a syncer verifies
    /// the next batch while this one is stored. Everything but the signatures is checked here.
    pub fn append_opened(
        &self,
        origin: &MemberId,
        batch: &[pb::SignedRecord],
        opened: Vec<Result<Record, RecordError>>,
        via: &MemberId,
        now_unix_ms: i64,
    ) -> Result<Fetched, Error> {
        let mut out = Fetched::default();
        if origin == &self.own {
            return Ok(out);
        }
        let mut chains = self.lock();
        let chain = chains.entry(origin.clone()).or_default();
        let first = chain.tree.size();
        let mut next = first;
        let mut prev = if next == 0 {
            GENESIS_PREV
        } else {
            chain.tree.leaf(next - 1).unwrap_or(GENESIS_PREV)
        };
        // Dates are the origin's claim: a record is kept whatever it is dated (it is signed
        // evidence, and refusing it would split the members' views), and flagged when dated far
        // ahead of this node's clock or before the record it follows.
        let mut last_issued = match (chain.last_issued, first) {
            (Some(t), _) => Some(t),
            (None, 0) => None,
            (None, n) => issued_at(&self.store, origin, n - 1)?,
        };
        // The records taken are written from the batch as decoded (their bodies and signatures
        // are slices of the reply they came in), encoded once, into the record file's buffer.
        let mut taken: Vec<&pb::SignedRecord> = Vec::new();
        let mut index = Vec::new();
        for (env, opened) in batch.iter().zip(opened) {
            let rec = match opened {
                Ok(r) => r,
                Err(e) => {
                    let detail = format!("record {origin}/{next}: {e}");
                    out.rejected.push(Rejected { reason: e.label(), detail });
                    break;
                }
            };
            if rec.seq < first {
                if chain.tree.leaf(rec.seq) == Some(rec.hash) {
                    // Only this node writes its copy and it asks from `first` on, so an honest
                    // peer never sends a record held already: a replay, refused and counted.
                    let detail = format!("record {origin}/{}: replayed, already held", rec.seq);
                    out.rejected.push(Rejected { reason: "replayed", detail });
                } else {
                    let ours = self.store.record(origin, rec.seq)?.unwrap_or_default();
                    out.evidence += self.keep_evidence(
                        origin,
                        "equivocation",
                        rec.seq,
                        ours.to_vec(),
                        env.encode_to_vec(),
                        via,
                        now_unix_ms,
                    )?;
                }
                continue;
            }
            if rec.seq != next {
                let e = RecordError::Sequence { expected: next, got: rec.seq };
                let detail = format!("record {origin}/{}: {e}", rec.seq);
                out.rejected.push(Rejected { reason: e.label(), detail });
                break;
            }
            if rec.prev_hash != prev {
                // Validly signed, but committing to another record at seq-1 than the one held.
                let held = if rec.seq == 0 {
                    Vec::new()
                } else if let Some(last) = taken.last() {
                    last.encode_to_vec()
                } else {
                    self.store.record(origin, rec.seq - 1)?.unwrap_or_default().to_vec()
                };
                out.evidence += self.keep_evidence(
                    origin,
                    "fork",
                    rec.seq.saturating_sub(1),
                    held,
                    env.encode_to_vec(),
                    via,
                    now_unix_ms,
                )?;
                let detail = format!(
                    "record {origin}/{}: does not link to the record held before it",
                    rec.seq
                );
                out.rejected.push(Rejected { reason: "fork", detail });
                break;
            }
            prev = rec.hash;
            next += 1;
            let ahead = rec.issued_at_unix_ms.saturating_sub(now_unix_ms);
            if ahead > crate::clock::MAX_SKEW_MS {
                out.dated_ahead += 1;
                out.max_ahead_ms = out.max_ahead_ms.max(ahead);
            }
            if last_issued.is_some_and(|t| rec.issued_at_unix_ms < t) {
                out.dated_backwards += 1;
            }
            last_issued = Some(rec.issued_at_unix_ms);
            let kind = super::payload_kind(&env.body);
            if matches!(kind, Some(super::kind::MANIFEST_PROPOSAL | super::kind::MANIFEST_APPROVAL))
            {
                out.membership += 1;
            }
            taken.push(env);
            index.push(store::Indexed { leaf: rec.hash, tag: kind.map_or(0, |k| k as u8) });
        }
        if !taken.is_empty() {
            self.store.append(origin, first, &taken, &index)?;
            if chain.checked == chain.tree.size() {
                chain.checked += index.len() as u64;
            }
            for i in &index {
                chain.tree.push(i.leaf);
            }
            chain.last_issued = last_issued;
            out.accepted = taken.len() as u64;
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn keep_evidence(
        &self,
        origin: &MemberId,
        kind: &str,
        seq: u64,
        first: Vec<u8>,
        second: Vec<u8>,
        via: &MemberId,
        now_unix_ms: i64,
    ) -> Result<u64, Error> {
        let ev = pb::Evidence {
            origin: origin.to_string(),
            seq,
            kind: kind.into(),
            first,
            second,
            found_at_unix_ms: now_unix_ms,
            found_via: via.to_string(),
        };
        let new = self.store.put_evidence(origin, kind, seq, &ev.encode_to_vec())?;
        self.flags.lock().unwrap_or_else(|p| p.into_inner()).remove(origin);
        if new {
            self.metrics.evidence(origin.as_str(), kind);
            tracing::error!(origin = %origin, seq, kind, via = %via, "equivocation detected: evidence stored");
        }
        Ok(u64::from(new))
    }

    /// Checks a peer's signed tree head of another origin against the records held. A head
    /// within the records must match their root (else it is evidence); it then becomes the held
    /// head, and this node countersigns it as a witness.
    pub fn check_foreign_head(
        &self,
        origin: &MemberId,
        bytes: &[u8],
        keys: &[NodeId],
        via: &MemberId,
        now_unix_ms: i64,
    ) -> Result<HeadCheck, Error> {
        let head = decode_tree_head(bytes, origin, keys)?;
        let mut chains = self.lock();
        let chain = chains.entry(origin.clone()).or_default();
        if head.size > chain.tree.size() {
            return Ok(HeadCheck::Ahead(head.size));
        }
        if chain.tree.root(head.size)? != head.root {
            let ours = chain.head.as_ref().map(|h| h.signed.clone()).unwrap_or_default();
            drop(chains);
            self.keep_evidence(
                origin,
                "inconsistent-head",
                head.size,
                ours,
                bytes.to_vec(),
                via,
                now_unix_ms,
            )?;
            return Ok(HeadCheck::Conflict);
        }
        if let Some(held) = chain.head.as_ref().filter(|h| h.size > head.size) {
            return Ok(HeadCheck::Behind(held.size));
        }
        if chain.head.as_ref().is_none_or(|h| h.size < head.size) {
            self.store.put_tree_head(origin, bytes)?;
            chain.head = Some(head.clone());
        }
        drop(chains);
        let statement = self.witness(&head, now_unix_ms)?;
        Ok(HeadCheck::Consistent(Box::new(statement)))
    }
}

impl store::Envelope for pb::SignedRecord {
    fn encoded_len(&self) -> usize {
        Message::encoded_len(self)
    }

    fn encode_into(&self, buf: &mut Vec<u8>) {
        // A `Vec` grows as needed: encoding into one cannot run out of room.
        let _ = Message::encode(self, buf);
    }
}
