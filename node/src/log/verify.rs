//! Offline verification of a log and its tree heads: a whole stored log replayed from record 0
//! (every signature, sequence number and hash link), and a signed head checked against a tree.

use super::*;

/// Replays and verifies every stored record of one origin, returning its Merkle tree.
pub(super) fn replay(
    store: &Store,
    origin: &MemberId,
    keys: &[NodeId],
) -> Result<MerkleTree, Error> {
    verify_chain_any(store.records(origin, 0).map(|r| r.map_err(Error::from)), origin, keys)
}

/// Verifies a whole log from record 0: every signature, sequence number and hash link.
/// Stops at the first bad record and names it.
pub fn verify_chain(
    envelopes: impl IntoIterator<Item = Result<(u64, Vec<u8>), Error>>,
    origin: &MemberId,
    key: &NodeId,
) -> Result<MerkleTree, Error> {
    verify_chain_any(envelopes, origin, std::slice::from_ref(key))
}

/// `verify_chain` accepting a record signed by any of `keys` (a member's keys across rotations).
pub fn verify_chain_any(
    envelopes: impl IntoIterator<Item = Result<(u64, Vec<u8>), Error>>,
    origin: &MemberId,
    keys: &[NodeId],
) -> Result<MerkleTree, Error> {
    let mut tree = MerkleTree::new();
    let mut prev = GENESIS_PREV;
    let mut envelopes = envelopes.into_iter().peekable();
    // Signatures are verified `record::VERIFY_BATCH` at a time (`record::open_many_heads`); the
    // checks and the first failure named are those of one record at a time.
    while envelopes.peek().is_some() {
        let mut chunk = Vec::with_capacity(record::VERIFY_BATCH);
        let mut positions = Vec::with_capacity(record::VERIFY_BATCH);
        let mut cut = None;
        for item in envelopes.by_ref().take(record::VERIFY_BATCH) {
            let (pos, env) = item?;
            match pb::SignedRecord::decode(env.as_slice()) {
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
        let opened = record::open_many_heads(&chunk, origin, keys);
        // An envelope that does not decode ends the chunk, and is named after its sequence.
        let cut = cut.map(|pos| (pos, Err(RecordError::Envelope)));
        for (pos, opened) in positions.into_iter().zip(opened).chain(cut) {
            let expected = tree.size();
            let bad = |source| Error::BadRecord { origin: origin.clone(), seq: pos, source };
            if pos != expected {
                return Err(bad(RecordError::Sequence { expected, got: pos }));
            }
            let rec = opened.map_err(bad)?;
            rec.check_link(expected, &prev).map_err(bad)?;
            prev = rec.hash;
            tree.push(rec.hash);
        }
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
    let body = pb::TreeHead::decode(signed.body.as_slice())
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
