//! The signed log: the city's own append-only, hash-chained log and the logs it holds of others,
//! with their Merkle trees, signed tree heads and proofs.
//!
//! Opening a log rebuilds each origin's Merkle tree from the leaf hashes the store's index
//! keeps and checks its root against the origin's signed tree head; records past the head (or
//! the index) are read and verified by their own signatures. So a node never serves a log it
//! could not prove, and start-up reads no record body under a head. A body not read since the
//! log was opened is checked against its leaf hash when it is read for a reader or a peer, so
//! one the disk changed while the node was down is never decoded or served as the log's; the
//! node reads every record in the background once it serves. Appends are durable before they
//! are acknowledged. Here: the own log (open, append, tree heads); `read`: decoded records for
//! the read models, served records and proofs; `replica`: other origins' records and heads from
//! peers; `witness`: cosigning heads and checking cosignatures; `verify`: replay at open and
//! offline verification.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
};

use prost::{Message, bytes::Bytes};

mod read;
mod replica;
mod verify;
mod witness;

use read::payload_kind;
pub use read::{Held, kind};
use verify::replay;
pub use verify::{
    Verify, check_tree_head, check_tree_head_any, decode_tree_head, verify_chain, verify_chain_any,
};

use crate::{
    budget::Milli,
    identity::{Domain, MemberId, NodeId, NodeKey},
    merkle::{self, Hash, MerkleTree, ProofError},
    pb,
    record::{self, GENESIS_PREV, Record, RecordError},
    store::{self, Store},
};

/// Why a log operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A stored or received record did not verify.
    #[error("record {origin}/{seq}: {source}")]
    BadRecord {
        /// The log.
        origin: MemberId,
        /// The record's position.
        seq: u64,
        /// What was wrong.
        source: RecordError,
    },
    /// A stored or received tree head did not verify.
    #[error("tree head of {origin}: {reason}")]
    BadTreeHead {
        /// The log.
        origin: MemberId,
        /// What was wrong.
        reason: String,
    },
    /// A stored record's body no longer makes the leaf hash its log holds (the disk changed it):
    /// it is not read.
    #[error(
        "record {origin}/{seq}: the stored body does not match its leaf hash (damaged on disk; `metronode verify` names the first bad record)"
    )]
    Damaged {
        /// The log.
        origin: MemberId,
        /// The record's position.
        seq: u64,
    },
    /// The node holds records of an origin whose key it does not know.
    #[error("records of {0} are stored, but no signing key is known for that member")]
    UnknownOrigin(MemberId),
    /// The node holds no log of that origin.
    #[error("no log of {0} is held here")]
    NoSuchOrigin(MemberId),
    /// A release would spend more privacy budget than is left; the message says how much.
    #[error("{0}")]
    BudgetExceeded(String),
    /// A proof was asked for sizes or positions the log does not have.
    #[error("{0}")]
    Proof(#[from] ProofError),
}

/// A verified signed tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// The log.
    pub origin: MemberId,
    /// Records covered.
    pub size: u64,
    /// Merkle tree hash at `size`.
    pub root: Hash,
    /// When it was signed (ms since the Unix epoch).
    pub timestamp_unix_ms: i64,
    /// The encoded `pb::SignedTreeHead`, as signed.
    pub signed: Vec<u8>,
}

/// What a batch of fetched records did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Records verified and stored.
    pub accepted: u64,
    /// Why records were refused.
    pub rejected: Vec<Rejected>,
    /// New pieces of evidence kept.
    pub evidence: u64,
    /// Stored records dated more than `clock::MAX_SKEW_MS` ahead of this node's clock.
    pub dated_ahead: u64,
    /// How far ahead the furthest of them was dated (ms).
    pub max_ahead_ms: i64,
    /// Stored records dated before the record preceding them in their log.
    pub dated_backwards: u64,
    /// Membership records (manifest proposals and approvals) among the stored ones: only then
    /// has the membership anything new to read.
    pub membership: u64,
}

/// One record refused from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The metric label: a `RecordError` label, "replayed" or "fork".
    pub reason: &'static str,
    /// What was wrong, naming origin and position.
    pub detail: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// What a peer's tree head told.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadCheck {
    /// It matches the records held; the countersignature this node made.
    Consistent(Box<pb::SignedWitnessStatement>),
    /// It covers records not held yet (its size).
    Ahead(u64),
    /// It matches the records held but is older than the head held (that head's size): not
    /// adopted and not countersigned, so this node's witness statement never goes backwards.
    Behind(u64),
    /// It contradicts the records held: evidence kept.
    Conflict,
}

/// What another witness's statement told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WitnessCheck {
    /// Badly signed or malformed: ignored.
    Invalid,
    /// This node's own statement.
    Own,
    /// Consistent with the records held, or not checkable yet: kept.
    Kept,
    /// A different root at a size held: evidence kept.
    SplitView,
    /// Not held, and this check's verifications were spent: neither kept nor judged.
    Deferred,
}

/// The acknowledgement of a durable append.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The new record.
    pub record: Record,
    /// A tree head covering it.
    pub head: TreeHead,
}

/// One origin's log as held in memory: its Merkle tree and latest tree head.
#[derive(Debug, Default)]
struct Chain {
    tree: MerkleTree,
    head: Option<TreeHead>,
    /// When the last record held says it was issued, once read (ms since the Unix epoch).
    last_issued: Option<i64>,
    /// The root at the size it was computed for: `ListOrigins` answers every member's call with
    /// every origin's root, and most of them have not grown since.
    root_memo: Option<(u64, Hash)>,
    /// Records below this were read and their bodies checked against the tree since the log
    /// was opened (appended here, read at open, or by `check_every_signature`); bodies read
    /// from it on are checked against their leaf hashes as they are read.
    checked: u64,
}

/// What a node holds: its own log and (later) the logs of its peers.
#[derive(Debug)]
pub struct Log {
    store: Store,
    own: MemberId,
    key: NodeKey,
    /// Held across an append so sequence numbers are assigned once.
    chains: Mutex<BTreeMap<MemberId, Chain>>,
    /// The node's counters: every part of a node reaches them through its log.
    metrics: Arc<crate::metrics::Metrics>,
    /// The kinds of evidence held per origin, once read: every answer's coverage asks for
    /// every member's, and evidence is rare and only ever added (`keep_evidence` forgets the
    /// origin's entry).
    flags: Mutex<BTreeMap<MemberId, Vec<String>>>,
    /// How stored logs are verified as they are opened.
    verify: Verify,
}

// === impl Log ===

impl Log {
    /// The node's counters and histograms.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    /// Opens the log and re-verifies the node's own records and tree head
    /// (`Verify::CoveredByHead`). Writes nothing but the store's index, where it lacks or
    /// contradicts the records. Logs of other origins are loaded with
    /// `load_origin` once their keys are known.
    pub fn open(store: Store, own: MemberId, key: NodeKey) -> Result<Self, Error> {
        Self::open_verifying(store, own, key, Verify::CoveredByHead)
    }

    /// `open`, verifying the own log and every log loaded later as `verify` says.
    pub fn open_verifying(
        store: Store,
        own: MemberId,
        key: NodeKey,
        verify: Verify,
    ) -> Result<Self, Error> {
        let id = key.id();
        let stored_head = store.tree_head(&own)?;
        let (tree, head, checked) =
            replay(&store, &own, std::slice::from_ref(&id), stored_head.as_deref(), verify)?;
        // The own log's dates never go backwards: the next record is dated no earlier than the
        // last record or head signed, whatever the clock says after a restart.
        let last_record = match tree.size() {
            0 => None,
            n => issued_at(&store, &own, n - 1)?,
        };
        let last_issued = last_record.max(head.as_ref().map(|h| h.timestamp_unix_ms));
        let mut chains = BTreeMap::new();
        chains.insert(own.clone(), Chain { tree, head, last_issued, root_memo: None, checked });
        let metrics = Arc::default();
        let chains = Mutex::new(chains);
        Ok(Self { store, own, key, chains, metrics, flags: Default::default(), verify })
    }

    /// Origins with stored records that are not loaded yet.
    pub fn unloaded_origins(&self) -> Result<Vec<MemberId>, Error> {
        let chains = self.lock();
        Ok(self.store.origins()?.into_iter().filter(|o| !chains.contains_key(o)).collect())
    }

    /// Loads and re-verifies the stored log of another origin, against any of its keys.
    pub fn load_origin(&self, origin: &MemberId, keys: &[NodeId]) -> Result<(), Error> {
        let stored_head = self.store.tree_head(origin)?;
        let (tree, head, checked) =
            replay(&self.store, origin, keys, stored_head.as_deref(), self.verify)?;
        let chain = Chain { tree, head, last_issued: None, root_memo: None, checked };
        self.lock().insert(origin.clone(), chain);
        Ok(())
    }

    /// Verifies every signature of `origin`'s first `size` stored records again, and that they
    /// make `root`: what opening the log left to its tree head (`Verify::CoveredByHead`).
    pub fn check_every_signature(
        &self,
        origin: &MemberId,
        keys: &[NodeId],
        size: u64,
        root: &Hash,
    ) -> Result<(), Error> {
        let stored = self.stored(origin, 0).take(size as usize);
        let tree = verify_chain_any(stored, origin, keys)?;
        if tree.size() != size || tree.root(size)? != *root {
            return Err(Error::BadTreeHead {
                origin: origin.clone(),
                reason: format!("the records stored do not make the root held at size {size}"),
            });
        }
        if let Some(chain) = self.lock().get_mut(origin) {
            chain.checked = chain.checked.max(size);
        }
        Ok(())
    }

    /// Kinds of evidence held against an origin ("equivocation", "fork", ...).
    pub fn flags(&self, origin: &MemberId) -> Vec<String> {
        let mut held = self.flags.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kinds) = held.get(origin) {
            return kinds.clone();
        }
        let mut kinds: Vec<String> = match self.store.evidence(Some(origin)) {
            Ok(evidence) => evidence
                .iter()
                .filter_map(|e| pb::Evidence::decode(e.as_slice()).ok().map(|e| e.kind))
                .collect(),
            // Not remembered: the next call reads the store again.
            Err(_) => return Vec::new(),
        };
        kinds.sort();
        kinds.dedup();
        held.insert(origin.clone(), kinds.clone());
        kinds
    }

    /// Signs a fresh tree head of the own log if the stored one lags behind its records, which
    /// happens after a crash between an append and its tree head. Returns whether it signed.
    pub fn refresh_own_head(&self, now_unix_ms: i64) -> Result<bool, Error> {
        let mut chains = self.lock();
        let chain = chains.entry(self.own.clone()).or_default();
        let stale =
            chain.head.as_ref().map_or(chain.tree.size() > 0, |h| h.size < chain.tree.size());
        if stale {
            let now_unix_ms = own_date(chain, now_unix_ms);
            let head = self.sign_head(&chain.tree, now_unix_ms)?;
            self.store.put_tree_head(&self.own, &head.signed)?;
            chain.head = Some(head);
            chain.last_issued = Some(now_unix_ms);
        }
        Ok(stale)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<MemberId, Chain>> {
        // A panic while holding the lock leaves the in-memory tree possibly behind the store, never
        // ahead of it; continuing with the inner value is safe because appends re-read positions.
        self.chains.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The node's own member id.
    pub fn own(&self) -> &MemberId {
        &self.own
    }

    /// The public signing key of this node.
    pub fn node_id(&self) -> NodeId {
        self.key.id()
    }

    /// The store underneath, for flushing at shutdown.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Signs `payload` into the node's own log and returns once it is durable.
    pub fn append(
        &self,
        payload: pb::record_body::Payload,
        now_unix_ms: i64,
    ) -> Result<Appended, Error> {
        let mut chains = self.lock();
        let record = self.append_locked(&mut chains, vec![payload], now_unix_ms, None)?.remove(0);
        // Unwrap safety: `append_locked` just signed a head for the own log.
        let head = chains[&self.own].head.clone().expect("a head after an append");
        Ok(Appended { record, head })
    }

    /// Signs several payloads into the own log as consecutive records, durable together (one
    /// flush and fsync). With a `budget`, the spend is checked and recorded in the same sled
    /// transaction as the records: both land or neither does.
    pub fn append_batch(
        &self,
        payloads: Vec<pb::record_body::Payload>,
        now_unix_ms: i64,
        budget: Option<&Budget>,
    ) -> Result<Vec<Record>, Error> {
        let mut chains = self.lock();
        self.append_locked(&mut chains, payloads, now_unix_ms, budget)
    }

    fn append_locked(
        &self,
        chains: &mut BTreeMap<MemberId, Chain>,
        payloads: Vec<pb::record_body::Payload>,
        now_unix_ms: i64,
        budget: Option<&Budget>,
    ) -> Result<Vec<Record>, Error> {
        let chain = chains.entry(self.own.clone()).or_default();
        let now_unix_ms = own_date(chain, now_unix_ms);
        let first = chain.tree.size();
        let mut prev = if first == 0 {
            GENESIS_PREV
        } else {
            chain.tree.leaf(first - 1).unwrap_or(GENESIS_PREV)
        };
        let mut envelopes = Vec::with_capacity(payloads.len());
        let mut records = Vec::with_capacity(payloads.len());
        for (i, payload) in payloads.into_iter().enumerate() {
            let (env, rec) =
                record::seal(&self.key, &self.own, first + i as u64, prev, now_unix_ms, payload);
            prev = rec.hash;
            envelopes.push(env);
            records.push(rec);
        }
        let index: Vec<store::Indexed> = records
            .iter()
            .map(|r| store::Indexed { leaf: r.hash, tag: read::kind_of(r.payload.as_ref()) })
            .collect();
        match budget {
            None => self.store.append(&self.own, first, &envelopes, &index)?,
            Some(b) => {
                let spent = self.store.ledger_spent(&b.dataset, &b.period)?;
                if spent.saturating_add(b.cost) > b.total {
                    return Err(b.exceeded(spent));
                }
                let spend = store::LedgerSpend {
                    dataset: b.dataset.clone(),
                    period: b.period.clone(),
                    expected: spent,
                    new: spent.saturating_add(b.cost),
                };
                self.store.append_with_ledger(&self.own, first, &envelopes, &index, &spend)?;
            }
        }
        if chain.checked == chain.tree.size() {
            chain.checked += records.len() as u64;
        }
        for rec in &records {
            chain.tree.push(rec.hash);
        }
        chain.last_issued = Some(now_unix_ms);
        self.index_own_releases(first, &records);
        let head = self.sign_head(&chain.tree, now_unix_ms)?;
        self.store.put_tree_head(&self.own, &head.signed)?;
        chain.head = Some(head);
        Ok(records)
    }

    /// Adds the releases among `records`, appended to the own log from `first` on, to the
    /// store's index of own releases (`Store::released`), where that index is current; where it
    /// lags (a store of an earlier version), the next check reads the gap from the log
    /// (`release::OwnReleases`). Flushed with the tree head that follows. The records are
    /// committed already: a failure here is logged, not returned.
    fn index_own_releases(&self, first: u64, records: &[Record]) {
        let releases: Vec<(String, String, u64)> =
            records.iter().filter_map(|r| released_entry(r.seq, r.payload.as_ref()?)).collect();
        let upto = first + records.len() as u64;
        let indexed = match self.store.released_upto() {
            Ok(held) if held == first => self.store.put_released(&releases, upto),
            // An index ahead of the log (never written by this code): read again at the check.
            Ok(held) if held > first => self.store.clear_released(),
            other => other.map(drop),
        };
        if let Err(e) = indexed {
            tracing::warn!(error = %e, "couldn't index the own releases just appended; the next ingest reads them from the log");
        }
    }

    fn sign_head(&self, tree: &MerkleTree, now_unix_ms: i64) -> Result<TreeHead, Error> {
        let size = tree.size();
        let root = tree.root(size)?;
        let body = pb::TreeHead {
            origin: self.own.to_string(),
            size,
            root_hash: root.to_vec(),
            timestamp_unix_ms: now_unix_ms,
        }
        .encode_to_vec();
        let signature = self.key.sign(Domain::TreeHead, &body).to_vec();
        let checkpoint_signature =
            self.key.sign_note(&crate::checkpoint::body(&self.own, size, &root)).to_vec();
        let signed = pb::SignedTreeHead { body, signature, checkpoint_signature }.encode_to_vec();
        Ok(TreeHead {
            origin: self.own.clone(),
            size,
            root,
            timestamp_unix_ms: now_unix_ms,
            signed,
        })
    }

    /// Number of records held of `origin`.
    pub fn size(&self, origin: &MemberId) -> u64 {
        self.lock().get(origin).map_or(0, |c| c.tree.size())
    }

    /// The latest tree head held for `origin`.
    pub fn tree_head(&self, origin: &MemberId) -> Result<TreeHead, Error> {
        self.lock()
            .get(origin)
            .and_then(|c| c.head.clone())
            .ok_or_else(|| Error::NoSuchOrigin(origin.clone()))
    }

    /// The root hash of `origin`'s records at `size`, if that many are held.
    pub fn root_at(&self, origin: &MemberId, size: u64) -> Option<Hash> {
        let chains = self.lock();
        let tree = &chains.get(origin)?.tree;
        (size <= tree.size()).then(|| tree.root(size).ok()).flatten()
    }

    /// Origins held, with their size and root hash.
    pub fn origins(&self) -> Vec<(MemberId, u64, Hash)> {
        self.lock()
            .iter_mut()
            .map(|(o, c)| {
                let size = c.tree.size();
                let root = match c.root_memo {
                    Some((at, root)) if at == size => root,
                    _ => {
                        let root = c.tree.root(size).unwrap_or_else(|_| merkle::empty_root());
                        c.root_memo = Some((size, root));
                        root
                    }
                };
                (o.clone(), size, root)
            })
            .collect()
    }
}

/// A privacy budget a release must fit in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Dataset name.
    pub dataset: String,
    /// Period.
    pub period: String,
    /// What the release spends.
    pub cost: Milli,
    /// The most the dataset and period may spend.
    pub total: Milli,
    /// rho or epsilon.
    pub unit: &'static str,
}

impl Budget {
    /// The refusal for a ledger that has already spent `spent`.
    pub fn exceeded(&self, spent: Milli) -> Error {
        Error::BudgetExceeded(format!(
            "privacy budget exceeded for {} {}: spent {} of {} {}, this release needs {}; nothing was published",
            self.dataset, self.period, spent, self.total, self.unit, self.cost,
        ))
    }
}

/// The date of the next own record or tree head: the clock, or the last date this node signed
/// when the clock is behind it (it was set back, or a record was dated ahead), so that the own
/// log's dates never go backwards.
fn own_date(chain: &Chain, now_unix_ms: i64) -> i64 {
    match chain.last_issued {
        Some(last) if last > now_unix_ms => {
            tracing::warn!(
                behind_ms = last - now_unix_ms,
                "the clock is behind the last date this node signed; the new record takes that date"
            );
            last
        }
        _ => now_unix_ms,
    }
}

/// The entry of the store's index of own releases (`Store::put_released`) for record `seq`
/// saying `payload`: its period, indicator and position, when it is a release.
pub(crate) fn released_entry(
    seq: u64,
    payload: &pb::record_body::Payload,
) -> Option<(String, String, u64)> {
    match payload {
        pb::record_body::Payload::IndicatorRelease(r) => {
            Some((r.period.clone(), r.indicator_id.clone(), seq))
        }
        _ => None,
    }
}

/// When the stored record `seq` of `origin` says it was issued; `None` when it is not held.
/// Only records verified when they were stored are read, so the body is decoded, not checked.
fn issued_at(store: &Store, origin: &MemberId, seq: u64) -> Result<Option<i64>, Error> {
    let Some(env) = store.record(origin, seq)? else { return Ok(None) };
    Ok(pb::SignedRecord::decode(env)
        .ok()
        .and_then(|s| pb::RecordBody::decode(&s.body[..]).ok())
        .map(|b| b.issued_at_unix_ms))
}

#[cfg(test)]
mod tests;
