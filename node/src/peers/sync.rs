//! Pull-based anti-entropy (gossip): every interval, ask the next `peers_per_round` members, in
//! this node's own order, for the records they hold that this node lacks, for every origin (so
//! records travel through any reachable member), verify them before storing, check and
//! countersign tree heads, and compare witness statements.
//!
//! Bounded: at most `MAX_RECORDS_PER_CALL` records per call and `MAX_ROUNDS` calls per origin
//! and sync, 4 MiB per message, a timeout per call, a number of witness signatures verified per
//! sync, and exponential backoff per peer.
//!
//! Here: the worker's rounds, one peer's sync (`sync_peer`: three sub-protocols in order) and
//! its outcome; `records`, `witness` and `documents`: the sub-protocols.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use tonic::transport::Channel;
use tracing::{debug, info, instrument, warn};

mod documents;
mod records;
mod witness;

use crate::{
    clock,
    identity::MemberId,
    log::HeadCheck,
    node::Node,
    pb::{self, federation_client::FederationClient},
    peers::{self, tls},
    service::federation::{MAX_ORIGINS_PER_CALL, MAX_RECORDS_PER_CALL},
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
    /// Peers that answered `GetManyRecords` with UNIMPLEMENTED (nodes older than the call): they
    /// are pulled one origin per call until their connection is opened again.
    older: std::sync::Mutex<std::collections::BTreeSet<MemberId>>,
    /// Where the next round starts in this node's order of the members.
    cursor: usize,
    /// Whether the warning that members cannot all be reached within `stale_after_ms` was given.
    warned_cycle: bool,
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
            older: Default::default(),
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
        let trusted = self.node.trusted();
        let peers = round_order(&own, trusted.iter().map(|(id, card)| (id.clone(), card.clone())));
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
            // A peer that failed may come back upgraded: its next connection asks again.
            self.older.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
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
        let (sizes, checked, changed) =
            self.sync_records(&mut client, id, before.checked.clone()).await?;
        let fresh = !changed.is_empty();
        self.sync_witness(&mut client, id, changed, &sizes, before.syncs).await?;
        self.sync_documents(&mut client, id, wanted, fresh).await;
        self.node.peers.update(id, |p| {
            p.sizes = sizes;
            p.checked = checked;
        });
        Ok(())
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

    /// The error of a records call cut short by `peer_timeout_ms` after it brought `kept`
    /// records, which were stored.
    fn late_kept(&self, call: &str, kept: u64) -> SyncError {
        let e = self.late(call);
        SyncError::Peer(tonic::Status::deadline_exceeded(format!(
            "{}; the {kept} records it brought were kept",
            e.message()
        )))
    }

    /// The error of a call that took longer than `peer_timeout_ms`.
    fn late(&self, call: &str) -> tonic::Status {
        tonic::Status::deadline_exceeded(format!(
            "{call} took longer than {} ms (federation.peer_timeout_ms)",
            self.timeout.as_millis()
        ))
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

/// What a peer reported of each origin when it was last pulled and checked: size and root.
type Checked = BTreeMap<MemberId, (u64, Vec<u8>)>;

/// How one peer's sync failed: through the peer (a refusal, a bad or late reply), which counts
/// against it and backs it off, or through this node itself (its store), which does neither.
#[derive(Debug)]
enum SyncError {
    Peer(tonic::Status),
    Local(String),
}

impl SyncError {
    /// A peer's reply to `call` that does not hold what was asked for (INTERNAL, as a reply
    /// that does not decode is).
    fn malformed(call: &str, what: String) -> Self {
        Self::Peer(tonic::Status::internal(format!("{call} reply: {what}")))
    }
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

    use super::{witness::witness_origins, *};

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
