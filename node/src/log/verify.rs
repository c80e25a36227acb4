//! Verification of a log and its tree heads: a stored log replayed from record 0 (every
//! signature, sequence number and hash link, or, at start, the index's leaf hashes under a
//! verified tree head checked against its root and only the records past them read), and a
//! signed head checked against a tree.

use super::*;

/// How much of a stored log opening it verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// The leaf hashes the store's index keeps of records under the stored tree head stand for
    /// those records, and the Merkle root over them is checked against the root the origin
    /// signed (which commits to every body below the head's size): those records are not read.
    /// Records under the head that the index lacks are read and checked by position, link and
    /// hash; records past the head are verified by their own signatures. Where the head does
    /// not match, the whole log is verified as with `EverySignature`, so that the first bad
    /// record is named. What a node does at start: a body changed on disk since is found when
    /// it is read (`Log::read`, `Log::signed_records`) and by `Node::check_every_signature`.
    CoveredByHead,
    /// Every record's signature, sequence number and link, then the head: what `metronode
    /// verify` does.
    EverySignature,
}

/// Replays the stored log of one origin and checks its stored tree head (`head`) against it,
/// as `verify` says: the Merkle tree and the head. With `CoveredByHead`, the leaf hashes the
/// store's index holds under the head's size stand for their records (the root the origin
/// signed over them is checked), and only records past them are read; the index is mended
/// where it lacks or contradicts what was read. Also returns how many records from the first
/// were read (their bodies checked against the tree): all of them, or none.
pub(super) fn replay(
    store: &Store,
    origin: &MemberId,
    keys: &[NodeId],
    head: Option<&[u8]>,
    verify: Verify,
) -> Result<(MerkleTree, Option<TreeHead>, u64), Error> {
    let indexed = store.leaves(origin).unwrap_or_else(|e| {
        tracing::warn!(%origin, error = %e, "the index of a stored log cannot be read; its records are read instead");
        Vec::new()
    });
    let stored = |from| store.records(origin, from).map(|r| r.map_err(Error::from));
    if let (Verify::CoveredByHead, Some(bytes)) = (verify, head)
        && let Ok(signed) = decode_tree_head(bytes, origin, keys)
    {
        let mut tree = MerkleTree::new();
        for leaf in indexed.iter().take(usize::try_from(signed.size).unwrap_or(usize::MAX)) {
            tree.push(*leaf);
        }
        let start = tree.size();
        let mut tags = Vec::new();
        if extend_chain(&mut tree, stored(start), origin, keys, signed.size, &mut tags).is_ok()
            && let Ok(head) = check_tree_head_any(bytes, origin, keys, &tree)
        {
            mend_index(store, origin, &indexed, &tree, start, &tags);
            let checked = if start == 0 { tree.size() } else { 0 };
            return Ok((tree, Some(head), checked));
        }
    }
    let mut tree = MerkleTree::new();
    let mut tags = Vec::new();
    extend_chain(&mut tree, stored(0), origin, keys, 0, &mut tags)?;
    let head = head.map(|bytes| check_tree_head_any(bytes, origin, keys, &tree)).transpose()?;
    mend_index(store, origin, &indexed, &tree, 0, &tags);
    let checked = tree.size();
    Ok((tree, head, checked))
}

/// Writes the index entries of `origin`'s records from the first at or after `start` where the
/// index (`indexed`) lacks or contradicts `tree`, whose records from `start` on were read (their
/// kinds: `tags`). The index is a cache: a failure is logged, and the next start reads the
/// records again.
fn mend_index(
    store: &Store,
    origin: &MemberId,
    indexed: &[store::Leaf],
    tree: &MerkleTree,
    start: u64,
    tags: &[u8],
) {
    let size = tree.size();
    let from = (start..size)
        .find(|&seq| indexed.get(seq as usize).copied() != tree.leaf(seq))
        .unwrap_or(size);
    if from == size {
        return;
    }
    let entries: Vec<store::Indexed> = (from..size)
        .filter_map(|seq| {
            let leaf = tree.leaf(seq)?;
            Some(store::Indexed { leaf, tag: tags[(seq - start) as usize] })
        })
        .collect();
    match store.put_index(origin, from, &entries) {
        Ok(()) => tracing::debug!(%origin, from, to = size, "index of a stored log written"),
        Err(e) => tracing::warn!(
            %origin,
            error = %e,
            "the index of a stored log could not be written; the next start reads its records"
        ),
    }
}

/// Verifies a whole log from record 0: every signature, sequence number and hash link.
/// Stops at the first bad record and names it.
pub fn verify_chain<E: Into<Bytes>>(
    envelopes: impl IntoIterator<Item = Result<(u64, E), Error>>,
    origin: &MemberId,
    key: &NodeId,
) -> Result<MerkleTree, Error> {
    verify_chain_any(envelopes, origin, std::slice::from_ref(key))
}

/// `verify_chain` accepting a record signed by any of `keys` (a member's keys across rotations).
pub fn verify_chain_any<E: Into<Bytes>>(
    envelopes: impl IntoIterator<Item = Result<(u64, E), Error>>,
    origin: &MemberId,
    keys: &[NodeId],
) -> Result<MerkleTree, Error> {
    let mut tree = MerkleTree::new();
    extend_chain(&mut tree, envelopes, origin, keys, 0, &mut Vec::new())?;
    Ok(tree)
}

/// Extends `tree` with the stored records read from `envelopes` (from the record at its size
/// on): every sequence number and hash link, and the signatures of records from `covered` on (a
/// verified tree head covers those before it, and the caller checks the tree against it).
/// Pushes each record's payload kind onto `tags`. Stops at the first bad record and names it.
fn extend_chain<E: Into<Bytes>>(
    tree: &mut MerkleTree,
    envelopes: impl IntoIterator<Item = Result<(u64, E), Error>>,
    origin: &MemberId,
    keys: &[NodeId],
    covered: u64,
    tags: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut prev =
        tree.size().checked_sub(1).and_then(|last| tree.leaf(last)).unwrap_or(GENESIS_PREV);
    let mut envelopes = envelopes.into_iter().peekable();
    // Signatures are verified `record::VERIFY_BATCH` at a time (`record::open_many_heads`); the
    // checks and the first failure named are those of one record at a time.
    while envelopes.peek().is_some() {
        let mut chunk = Vec::with_capacity(record::VERIFY_BATCH);
        let mut positions = Vec::with_capacity(record::VERIFY_BATCH);
        let mut cut = None;
        for item in envelopes.by_ref().take(record::VERIFY_BATCH) {
            let (pos, env) = item?;
            match pb::SignedRecord::decode(env.into()) {
                Ok(env) => {
                    chunk.push(env);
                    positions.push(pos);
                }
                Err(_) => {
                    cut = Some(pos);
                    break;
                }
            }
        }
        let below = positions.iter().take_while(|&&pos| pos < covered).count();
        let mut opened = record::open_many_covered(&chunk[..below], origin);
        opened.extend(record::open_many_heads(&chunk[below..], origin, keys));
        // An envelope that does not decode ends the chunk, and is named after its sequence.
        let cut = cut.map(|pos| (pos, None, Err(RecordError::Envelope)));
        let read = positions.into_iter().zip(&chunk).zip(opened);
        for (pos, env, opened) in read.map(|((p, e), o)| (p, Some(e), o)).chain(cut) {
            let expected = tree.size();
            let bad = |source| Error::BadRecord { origin: origin.clone(), seq: pos, source };
            if pos != expected {
                return Err(bad(RecordError::Sequence { expected, got: pos }));
            }
            let rec = opened.map_err(bad)?;
            rec.check_link(expected, &prev).map_err(bad)?;
            prev = rec.hash;
            tree.push(rec.hash);
            tags.push(env.map_or(0, |e| read::body_kind(&e.body)));
        }
    }
    Ok(())
}

/// Verifies a signed tree head: the origin's signature, and that it commits to `tree`'s prefix.
pub fn check_tree_head(
    bytes: &[u8],
    origin: &MemberId,
    key: &NodeId,
    tree: &MerkleTree,
) -> Result<TreeHead, Error> {
    check_tree_head_any(bytes, origin, std::slice::from_ref(key), tree)
}

/// `check_tree_head` accepting a head signed by any of `keys`.
pub fn check_tree_head_any(
    bytes: &[u8],
    origin: &MemberId,
    keys: &[NodeId],
    tree: &MerkleTree,
) -> Result<TreeHead, Error> {
    let head = decode_tree_head(bytes, origin, keys)?;
    if head.size > tree.size() {
        return Err(Error::BadTreeHead {
            origin: origin.clone(),
            reason: format!("covers {} records but only {} are held", head.size, tree.size()),
        });
    }
    if tree.root(head.size)? != head.root {
        return Err(Error::BadTreeHead {
            origin: origin.clone(),
            reason: format!("root hash does not match the records at size {}", head.size),
        });
    }
    Ok(head)
}

/// Verifies a signed tree head's signature and decodes it, without comparing it to records.
pub fn decode_tree_head(
    bytes: &[u8],
    origin: &MemberId,
    keys: &[NodeId],
) -> Result<TreeHead, Error> {
    let bad =
        |reason: &str| Error::BadTreeHead { origin: origin.clone(), reason: reason.to_owned() };
    let signed = pb::SignedTreeHead::decode(bytes)
        .map_err(|_| bad("not a valid SignedTreeHead encoding"))?;
    let mut verified = Err(bad("no signing key known for the origin"));
    for key in keys {
        verified = key
            .verify(Domain::TreeHead, &signed.body, &signed.signature)
            .map(|()| key)
            .map_err(|e| bad(&e.to_string()));
        if verified.is_ok() {
            break;
        }
    }
    let key = verified?;
    let body = pb::TreeHead::decode(&signed.body[..])
        .map_err(|_| bad("body is not a valid TreeHead encoding"))?;
    if body.origin != origin.as_str() {
        return Err(bad("signed for another origin"));
    }
    let root: Hash =
        body.root_hash.as_slice().try_into().map_err(|_| bad("root hash is not 32 bytes"))?;
    // The same head as a C2SP checkpoint, when the origin signed one: it must verify too.
    if !signed.checkpoint_signature.is_empty() {
        let text = crate::checkpoint::body(origin, body.size, &root);
        key.verify_note(&text, &signed.checkpoint_signature)
            .map_err(|e| bad(&format!("checkpoint signature: {e}")))?;
    }
    Ok(TreeHead {
        origin: origin.clone(),
        size: body.size,
        root,
        timestamp_unix_ms: body.timestamp_unix_ms,
        signed: bytes.to_vec(),
    })
}
