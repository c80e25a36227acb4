//! Verification of a log and its tree heads: a stored log replayed from record 0 (every
//! signature, sequence number and hash link, or, at start, the records a verified tree head
//! covers checked against it), and a signed head checked against a tree.

use super::*;

/// How much of a stored log opening it verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Records that the stored tree head covers are checked by position, link and hash, and
    /// the Merkle root over their hashes against the head the origin signed: that signature
    /// commits to every body below the head's size, so the records' own signatures are not
    /// verified again. Records past the head are verified one by one. Where the head does not
    /// match the records, the whole log is verified as with `EverySignature`, so that the first
    /// bad record is named. What a node does at start.
    CoveredByHead,
    /// Every record's signature, sequence number and link, then the head: what `metronode
    /// verify` does.
    EverySignature,
}

/// Replays the stored records of one origin and checks its stored tree head (`head`) against
/// them, as `verify` says: the Merkle tree and the head.
pub(super) fn replay(
    store: &Store,
    origin: &MemberId,
    keys: &[NodeId],
    head: Option<&[u8]>,
    verify: Verify,
) -> Result<(MerkleTree, Option<TreeHead>), Error> {
    let stored = || store.records(origin, 0).map(|r| r.map_err(Error::from));
    if let (Verify::CoveredByHead, Some(bytes)) = (verify, head)
        && let Ok(signed) = decode_tree_head(bytes, origin, keys)
        && let Ok(tree) = verify_chain_from(stored(), origin, keys, signed.size)
        && let Ok(head) = check_tree_head_any(bytes, origin, keys, &tree)
    {
        return Ok((tree, Some(head)));
    }
    let tree = verify_chain_any(stored(), origin, keys)?;
    let head = head.map(|bytes| check_tree_head_any(bytes, origin, keys, &tree)).transpose()?;
    Ok((tree, head))
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
    verify_chain_from(envelopes, origin, keys, 0)
}

/// `verify_chain_any`, except that the signatures of records before `covered` are not verified
/// (a verified tree head covers them, and the caller checks the tree against it).
fn verify_chain_from(
    envelopes: impl IntoIterator<Item = Result<(u64, Vec<u8>), Error>>,
    origin: &MemberId,
    keys: &[NodeId],
    covered: u64,
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
        let below = positions.iter().take_while(|&&pos| pos < covered).count();
        let mut opened = record::open_many_covered(&chunk[..below], origin);
        opened.extend(record::open_many_heads(&chunk[below..], origin, keys));
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
