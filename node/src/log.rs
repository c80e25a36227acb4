//! The signed log: the city's own append-only, hash-chained log and the logs it holds of others,
//! with their Merkle trees, signed tree heads and proofs.
//!
//! Opening a log replays and verifies every stored record, so a node never serves a log it could
//! not prove. Appends are durable before they are acknowledged.

use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard},
};

use prost::Message;

use crate::{
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
}

/// What a node holds: its own log and (later) the logs of its peers.
#[derive(Debug)]
pub struct Log {
    store: Store,
    own: MemberId,
    key: NodeKey,
    /// Held across an append so sequence numbers are assigned once.
    chains: Mutex<BTreeMap<MemberId, Chain>>,
}

// === impl Log ===

impl Log {
    /// Opens the log, re-verifying every stored record and tree head. Writes nothing.
    ///
    /// `key_of` resolves the signing key of every origin found in the store.
    pub fn open(
        store: Store,
        own: MemberId,
        key: NodeKey,
        key_of: impl Fn(&MemberId) -> Option<NodeId>,
    ) -> Result<Self, Error> {
        let mut chains = BTreeMap::new();
        let mut origins = store.origins()?;
        if !origins.contains(&own) {
            origins.push(own.clone());
        }
        for origin in origins {
            let id = if origin == own { Some(key.id()) } else { key_of(&origin) };
            let id = id.ok_or_else(|| Error::UnknownOrigin(origin.clone()))?;
            let tree = replay(&store, &origin, &id)?;
            let head = match store.tree_head(&origin)? {
                Some(bytes) => Some(check_tree_head(&bytes, &origin, &id, &tree)?),
                None => None,
            };
            chains.insert(origin, Chain { tree, head });
        }
        Ok(Self { store, own, key, chains: Mutex::new(chains) })
    }

    /// Signs a fresh tree head of the own log if the stored one lags behind its records, which
    /// happens after a crash between an append and its tree head. Returns whether it signed.
    pub fn refresh_own_head(&self, now_unix_ms: i64) -> Result<bool, Error> {
        let mut chains = self.lock();
        let chain = chains.entry(self.own.clone()).or_default();
        let stale =
            chain.head.as_ref().map_or(chain.tree.size() > 0, |h| h.size < chain.tree.size());
        if stale {
            let head = self.sign_head(&chain.tree, now_unix_ms)?;
            self.store.put_tree_head(&self.own, &head.signed)?;
            chain.head = Some(head);
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
        match budget {
            None => self.store.append(&self.own, first, &envelopes)?,
            Some(b) => {
                let spent = self.store.ledger_spent(&b.dataset, &b.period)?;
                if spent.saturating_add(b.cost_milli) > b.total_milli {
                    return Err(b.exceeded(spent));
                }
                let spend = store::LedgerSpend {
                    dataset: b.dataset.clone(),
                    period: b.period.clone(),
                    expected: spent,
                    new: spent + b.cost_milli,
                };
                self.store.append_with_ledger(&self.own, first, &envelopes, &spend)?;
            }
        }
        for rec in &records {
            chain.tree.push(rec.hash);
        }
        let head = self.sign_head(&chain.tree, now_unix_ms)?;
        self.store.put_tree_head(&self.own, &head.signed)?;
        chain.head = Some(head);
        Ok(records)
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
        let signed = pb::SignedTreeHead { body, signature }.encode_to_vec();
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

    /// Origins held, with their size and root hash.
    pub fn origins(&self) -> Vec<(MemberId, u64, Hash)> {
        self.lock()
            .iter()
            .map(|(o, c)| {
                (
                    o.clone(),
                    c.tree.size(),
                    c.tree.root(c.tree.size()).unwrap_or_else(|_| merkle::empty_root()),
                )
            })
            .collect()
    }

    /// Up to `limit` envelopes of `origin` from `from` on.
    pub fn envelopes(
        &self,
        origin: &MemberId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.store
            .records(origin, from)
            .take(limit)
            .map(|r| r.map(|(_, e)| e).map_err(Error::from))
            .collect()
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

/// A privacy budget a release must fit in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Dataset name.
    pub dataset: String,
    /// Period.
    pub period: String,
    /// What the release spends, thousandths.
    pub cost_milli: u64,
    /// The most the dataset and period may spend, thousandths.
    pub total_milli: u64,
    /// rho or epsilon.
    pub unit: &'static str,
}

impl Budget {
    /// The refusal for a ledger that has already spent `spent`.
    pub fn exceeded(&self, spent: u64) -> Error {
        use crate::anonymise::format_milli;
        Error::BudgetExceeded(format!(
            "privacy budget exceeded for {} {}: spent {} of {} {}, this release needs {}; nothing was published",
            self.dataset,
            self.period,
            format_milli(spent),
            format_milli(self.total_milli),
            self.unit,
            format_milli(self.cost_milli),
        ))
    }
}

/// Replays and verifies every stored record of one origin, returning its Merkle tree.
fn replay(store: &Store, origin: &MemberId, key: &NodeId) -> Result<MerkleTree, Error> {
    verify_chain(store.records(origin, 0).map(|r| r.map_err(Error::from)), origin, key)
}

/// Verifies a whole log from record 0: every signature, sequence number and hash link.
/// Stops at the first bad record and names it.
pub fn verify_chain(
    envelopes: impl IntoIterator<Item = Result<(u64, Vec<u8>), Error>>,
    origin: &MemberId,
    key: &NodeId,
) -> Result<MerkleTree, Error> {
    let mut tree = MerkleTree::new();
    let mut prev = GENESIS_PREV;
    for item in envelopes {
        let (pos, env) = item?;
        let expected = tree.size();
        let bad = |source| Error::BadRecord { origin: origin.clone(), seq: pos, source };
        if pos != expected {
            return Err(bad(RecordError::Sequence { expected, got: pos }));
        }
        let rec = record::open(&env, origin, key).map_err(bad)?;
        rec.check_link(expected, &prev).map_err(bad)?;
        prev = rec.hash;
        tree.push(rec.hash);
    }
    Ok(tree)
}

/// Verifies a signed tree head: the origin's signature, and that it commits to `tree`'s prefix.
pub fn check_tree_head(
    bytes: &[u8],
    origin: &MemberId,
    key: &NodeId,
    tree: &MerkleTree,
) -> Result<TreeHead, Error> {
    let bad =
        |reason: &str| Error::BadTreeHead { origin: origin.clone(), reason: reason.to_owned() };
    let signed = pb::SignedTreeHead::decode(bytes)
        .map_err(|_| bad("not a valid SignedTreeHead encoding"))?;
    key.verify(Domain::TreeHead, &signed.body, &signed.signature)
        .map_err(|e| bad(&e.to_string()))?;
    let body = pb::TreeHead::decode(signed.body.as_slice())
        .map_err(|_| bad("body is not a valid TreeHead encoding"))?;
    if body.origin != origin.as_str() {
        return Err(bad("signed for another origin"));
    }
    if body.size > tree.size() {
        return Err(bad(&format!(
            "covers {} records but only {} are held",
            body.size,
            tree.size()
        )));
    }
    let root: Hash =
        body.root_hash.as_slice().try_into().map_err(|_| bad("root hash is not 32 bytes"))?;
    if tree.root(body.size)? != root {
        return Err(bad(&format!("root hash does not match the records at size {}", body.size)));
    }
    Ok(TreeHead {
        origin: origin.clone(),
        size: body.size,
        root,
        timestamp_unix_ms: body.timestamp_unix_ms,
        signed: bytes.to_vec(),
    })
}

#[cfg(test)]
mod tests;
