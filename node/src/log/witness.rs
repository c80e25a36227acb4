//! Witnessing: this node countersigns the verified heads of other origins' logs, and checks the
//! cosignatures peers made of this node's own heads.

use super::*;

impl Log {
    /// Countersigns a verified head of another origin and keeps the statement.
    pub(super) fn witness(
        &self,
        head: &TreeHead,
        now_unix_ms: i64,
    ) -> Result<pb::SignedWitnessStatement, Error> {
        let body = pb::WitnessStatement {
            witness: self.own.to_string(),
            origin: head.origin.to_string(),
            size: head.size,
            root_hash: head.root.to_vec(),
            witnessed_at_unix_ms: now_unix_ms,
        }
        .encode_to_vec();
        let signature = self.key.sign(Domain::Witness, &body).to_vec();
        // The same statement in C2SP tlog-cosignature/v1 form, for the transparency interface.
        let time = now_unix_ms.div_euclid(1000).max(0) as u64;
        let text = crate::checkpoint::cosigned(&head.origin, head.size, &head.root, time);
        let mut cosignature = time.to_be_bytes().to_vec();
        cosignature.extend_from_slice(&self.key.sign_note(&text));
        let signed = pb::SignedWitnessStatement { body, signature, cosignature };
        self.store.put_witness(&head.origin, &self.own, &signed.encode_to_vec())?;
        Ok(signed)
    }

    /// The witness statements held of exactly `origin`'s head at `size` and `root` that carry a
    /// C2SP cosignature: each as stored, and decoded. Not verified again (they were when kept).
    pub fn cosigning_statements(
        &self,
        origin: &MemberId,
        size: u64,
        root: &Hash,
    ) -> Vec<(Vec<u8>, pb::SignedWitnessStatement, pb::WitnessStatement)> {
        let held = self.store.witnesses(Some(origin)).unwrap_or_default();
        held.into_iter()
            .filter_map(|bytes| {
                let signed = pb::SignedWitnessStatement::decode(bytes.as_slice()).ok()?;
                let body = pb::WitnessStatement::decode(&signed.body[..]).ok()?;
                let same = body.size == size && body.root_hash == root.as_slice();
                (same && !signed.cosignature.is_empty()).then_some((bytes, signed, body))
            })
            .collect()
    }

    /// Checks another witness's statement about an origin against the records held: a root that
    /// differs at a size held is a split view, kept as evidence. Returns the statement's origin
    /// when it checked out or cannot be checked yet.
    pub fn check_witness(
        &self,
        signed: &pb::SignedWitnessStatement,
        witness_keys: impl Fn(&MemberId) -> Vec<NodeId>,
        via: &MemberId,
        now_unix_ms: i64,
    ) -> Result<WitnessCheck, Error> {
        let mut unbounded = usize::MAX;
        self.check_witness_within(signed, witness_keys, via, now_unix_ms, &mut unbounded)
    }

    /// [`Self::check_witness`] verifying at most `verifications` signatures (decremented for
    /// each): a statement not held byte for byte once they are spent is `Deferred`, left for a
    /// later sync, so one reply about a large federation costs a bounded amount of work.
    pub fn check_witness_within(
        &self,
        signed: &pb::SignedWitnessStatement,
        witness_keys: impl Fn(&MemberId) -> Vec<NodeId>,
        via: &MemberId,
        now_unix_ms: i64,
        verifications: &mut usize,
    ) -> Result<WitnessCheck, Error> {
        let Ok(body) = pb::WitnessStatement::decode(&signed.body[..]) else {
            return Ok(WitnessCheck::Invalid);
        };
        let (Ok(witness), Ok(origin)) =
            (body.witness.parse::<MemberId>(), body.origin.parse::<MemberId>())
        else {
            return Ok(WitnessCheck::Invalid);
        };
        if witness == self.own {
            return Ok(WitnessCheck::Own);
        }
        // A statement held byte for byte was verified when it was kept: peers relay the same
        // statements round after round, and only its root is compared again (the records held
        // may have grown to its size since).
        let encoded = signed.encode_to_vec();
        let held = self.store.holds_witness(&origin, &witness, &encoded);
        if !held {
            if *verifications == 0 {
                return Ok(WitnessCheck::Deferred);
            }
            *verifications -= 1;
        }
        let Ok(root) = <Hash>::try_from(body.root_hash.as_slice()) else {
            return Ok(WitnessCheck::Invalid);
        };
        // The cosignature, when there is one, must be the same witness's over the same head.
        let signed_ok = held
            || witness_keys(&witness).iter().any(|k| {
                k.verify(Domain::Witness, &signed.body, &signed.signature).is_ok()
                    && (signed.cosignature.is_empty()
                        || crate::checkpoint::cosignature_ok(
                            &origin,
                            body.size,
                            &root,
                            k,
                            &signed.cosignature,
                        ))
            });
        if !signed_ok {
            return Ok(WitnessCheck::Invalid);
        }
        let ours = {
            let chains = self.lock();
            chains.get(&origin).and_then(|c| {
                (body.size <= c.tree.size()).then(|| c.tree.root(body.size).ok()).flatten()
            })
        };
        match ours {
            Some(r) if r != root => {
                let mine = self
                    .store
                    .witnesses(Some(&origin))?
                    .into_iter()
                    .find(|w| {
                        pb::SignedWitnessStatement::decode(w.as_slice())
                            .ok()
                            .and_then(|s| pb::WitnessStatement::decode(&s.body[..]).ok())
                            .is_some_and(|b| b.witness == self.own.as_str())
                    })
                    .unwrap_or_default();
                self.keep_evidence(
                    &origin,
                    "split-view",
                    body.size,
                    mine,
                    encoded,
                    via,
                    now_unix_ms,
                )?;
                Ok(WitnessCheck::SplitView)
            }
            _ => {
                if !held {
                    self.store.put_witness(&origin, &witness, &encoded)?;
                }
                Ok(WitnessCheck::Kept)
            }
        }
    }
}
