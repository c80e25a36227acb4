//! The records sub-protocol of a sync: the peer's origins, the records this node lacks of each
//! (fetched, verified and stored in a pipeline), and their tree heads.

use super::*;

/// A fetched batch, the outcome of verifying each record's signature, and whether the deadline
/// cut the reply short.
type Verified =
    (Vec<pb::SignedRecord>, Vec<Result<crate::record::Record, crate::record::RecordError>>, bool);

impl PeerSyncer {
    /// The records sub-protocol: the peer's origins, and for each it reports differently from
    /// the last check (`checked`), the records this node lacks and its tree head. Returns the
    /// sizes the peer reported, the checks updated and the origins that changed.
    pub(super) async fn sync_records(
        &self,
        client: &mut FederationClient<Channel>,
        id: &MemberId,
        mut checked: Checked,
    ) -> Result<(BTreeMap<MemberId, u64>, Checked, Vec<MemberId>), SyncError> {
        let mut changed = Vec::new();
        let origins = self
            .within("ListOrigins", client.list_origins(pb::ListOriginsRequest {}))
            .await?
            .into_inner()
            .origins;
        let own = self.node.log.own().clone();
        let mut sizes = BTreeMap::new();
        for summary in origins {
            let Ok(origin) = summary.origin.parse::<MemberId>() else { continue };
            sizes.insert(origin.clone(), summary.size);
            if origin == own {
                continue;
            }
            let keys = self.node.keys_of(&origin);
            if keys.is_empty() {
                continue; // Not a member this node knows: its records cannot be verified.
            }
            let reported = (summary.size, summary.root_hash);
            if checked.get(&origin) == Some(&reported) && self.node.log.size(&origin) >= reported.0
            {
                continue; // Nothing new from this peer about this origin since the last check.
            }
            changed.push(origin.clone());
            let lock = self.origin_lock(&origin);
            let pulling = lock.lock().await;
            self.pull(client, id, &origin, summary.size).await?;
            drop(pulling);
            self.check_head(client, id, &origin, &reported).await;
            checked.insert(origin, reported);
        }
        Ok((sizes, checked, changed))
    }

    /// Reads and checks `origin`'s tree head from the peer, unless it can tell nothing new.
    pub(super) async fn check_head(
        &self,
        client: &mut FederationClient<Channel>,
        id: &MemberId,
        origin: &MemberId,
        reported: &(u64, Vec<u8>),
    ) {
        // Another origin's head relayed by this peer tells nothing new when a head at least
        // that large is held and the peer's root at its size is the root of the records held
        // here (no split view to find); the peer's own head is always read and countersigned.
        let agrees = origin != id
            && self.node.log.tree_head(origin).is_ok_and(|h| h.size >= reported.0)
            && self.node.log.root_at(origin, reported.0).is_some_and(|r| r[..] == reported.1[..]);
        let head = if agrees {
            None
        } else {
            let request = pb::GetTreeHeadRequest { origin: origin.to_string() };
            Some(self.within("GetTreeHead", client.get_tree_head(request)).await)
        };
        if let Some(Ok(head)) = head {
            let bytes = prost::Message::encode_to_vec(&head.into_inner());
            let keys = self.node.keys_of(origin);
            match self.node.log.check_foreign_head(origin, &bytes, &keys, id, clock::now_unix_ms())
            {
                Ok(HeadCheck::Conflict) => {
                    warn!(%origin, "tree head contradicts the records held")
                }
                // A member relaying an older head of another origin is normal; the origin
                // itself going back behind a head it signed is not.
                Ok(HeadCheck::Behind(held)) if origin == id => {
                    self.node.log.metrics().head_refused(id.as_str(), "rolled_back");
                    warn!(%origin, held, "refused a tree head older than one the origin signed before");
                }
                Ok(_) => {}
                Err(e @ crate::log::Error::BadTreeHead { .. }) => {
                    self.node.log.metrics().head_refused(id.as_str(), "invalid");
                    warn!(%origin, error = %e, "tree head refused");
                }
                Err(e) => warn!(%origin, error = %e, "couldn't check a tree head"),
            }
        }
    }

    /// The lock held while pulling `origin`'s records.
    pub(super) fn origin_lock(&self, origin: &MemberId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.origins.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(origin.clone()).or_default().clone()
    }

    /// Fetches the records of `origin` this node lacks, up to the peer's size. The next batch is
    /// on its way while the last one is verified and stored.
    pub(super) async fn pull(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        origin: &MemberId,
        their_size: u64,
    ) -> Result<(), SyncError> {
        let mut ours = self.node.log.size(origin);
        if ours >= their_size {
            return Ok(());
        }
        let mut next = self.verified(origin, self.fetch(client, origin, ours).await?).await?;
        for _ in 0..MAX_ROUNDS {
            let (batch, opened, late) = next;
            if batch.is_empty() {
                if late {
                    return Err(self.late("GetRecords").into());
                }
                break;
            }
            let n = batch.len() as u64;
            let more = !late && ours + n < their_size;
            // The next batch is fetched and its signatures verified while this one is stored.
            let (appended, prefetched) =
                tokio::join!(self.append(peer, origin, batch, opened), async {
                    match more {
                        true => Some(match self.fetch(client, origin, ours + n).await {
                            Ok(fetched) => self.verified(origin, fetched).await,
                            Err(e) => Err(e),
                        }),
                        false => None,
                    }
                });
            let fetched = appended?;
            self.report(peer, origin, &fetched);
            // Only membership records change what the membership reads; the rest (releases,
            // the bulk of a log) need not be read again.
            if fetched.membership > 0 {
                self.node.observe(origin, ours).map_err(|e| {
                    SyncError::Local(format!("reading {origin}'s new records: {e}"))
                })?;
            }
            if late {
                let n = fetched.accepted;
                let e = self.late("GetRecords");
                return Err(SyncError::Peer(tonic::Status::deadline_exceeded(format!(
                    "{}; the {n} records it brought were kept",
                    e.message()
                ))));
            }
            // A batch not taken whole (a bad record, a fork) ends the pull; what was fetched
            // meanwhile follows a record this node does not hold.
            let held = self.node.log.size(origin);
            if held != ours + n {
                break;
            }
            ours = held;
            match prefetched {
                Some(fetched) => next = fetched?,
                None => break,
            }
        }
        Ok(())
    }

    /// One `GetRecords` call from `from` on, within `peer_timeout_ms` with its streamed reply:
    /// the records, and whether the deadline cut the reply short (what came before it is kept).
    pub(super) async fn fetch(
        &self,
        client: &mut FederationClient<Channel>,
        origin: &MemberId,
        from: u64,
    ) -> Result<(Vec<pb::SignedRecord>, bool), SyncError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let request = pb::GetRecordsRequest {
            origin: origin.to_string(),
            from_seq: from,
            limit: MAX_RECORDS_PER_CALL as u32,
        };
        let mut stream = tokio::time::timeout_at(deadline, client.get_records(request))
            .await
            .map_err(|_| self.late("GetRecords"))??
            .into_inner();
        let mut batch = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, stream.message()).await {
                Err(_) => return Ok((batch, true)),
                Ok(message) => match message? {
                    Some(r) => batch.push(r),
                    None => return Ok((batch, false)),
                },
            }
            if batch.len() >= MAX_RECORDS_PER_CALL {
                return Ok((batch, false));
            }
        }
    }

    /// A fetched batch with its signatures verified (`record::open_many_heads`, off the async
    /// executor) against the keys `origin` has now.
    pub(super) async fn verified(
        &self,
        origin: &MemberId,
        (batch, late): (Vec<pb::SignedRecord>, bool),
    ) -> Result<Verified, SyncError> {
        let keys = self.node.keys_of(origin);
        let origin2 = origin.clone();
        let (batch, opened) = tokio::task::spawn_blocking(move || {
            let opened = crate::record::open_many_heads(&batch, &origin2, &keys);
            (batch, opened)
        })
        .await
        .map_err(|e| SyncError::Local(format!("verifying {origin}'s records: {e}")))?;
        Ok((batch, opened, late))
    }

    /// Stores a verified batch of `origin`'s records off the async executor. A batch verified
    /// before the one stored just now changed the origin's keys (a rotation) is verified again
    /// where it failed, with the keys the membership has now.
    pub(super) async fn append(
        &self,
        peer: &MemberId,
        origin: &MemberId,
        batch: Vec<pb::SignedRecord>,
        opened: Vec<Result<crate::record::Record, crate::record::RecordError>>,
    ) -> Result<crate::log::Fetched, SyncError> {
        let node = self.node.clone();
        let (origin2, peer2) = (origin.clone(), peer.clone());
        tokio::task::spawn_blocking(move || {
            let now = clock::now_unix_ms();
            if opened.iter().any(Result::is_err) {
                let keys = node.keys_of(&origin2);
                node.log.append_foreign(&origin2, &batch, &keys, &peer2, now)
            } else {
                node.log.append_opened(&origin2, &batch, opened, &peer2, now)
            }
        })
        .await
        .map_err(|e| SyncError::Local(format!("appending {origin}'s records: {e}")))?
        .map_err(|e| SyncError::Local(format!("appending {origin}'s records: {e}")))
    }

    /// Counts and logs what a batch brought: records replicated and refused, skewed dates.
    pub(super) fn report(&self, peer: &MemberId, origin: &MemberId, fetched: &crate::log::Fetched) {
        let metrics = self.node.log.metrics();
        metrics.replicated(fetched.accepted);
        for r in &fetched.rejected {
            metrics.record_rejected(peer.as_str(), r.reason);
        }
        if let Some(r) = fetched.rejected.first() {
            let n = fetched.rejected.len();
            warn!(peer = %peer, reason = %r, rejected = n, "rejected records from a peer");
        }
        // Skewed dates are counted and kept: record dates never decide freshness or order.
        if fetched.dated_ahead > 0 {
            metrics.clock_skew(origin.as_str(), "ahead", fetched.dated_ahead);
            let (records, ahead_ms) = (fetched.dated_ahead, fetched.max_ahead_ms);
            warn!(%peer, %origin, records, ahead_ms, "kept records dated ahead of this clock");
        }
        if fetched.dated_backwards > 0 {
            metrics.clock_skew(origin.as_str(), "backwards", fetched.dated_backwards);
            let records = fetched.dated_backwards;
            warn!(%peer, %origin, records, "kept records dated before the record they follow");
        }
        if fetched.accepted > 0 {
            info!(peer = %peer, origin = %origin, accepted = fetched.accepted, "replicated records");
        }
    }
}
