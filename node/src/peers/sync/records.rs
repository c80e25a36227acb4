//! The records sub-protocol of a sync: the peer's origins, the records this node lacks of each
//! (fetched, verified and stored in a pipeline), and their tree heads.

use super::*;

/// One origin of a pull: where this node stands once the records fetched so far are stored,
/// and what the peer holds.
struct Pull {
    origin: MemberId,
    ours: u64,
    theirs: u64,
}

/// Which call a pull makes: `GetRecords` (one origin) or `GetManyRecords` (several).
#[derive(Debug, Clone, Copy)]
enum Call {
    Records,
    ManyRecords,
}

impl Call {
    /// The call's name, for errors.
    fn name(self) -> &'static str {
        match self {
            Call::Records => "GetRecords",
            Call::ManyRecords => "GetManyRecords",
        }
    }

    /// The most origins one call names.
    fn origins(self) -> usize {
        match self {
            Call::Records => 1,
            Call::ManyRecords => MAX_ORIGINS_PER_CALL,
        }
    }
}

/// One call's records: each origin's run in the order they came, and whether the deadline cut
/// the reply short.
type Fetched = (Vec<(MemberId, Vec<pb::SignedRecord>)>, bool);

/// One origin's records of a call, with each record's signature verified.
type VerifiedRun = (
    MemberId,
    Vec<pb::SignedRecord>,
    Vec<Result<crate::record::Record, crate::record::RecordError>>,
);

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
        let mut due = Vec::new();
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
            due.push((origin, reported));
        }
        let pulled = self.pull_several(client, id, &due).await?;
        for (origin, reported) in due {
            changed.push(origin.clone());
            if !pulled.contains(&origin) {
                let lock = self.origin_lock(&origin);
                let pulling = lock.lock().await;
                self.pull(client, id, &origin, reported.0).await?;
                drop(pulling);
            }
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

    /// Where several of the origins `due` lack records, pulls them together with
    /// `GetManyRecords` (a node catching up on many logs pays a round trip per call, not per log)
    /// and returns those it pulled; the rest are pulled one by one. Origins another peer's sync is
    /// pulling now are left to the one-by-one pull, which waits its turn; so is everything when the
    /// peer is older than the call.
    async fn pull_several(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        due: &[(MemberId, (u64, Vec<u8>))],
    ) -> Result<std::collections::BTreeSet<MemberId>, SyncError> {
        let mut pulled = std::collections::BTreeSet::new();
        let lacking = due.iter().filter(|(o, (size, _))| self.node.log.size(o) < *size).count();
        let older = self.older.lock().unwrap_or_else(|p| p.into_inner()).contains(peer);
        if lacking < 2 || older {
            return Ok(pulled);
        }
        let mut held = Vec::new();
        let mut open = Vec::new();
        for (origin, (size, _)) in due {
            let ours = self.node.log.size(origin);
            if ours >= *size {
                continue;
            }
            if let Ok(guard) = self.origin_lock(origin).try_lock_owned() {
                held.push(guard);
                open.push(Pull { origin: origin.clone(), ours, theirs: *size });
            }
        }
        if open.len() < 2 {
            return Ok(pulled);
        }
        let origins: Vec<MemberId> = open.iter().map(|p| p.origin.clone()).collect();
        match self.pull_many(client, peer, open).await {
            Err(SyncError::Peer(s)) if s.code() == tonic::Code::Unimplemented => {
                debug!(%peer, "the peer does not serve GetManyRecords: pulling one origin per call");
                self.older.lock().unwrap_or_else(|p| p.into_inner()).insert(peer.clone());
            }
            Err(e) => return Err(e),
            Ok(()) => pulled.extend(origins),
        }
        drop(held);
        Ok(pulled)
    }

    /// Fetches the records the origins of `open` lack, several origins per `GetManyRecords` call,
    /// up to each origin's size at the peer, through the same pipeline as `pull`.
    async fn pull_many(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        open: Vec<Pull>,
    ) -> Result<(), SyncError> {
        self.pipeline(client, peer, open, Call::ManyRecords).await
    }

    /// Fetches the records of `origin` this node lacks, up to the peer's size, one `GetRecords`
    /// call after another (`pipeline`).
    pub(super) async fn pull(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        origin: &MemberId,
        their_size: u64,
    ) -> Result<(), SyncError> {
        let ours = self.node.log.size(origin);
        if ours >= their_size {
            return Ok(());
        }
        let open = vec![Pull { origin: origin.clone(), ours, theirs: their_size }];
        self.pipeline(client, peer, open, Call::Records).await
    }

    /// Fetches, verifies and stores the records the origins of `open` lack, up to each origin's
    /// size at the peer, in three stages that run at once: while one call's records are stored,
    /// the next call's are verified and the call after it is on its way, so a catch-up goes at
    /// the pace of its slowest stage, not of the three in turn. A stage starts on a batch only
    /// once the stage after it has taken the last one, so at most three calls' records are held.
    /// An origin whose batch was not taken whole (a bad record, a fork) drops out, and what was
    /// fetched of it meanwhile is dropped, neither verified nor stored (it follows a record this
    /// node does not hold), as is the failure or lateness of a call that asked for nothing else.
    /// A failed call ends the pull once the batches fetched before it are stored.
    async fn pipeline(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        mut open: Vec<Pull>,
        call: Call,
    ) -> Result<(), SyncError> {
        let broken = std::sync::Mutex::new(std::collections::BTreeSet::<MemberId>::new());
        let broken = &broken;
        let is_broken =
            |origin: &MemberId| broken.lock().unwrap_or_else(|p| p.into_inner()).contains(origin);
        let (to_verify, mut fetched) = tokio::sync::mpsc::channel(1);
        let (to_store, mut verified) = tokio::sync::mpsc::channel(1);
        let fetching = async move {
            for _ in 0..MAX_ROUNDS {
                let Ok(slot) = to_verify.reserve().await else { break };
                open.retain(|p| p.ours < p.theirs && !is_broken(&p.origin));
                if open.is_empty() {
                    break;
                }
                // The origins this call asks for: a federation larger than one call's origins
                // asks for the rest in the next calls.
                let asking = &open[..open.len().min(call.origins())];
                let asked: Vec<MemberId> = asking.iter().map(|p| p.origin.clone()).collect();
                let result = match call {
                    Call::Records => self
                        .fetch(client, &asking[0].origin, asking[0].ours)
                        .await
                        .map(|(batch, late)| (vec![(asking[0].origin.clone(), batch)], late)),
                    Call::ManyRecords => self.fetch_many(client, asking).await,
                };
                let stop = match &result {
                    Ok((runs, late)) => *late || runs.iter().all(|(_, batch)| batch.is_empty()),
                    Err(_) => true,
                };
                for (origin, batch) in result.iter().flat_map(|(runs, _)| runs) {
                    if let Some(p) = open.iter_mut().find(|p| &p.origin == origin) {
                        p.ours += batch.len() as u64;
                    }
                }
                slot.send((asked, result));
                if stop {
                    break;
                }
            }
        };
        let verifying = async move {
            while let Ok(slot) = to_store.reserve().await {
                let Some((asked, result)) = fetched.recv().await else { break };
                let verified = match result {
                    // The runs of origins that broke meanwhile are not verified: they are dropped.
                    Ok((runs, late)) => {
                        let runs = runs.into_iter().filter(|(o, _)| !is_broken(o)).collect();
                        self.verified_many((runs, late)).await
                    }
                    Err(e) => Err(e),
                };
                slot.send((asked, verified));
            }
        };
        let storing = async move {
            while let Some((asked, result)) = verified.recv().await {
                // A call made before every origin it asked for broke brought records that follow
                // one this node does not hold: whatever it brought, and however it failed or ran
                // late, is dropped, as the pull of those origins has ended.
                if asked.iter().all(&is_broken) {
                    continue;
                }
                let (runs, late) = result?;
                if runs.is_empty() {
                    if late {
                        return Err(self.late(call.name()).into());
                    }
                    break;
                }
                let mut accepted = 0;
                for (origin, batch, opened) in runs {
                    if is_broken(&origin) {
                        continue;
                    }
                    let from = self.node.log.size(&origin);
                    let expected = from + batch.len() as u64;
                    let fetched = self.append(peer, &origin, batch, opened).await?;
                    self.report(peer, &origin, &fetched);
                    // Only membership records change what the membership reads; the rest
                    // (releases, the bulk of a log) need not be read again.
                    if fetched.membership > 0 {
                        self.node.observe(&origin, from).map_err(|e| {
                            SyncError::Local(format!("reading {origin}'s new records: {e}"))
                        })?;
                    }
                    accepted += fetched.accepted;
                    if self.node.log.size(&origin) != expected {
                        broken.lock().unwrap_or_else(|p| p.into_inner()).insert(origin);
                    }
                }
                if late {
                    return Err(self.late_kept(call.name(), accepted));
                }
            }
            Ok(())
        };
        let ((), (), stored) = tokio::join!(fetching, verifying, storing);
        stored
    }

    /// One `GetManyRecords` call for the origins of `open` (at most `MAX_ORIGINS_PER_CALL`) from
    /// where this node stands, within `peer_timeout_ms` with its streamed reply: each origin's
    /// records, and whether the deadline cut the reply short. A reply naming an origin not asked for, or a run that does not start
    /// where the origin's last one ended, is refused as the peer's fault.
    async fn fetch_many(
        &self,
        client: &mut FederationClient<Channel>,
        open: &[Pull],
    ) -> Result<Fetched, SyncError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let request = pb::GetManyRecordsRequest {
            origins: open
                .iter()
                .map(|p| pb::OriginPosition { origin: p.origin.to_string(), from_seq: p.ours })
                .collect(),
            limit: MAX_RECORDS_PER_CALL as u32,
        };
        let mut stream = tokio::time::timeout_at(deadline, client.get_many_records(request))
            .await
            .map_err(|_| self.late("GetManyRecords"))??
            .into_inner();
        let mut runs: Vec<(MemberId, Vec<pb::SignedRecord>)> = Vec::new();
        let mut total = 0;
        loop {
            let run = match tokio::time::timeout_at(deadline, stream.message()).await {
                Err(_) => return Ok((runs, true)),
                Ok(message) => match message? {
                    Some(run) => run,
                    None => return Ok((runs, false)),
                },
            };
            let refused = |what: String| SyncError::malformed("GetManyRecords", what);
            let Some(asked) = open.iter().find(|p| p.origin.as_str() == run.origin) else {
                return Err(refused(format!(
                    "records of {:?}, which were not asked for",
                    run.origin
                )));
            };
            let next = match runs.last() {
                Some((o, batch)) if *o == asked.origin => asked.ours + batch.len() as u64,
                _ if runs.iter().any(|(o, _)| *o == asked.origin) => {
                    return Err(refused(format!("{}'s records came in two places", asked.origin)));
                }
                _ => {
                    runs.push((asked.origin.clone(), Vec::new()));
                    asked.ours
                }
            };
            if run.from_seq != next {
                return Err(refused(format!(
                    "{}'s records from {} where {next} was next",
                    asked.origin, run.from_seq
                )));
            }
            total += run.records.len();
            // Unwrap safety: the origin's run was found or pushed just above.
            runs.last_mut().expect("a run").1.extend(run.records);
            if total >= MAX_RECORDS_PER_CALL {
                return Ok((runs, false));
            }
        }
    }

    /// Each origin's fetched records with their signatures verified (`record::open_many_heads`,
    /// off the async executor) against the keys the origin has now.
    async fn verified_many(
        &self,
        (runs, late): Fetched,
    ) -> Result<(Vec<VerifiedRun>, bool), SyncError> {
        let runs: Vec<_> = runs
            .into_iter()
            .filter(|(_, batch)| !batch.is_empty())
            .map(|(origin, batch)| {
                let keys = self.node.keys_of(&origin);
                (origin, batch, keys)
            })
            .collect();
        let verified = tokio::task::spawn_blocking(move || {
            runs.into_iter()
                .map(|(origin, batch, keys)| {
                    let opened = crate::record::open_many_heads(&batch, &origin, &keys);
                    (origin, batch, opened)
                })
                .collect()
        })
        .await
        .map_err(|e| SyncError::Local(format!("verifying records: {e}")))?;
        Ok((verified, late))
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
