//! Pull-based anti-entropy (gossip): every interval, ask the next `peers_per_round` members, in
//! this node's own order, for the records they hold that this node lacks, for every origin (so
//! records travel through any reachable member), verify them before storing, check and
//! countersign tree heads, and compare witness statements.
//!
//! Bounded: at most `MAX_RECORDS_PER_CALL` records per call and `MAX_ROUNDS` calls per origin
//! and sync, 4 MiB per message, a timeout per call, a number of witness signatures verified per
//! sync, and exponential backoff per peer.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use tonic::transport::Channel;
use tracing::{debug, info, instrument, warn};

use crate::{
    clock,
    identity::MemberId,
    log::HeadCheck,
    node::Node,
    pb::{self, federation_client::FederationClient},
    peers::{self, tls},
    service::federation::MAX_RECORDS_PER_CALL,
    shutdown::Stopper,
};

/// Largest message accepted from a peer.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Calls per origin in one sync; the rest waits for the next interval.
pub const MAX_ROUNDS: usize = 100;
/// Longest wait between attempts on an unreachable peer.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Documents fetched from one peer per sync round.
pub const MAX_BODIES_PER_SYNC: usize = 16;
/// Every this many syncs, a peer's witness statements about one more origin (each in turn) are
/// read; those about an origin it reported changed are read at once.
pub const WITNESS_EVERY: u64 = 10;
/// Origins whose witness statements are read in one sync with a peer (the peer's own log first,
/// the others in turn): when every member of a large federation publishes at once, each sync
/// reads a few and the next syncs the rest.
pub const WITNESS_ORIGINS_PER_SYNC: usize = 4;
/// Witness signatures verified in one sync with a peer (the peer's own statements first);
/// statements left over arrive again with later syncs. Without a bound, one release from each
/// of n members costs every node n² verifications at once.
pub const WITNESS_VERIFICATIONS_PER_SYNC: usize = 32;

/// Reads chunks sent from the async side, on a blocking thread.
struct BlockingChunks {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl std::io::Read for BlockingChunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.buf = chunk;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The worker that keeps this node's copies of the members' logs up to date.
pub struct PeerSyncer {
    node: Arc<Node>,
    interval: Duration,
    timeout: Duration,
    channels: BTreeMap<MemberId, (String, Channel)>,
    /// The store refused writes at the last round (a full disk): syncing waits for space.
    paused: bool,
    /// One lock per origin: peers are synced concurrently, and only one of them at a time
    /// pulls a given origin's records (two pulls from one position would look like replays).
    origins: std::sync::Mutex<BTreeMap<MemberId, Arc<tokio::sync::Mutex<()>>>>,
    /// The documents the logs held publish, read incrementally.
    documents: Arc<std::sync::Mutex<Documents>>,
    /// Where the next round starts in this node's order of the members.
    cursor: usize,
    /// Whether the warning that members cannot all be reached within `stale_after_ms` was given.
    warned_cycle: bool,
}

/// The publications and withdrawals in each origin's log, read up to `next`.
#[derive(Default)]
struct OriginDocuments {
    next: u64,
    events: Vec<crate::artefact::Event>,
    /// Log position and body hash of each publication.
    bodies: Vec<(u64, [u8; 32])>,
}

/// What the logs held say about documents, kept up to date incrementally.
#[derive(Default)]
struct Documents {
    origins: BTreeMap<MemberId, OriginDocuments>,
}

impl Documents {
    /// Reads the records appended since the last call; returns the bodies of publications not
    /// withdrawn that are not held (sorted, without duplicates).
    fn wanted(&mut self, node: &Node) -> Vec<[u8; 32]> {
        let mut wanted = Vec::new();
        for (origin, size, _) in node.log.origins() {
            let docs = self.origins.entry(origin.clone()).or_default();
            if docs.next < size {
                let OriginDocuments { next, events, bodies } = docs;
                *next = crate::analysis::document_events(node, &origin, *next, |seq, e, p| {
                    if let Some(hash) =
                        p.and_then(|(p, _)| <[u8; 32]>::try_from(p.body_sha256.as_slice()).ok())
                    {
                        bodies.push((seq, hash));
                    }
                    events.push(e);
                });
            }
            if docs.bodies.is_empty() {
                continue;
            }
            let states = crate::artefact::states(&docs.events);
            for (seq, hash) in &docs.bodies {
                let withdrawn =
                    matches!(states.get(seq), Some(crate::artefact::State::Withdrawn(_)));
                if !withdrawn && !node.blobs.has(hash) {
                    wanted.push(*hash);
                }
            }
        }
        wanted.sort();
        wanted.dedup();
        wanted
    }
}

/// Peers synced at the same time in one round: an unreachable or slow member holds up only its
/// own slot, so the others stay fresh.
pub const CONCURRENT_PEERS: usize = 8;

impl PeerSyncer {
    /// A syncer for `node` with its configured interval and timeout.
    pub fn new(node: Arc<Node>) -> Self {
        let interval = Duration::from_millis(node.config.federation.sync_interval_ms);
        let timeout = Duration::from_millis(node.config.federation.peer_timeout_ms);
        Self {
            node,
            interval,
            timeout,
            channels: BTreeMap::new(),
            paused: false,
            origins: Default::default(),
            documents: Default::default(),
            cursor: 0,
            warned_cycle: false,
        }
    }

    /// Syncs every interval until stopped.
    pub async fn run(mut self, stopper: Stopper) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while stopper.run_until_stopped(tick.tick()).await.is_some() {
            if stopper.run_until_stopped(self.sync_all()).await.is_none() {
                break;
            }
        }
        debug!("peer syncer stopped");
    }

    /// One round: the next `peers_per_round` trusted members in this node's order (every member
    /// when the federation is that small), skipping those backing off.
    pub async fn sync_all(&mut self) {
        // A node whose store refuses writes cannot keep what peers send: it waits for space
        // (no peer is blamed or backed off for it) and serves what it holds meanwhile.
        match self.node.log.store().writable() {
            Err(e) => {
                if !self.paused {
                    warn!(error = %e, "peer sync paused: the store refuses writes");
                }
                self.paused = true;
                return;
            }
            Ok(()) if self.paused => {
                info!("peer sync resumed: the store accepts writes again");
                self.paused = false;
            }
            Ok(()) => {}
        }
        let own = self.node.log.own().clone();
        let peers = round_order(&own, self.node.membership().trusted());
        let per_round = (self.node.config.federation.peers_per_round as usize).max(1);
        self.warn_if_cycle_too_long(peers.len(), per_round);
        let wanted = std::sync::Mutex::new(self.wanted_bodies().await);
        let mut due = Vec::new();
        let start = self.cursor % peers.len().max(1);
        let mut walked = 0;
        for (id, card) in peers.iter().cycle().skip(start).take(peers.len()) {
            if due.len() == per_round {
                break;
            }
            walked += 1;
            let state = self.node.peers.get(id);
            if state.retry_at.is_some_and(|t| tokio::time::Instant::now() < t) {
                continue;
            }
            let client = self.client(id, &card.endpoint);
            due.push((id.clone(), client));
        }
        self.cursor = start + walked;
        // Each peer's outcome is recorded as soon as its sync ends, not at the end of the round:
        // a long round must not make the members synced early in it look stale.
        let failed: Vec<MemberId> = {
            use futures_util::StreamExt;
            let this = &*self;
            let wanted = &wanted;
            futures_util::stream::iter(due)
                .map(|(id, client)| async move {
                    let result = match client {
                        Ok(client) => this.sync_peer(client, &id, wanted).await,
                        Err(e) => Err(e),
                    };
                    this.record_outcome(&id, result).then_some(id)
                })
                .buffer_unordered(CONCURRENT_PEERS)
                .filter_map(std::future::ready)
                .collect()
                .await
        };
        for id in failed {
            self.channels.remove(&id);
        }
    }

    /// Warns once when reaching every member in turn takes longer than `stale_after_ms`: answers
    /// would then call members stale that are only waiting for their turn.
    fn warn_if_cycle_too_long(&mut self, peers: usize, per_round: usize) {
        let fed = &self.node.config.federation;
        let cycle_ms = peers.div_ceil(per_round) as u64 * fed.sync_interval_ms;
        if cycle_ms > fed.stale_after_ms && !self.warned_cycle {
            warn!(
                peers,
                peers_per_round = per_round,
                cycle_ms,
                stale_after_ms = fed.stale_after_ms,
                "members are synced in turn less often than stale_after_ms: raise peers_per_round \
                 or stale_after_ms"
            );
        }
        self.warned_cycle = cycle_ms > fed.stale_after_ms;
    }

    /// Records how one peer's sync ended in its state and the metrics; true when it failed.
    fn record_outcome(&self, id: &MemberId, result: Result<(), SyncError>) -> bool {
        match result {
            Err(SyncError::Local(e)) => {
                // This node's own fault: the peer is neither counted nor backed off.
                tracing::error!(peer = %id, error = %e, "sync stopped by a local error");
                false
            }
            Ok(()) => {
                self.node.peers.update(id, |p| {
                    p.syncs += 1;
                    p.reachable = true;
                    p.last_sync_unix_ms = clock::now_unix_ms();
                    p.last_error.clear();
                    p.failures = 0;
                    p.retry_at = None;
                });
                false
            }
            Err(SyncError::Peer(status)) => {
                self.node.log.metrics().sync_failed(id.as_str(), code_label(status.code()));
                let e = format!("{}: {}", status.code(), status.message());
                self.node.peers.update(id, |p| {
                    p.reachable = false;
                    p.failures = p.failures.saturating_add(1);
                    let backoff =
                        (self.interval * 2u32.saturating_pow(p.failures.min(16))).min(MAX_BACKOFF);
                    p.retry_at = Some(tokio::time::Instant::now() + backoff);
                    if p.last_error != e {
                        warn!(peer = %id, error = %e, ?backoff, "peer sync failed");
                    }
                    p.last_error = e;
                });
                true
            }
        }
    }

    fn client(
        &mut self,
        id: &MemberId,
        endpoint: &str,
    ) -> Result<FederationClient<Channel>, SyncError> {
        let fresh = self.channels.get(id).is_none_or(|(e, _)| e != endpoint);
        if fresh {
            let config = tls::client_config(&self.node.tls, self.node.pins.clone())
                .map_err(|e| SyncError::Local(format!("TLS client configuration: {e}")))?;
            let channel = peers::connect(endpoint, id, config, self.timeout)
                .map_err(tonic::Status::invalid_argument)?;
            self.channels.insert(id.clone(), (endpoint.to_owned(), channel));
        }
        // Unwrap safety: inserted just above when absent.
        let channel = self.channels[id].1.clone();
        Ok(FederationClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES))
    }

    /// One sync with one peer: its origins, then, for each origin it reports differently from
    /// the last check, the records this node lacks and its tree head; its witness statements
    /// when anything changed (or every `WITNESS_EVERY` syncs); documents still wanted.
    #[instrument(skip_all, fields(peer = %id))]
    async fn sync_peer(
        &self,
        mut client: FederationClient<Channel>,
        id: &MemberId,
        wanted: &std::sync::Mutex<Vec<[u8; 32]>>,
    ) -> Result<(), SyncError> {
        let before = self.node.peers.get(id);
        let mut checked = before.checked.clone();
        let mut changed = false;
        let mut changed_origins = Vec::new();
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
            changed = true;
            changed_origins.push(origin.clone());
            let lock = self.origin_lock(&origin);
            let pulling = lock.lock().await;
            self.pull(&mut client, id, &origin, summary.size).await?;
            drop(pulling);
            // Another origin's head relayed by this peer tells nothing new when a head at least
            // that large is held and the peer's root at its size is the root of the records held
            // here (no split view to find); the peer's own head is always read and countersigned.
            let agrees = &origin != id
                && self.node.log.tree_head(&origin).is_ok_and(|h| h.size >= reported.0)
                && self
                    .node
                    .log
                    .root_at(&origin, reported.0)
                    .is_some_and(|r| r[..] == reported.1[..]);
            let head = if agrees {
                None
            } else {
                let request = pb::GetTreeHeadRequest { origin: origin.to_string() };
                Some(self.within("GetTreeHead", client.get_tree_head(request)).await)
            };
            if let Some(Ok(head)) = head {
                let bytes = prost::Message::encode_to_vec(&head.into_inner());
                let keys = self.node.keys_of(&origin);
                match self.node.log.check_foreign_head(
                    &origin,
                    &bytes,
                    &keys,
                    id,
                    clock::now_unix_ms(),
                ) {
                    Ok(HeadCheck::Conflict) => {
                        warn!(%origin, "tree head contradicts the records held")
                    }
                    // A member relaying an older head of another origin is normal; the origin
                    // itself going back behind a head it signed is not.
                    Ok(HeadCheck::Behind(held)) if &origin == id => {
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
            checked.insert(origin, reported);
        }
        // Witness statements about the origins that changed (at most `WITNESS_ORIGINS_PER_SYNC`),
        // and about one more origin in turn every `WITNESS_EVERY` syncs: one call per origin, so
        // a reply holds one statement per member (every origin's would be members squared).
        let mut about = witness_origins(changed_origins, id, before.syncs);
        if before.syncs.is_multiple_of(WITNESS_EVERY) && !sizes.is_empty() {
            let turn = (before.syncs / WITNESS_EVERY) as usize % sizes.len();
            if let Some(origin) = sizes.keys().nth(turn).filter(|o| !about.contains(o)) {
                about.push(origin.clone());
            }
        }
        let mut verifications = WITNESS_VERIFICATIONS_PER_SYNC;
        for origin in &about {
            let request = pb::GetWitnessStatementsRequest { origin: origin.to_string() };
            let mut statements = self
                .within("GetWitnessStatements", client.get_witness_statements(request))
                .await?
                .into_inner()
                .statements;
            statements.truncate(10_000);
            // The peer's own statement first: it is the one this sync is sure to be about.
            statements.sort_by_key(|s| {
                prost::Message::decode(s.body.as_slice())
                    .map_or(true, |b: pb::WitnessStatement| b.witness != id.as_str())
            });
            for s in &statements {
                let node = &self.node;
                if let Err(e) = node.log.check_witness_within(
                    s,
                    |w| node.keys_of(w),
                    id,
                    clock::now_unix_ms(),
                    &mut verifications,
                ) {
                    debug!(error = %e, "witness statement not kept");
                }
            }
        }
        if changed {
            // New records may publish documents this round's list did not know of yet.
            let fresh = self.wanted_bodies().await;
            *wanted.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
        let still: Vec<[u8; 32]> = {
            let mut w = wanted.lock().unwrap_or_else(|p| p.into_inner());
            w.retain(|h| !self.node.blobs.has(h));
            w.clone()
        };
        if !still.is_empty() {
            self.fetch_bodies(&mut client, id, &still).await;
        }
        self.node.peers.update(id, |p| {
            p.sizes = sizes;
            p.checked = checked;
        });
        Ok(())
    }

    /// The lock held while pulling `origin`'s records.
    fn origin_lock(&self, origin: &MemberId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.origins.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(origin.clone()).or_default().clone()
    }

    /// Runs one unary call to a peer within `peer_timeout_ms`, its reply's body included (the
    /// channel's own timeout ends when the reply's headers arrive).
    async fn within<T>(
        &self,
        call: &str,
        reply: impl Future<Output = Result<T, tonic::Status>>,
    ) -> Result<T, tonic::Status> {
        tokio::time::timeout(self.timeout, reply).await.map_err(|_| self.late(call))?
    }

    /// The error of a call that took longer than `peer_timeout_ms`.
    fn late(&self, call: &str) -> tonic::Status {
        tonic::Status::deadline_exceeded(format!(
            "{call} took longer than {} ms (federation.peer_timeout_ms)",
            self.timeout.as_millis()
        ))
    }

    /// Documents this node should hold and does not yet: bodies of current or superseded
    /// publications that are missing or failed verification. Each record is read once: the
    /// publications and withdrawals seen so far are kept per origin, and only records appended
    /// since are decoded (listing from scratch decoded every record held once per changed peer,
    /// which grew with the cube of the members).
    async fn wanted_bodies(&self) -> Vec<[u8; 32]> {
        let (node, documents) = (self.node.clone(), self.documents.clone());
        tokio::task::spawn_blocking(move || {
            documents.lock().unwrap_or_else(|p| p.into_inner()).wanted(&node)
        })
        .await
        .unwrap_or_default()
    }

    /// Fetches artefact bodies this node lacks from the peer, verifying each against its hash.
    async fn fetch_bodies(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        wanted: &[[u8; 32]],
    ) {
        for &hash in wanted.iter().take(MAX_BODIES_PER_SYNC) {
            let request = pb::GetBlobRequest { sha256: hash.to_vec() };
            let Ok(resp) = self.within("GetBlob", client.get_blob(request)).await else {
                continue;
            };
            let mut stream = resp.into_inner();
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
            let node = self.node.clone();
            let limit = node.config.artefacts.max_bytes;
            let writer = tokio::task::spawn_blocking(move || {
                let reader = BlockingChunks { rx, buf: Vec::new(), pos: 0 };
                node.blobs.put(reader, limit, Some(&hash), &mut Vec::new())
            });
            // A document may be large, so its call has no deadline as a whole, but each chunk
            // must come within `peer_timeout_ms`: a stalled transfer is dropped, not waited on.
            while let Ok(Ok(Some(chunk))) =
                tokio::time::timeout(self.timeout, stream.message()).await
            {
                if tx.send(chunk.data).is_err() {
                    break;
                }
            }
            drop(tx);
            match writer.await {
                Ok(Ok(_)) => {
                    info!(peer = %peer, sha256 = %hex::encode(hash), "fetched and verified a document")
                }
                Ok(Err(e)) => {
                    self.node.log.metrics().record_rejected(peer.as_str(), "document");
                    warn!(peer = %peer, sha256 = %hex::encode(hash), error = %e, "refused a document from a peer");
                }
                Err(_) => {}
            }
        }
    }

    /// Fetches the records of `origin` this node lacks, up to the peer's size. The next batch is
    /// on its way while the last one is verified and stored.
    async fn pull(
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
        let mut next = self.fetch(client, origin, ours).await?;
        for _ in 0..MAX_ROUNDS {
            let (batch, late) = next;
            if batch.is_empty() {
                if late {
                    return Err(self.late("GetRecords").into());
                }
                break;
            }
            let n = batch.len() as u64;
            let more = !late && ours + n < their_size;
            let (appended, prefetched) = tokio::join!(self.append(peer, origin, batch), async {
                if more { Some(self.fetch(client, origin, ours + n).await) } else { None }
            });
            let fetched = appended?;
            self.report(peer, origin, &fetched);
            if fetched.accepted > 0 {
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
    async fn fetch(
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

    /// Verifies and stores a batch of `origin`'s records off the async executor.
    async fn append(
        &self,
        peer: &MemberId,
        origin: &MemberId,
        batch: Vec<pb::SignedRecord>,
    ) -> Result<crate::log::Fetched, SyncError> {
        let keys = self.node.keys_of(origin);
        let node = self.node.clone();
        let (origin2, peer2) = (origin.clone(), peer.clone());
        tokio::task::spawn_blocking(move || {
            node.log.append_foreign(&origin2, &batch, &keys, &peer2, clock::now_unix_ms())
        })
        .await
        .map_err(|e| SyncError::Local(format!("appending {origin}'s records: {e}")))?
        .map_err(|e| SyncError::Local(format!("appending {origin}'s records: {e}")))
    }

    /// Counts and logs what a batch brought: records replicated and refused, skewed dates.
    fn report(&self, peer: &MemberId, origin: &MemberId, fetched: &crate::log::Fetched) {
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

/// The trusted members other than `own`, in this node's own order: sorted by a hash of both
/// names, so that each node walks the federation in a different order and records spread as in
/// random gossip, while every member still comes round once per cycle.
fn round_order<C>(
    own: &MemberId,
    trusted: impl IntoIterator<Item = (MemberId, C)>,
) -> Vec<(MemberId, C)> {
    use std::hash::{Hash, Hasher};
    let mut peers: Vec<(u64, MemberId, C)> = trusted
        .into_iter()
        .filter(|(id, _)| id != own)
        .map(|(id, card)| {
            let mut h = std::hash::DefaultHasher::new();
            (own.as_str(), id.as_str()).hash(&mut h);
            (h.finish(), id, card)
        })
        .collect();
    peers.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    peers.into_iter().map(|(_, id, card)| (id, card)).collect()
}

/// The origins whose witness statements one sync reads, of those the peer reported changed: the
/// peer's own first, then up to [`WITNESS_ORIGINS_PER_SYNC`] in all, rotating with the sync count.
fn witness_origins(mut changed: Vec<MemberId>, peer: &MemberId, syncs: u64) -> Vec<MemberId> {
    if changed.len() <= WITNESS_ORIGINS_PER_SYNC {
        return changed;
    }
    let mut about = Vec::with_capacity(WITNESS_ORIGINS_PER_SYNC);
    if let Some(at) = changed.iter().position(|o| o == peer) {
        about.push(changed.remove(at));
    }
    let start = syncs as usize % changed.len();
    about.extend(
        changed.iter().cycle().skip(start).take(WITNESS_ORIGINS_PER_SYNC - about.len()).cloned(),
    );
    about
}

/// How one peer's sync failed: through the peer (a refusal, a bad or late reply), which counts
/// against it and backs it off, or through this node itself (its store), which does neither.
#[derive(Debug)]
enum SyncError {
    Peer(tonic::Status),
    Local(String),
}

impl From<tonic::Status> for SyncError {
    fn from(status: tonic::Status) -> Self {
        Self::Peer(status)
    }
}

/// The metric label of a gRPC status code.
fn code_label(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "ok",
        Cancelled => "cancelled",
        Unknown => "unknown",
        InvalidArgument => "invalid_argument",
        DeadlineExceeded => "deadline_exceeded",
        NotFound => "not_found",
        AlreadyExists => "already_exists",
        PermissionDenied => "permission_denied",
        ResourceExhausted => "resource_exhausted",
        FailedPrecondition => "failed_precondition",
        Aborted => "aborted",
        OutOfRange => "out_of_range",
        Unimplemented => "unimplemented",
        Internal => "internal",
        Unavailable => "unavailable",
        DataLoss => "data_loss",
        Unauthenticated => "unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_failure_code_is_counted_from_zero() {
        use tonic::Code::*;
        let codes = [
            Cancelled,
            Unknown,
            InvalidArgument,
            DeadlineExceeded,
            NotFound,
            AlreadyExists,
            PermissionDenied,
            ResourceExhausted,
            FailedPrecondition,
            Aborted,
            OutOfRange,
            Unimplemented,
            Internal,
            Unavailable,
            DataLoss,
            Unauthenticated,
        ];
        let labels: Vec<&str> = codes.into_iter().map(super::code_label).collect();
        assert_eq!(labels, crate::metrics::SYNC_CODES);
    }

    use super::*;

    fn ids(names: &[&str]) -> Vec<MemberId> {
        names.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn each_node_walks_every_other_member_in_its_own_order() {
        let all = ids(&["BEBRU", "IEDUB", "BGSOF", "ALTIA", "NLAMS", "PTLIS", "FIHEL", "DEBER"]);
        let order = |own: &MemberId| -> Vec<MemberId> {
            round_order(own, all.iter().map(|id| (id.clone(), ())))
                .into_iter()
                .map(|p| p.0)
                .collect()
        };
        let (a, b) = (order(&all[0]), order(&all[1]));
        for (own, o) in [(&all[0], &a), (&all[1], &b)] {
            assert_eq!(o.len(), all.len() - 1);
            assert!(!o.contains(own));
            let mut sorted = o.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), all.len() - 1, "each member once");
        }
        let common: Vec<_> = a.iter().filter(|m| b.contains(m)).cloned().collect();
        let b_common: Vec<_> = b.iter().filter(|m| a.contains(m)).cloned().collect();
        assert_ne!(common, b_common, "two nodes walk the members in different orders");
        assert_eq!(order(&all[0]), a, "a node keeps its order from round to round");
    }

    #[test]
    fn witness_reads_are_bounded_and_start_with_the_peer_own_log() {
        let changed = ids(&["BEBRU", "IEDUB", "BGSOF", "ALTIA", "NLAMS", "PTLIS", "FIHEL"]);
        let peer: MemberId = "NLAMS".parse().unwrap();
        let few = witness_origins(changed[..3].to_vec(), &peer, 5);
        assert_eq!(few, changed[..3], "a few changed origins are all read");
        let mut seen = std::collections::BTreeSet::new();
        for syncs in 0..10 {
            let about = witness_origins(changed.clone(), &peer, syncs);
            assert_eq!(about.len(), WITNESS_ORIGINS_PER_SYNC);
            assert_eq!(about[0], peer);
            seen.extend(about);
        }
        assert_eq!(seen.len(), changed.len(), "the others come in turn");
    }
}
