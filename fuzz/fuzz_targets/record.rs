//! Fuzz target `record`: the record and tree-head decoders and verifiers (`record::open`,
//! `record::open_any`, `log::decode_tree_head`), and `Log::append_foreign` and
//! `Log::check_foreign_head` on a temporary store, fed records a lying peer could send.
//!
//! Errors are expected; a panic, or a stored record that no longer verifies, is a finding.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use metronode::{
    identity::{MemberId, NodeKey},
    log::{self, Error, HeadCheck, Log},
    merkle::{self, MerkleTree},
    pb,
    record::{self, GENESIS_PREV, RecordError},
    store::Store,
};
use metronode_fuzz::{
    KEYS, NODE_IDS, Ops, RECORD_TAG, TREE_HEAD_TAG, log_op, member, record_mode, sign,
};
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        record_mode::ENVELOPE => envelope(rest),
        record_mode::SIGNED_BODY => signed_body(rest),
        _ => log_ops(rest),
    }
});

/// Bytes as received: decoded and verified against the origin's keys, as a record and as a
/// tree head.
fn envelope(bytes: &[u8]) {
    let origin = member("BEBRU");
    let single = record::open(bytes, &origin, &NODE_IDS[1]);
    let any = record::open_any(bytes, &origin, &NODE_IDS);
    if let Ok(r) = &single {
        assert_eq!(any.as_ref().ok(), Some(r), "open accepted what open_any refused");
    }
    match &any {
        Ok(r) => {
            assert_eq!(r.origin, origin);
            let env = pb::SignedRecord::decode(bytes).expect("open_any decoded it");
            assert_eq!(r.hash, merkle::leaf_hash(&env.body));
            let _ = r.kind();
        }
        Err(e) => {
            let _ = (e.label(), e.to_string());
        }
    }
    let _ = log::decode_tree_head(bytes, &origin, &NODE_IDS);
    let _ = log::check_tree_head_any(bytes, &origin, &NODE_IDS, &MerkleTree::new());
}

/// A body the fuzzer made, signed as documented: the signature must verify, and whatever the
/// body says must be refused or accepted without a panic.
fn signed_body(body: &[u8]) {
    let signature = sign(&KEYS[0], RECORD_TAG, body);
    let env = pb::SignedRecord { body: body.to_vec().into(), signature: signature.into() }
        .encode_to_vec();
    for origin in [member("BEBRU"), member("IEDUB")] {
        match record::open_any(&env, &origin, &NODE_IDS) {
            Ok(r) => {
                assert_eq!(r.hash, merkle::leaf_hash(body));
                assert_eq!(r.origin, origin);
                let _ = r.kind();
            }
            Err(e @ (RecordError::Envelope | RecordError::Signature(_))) => {
                panic!("a body signed as documented was refused: {e}")
            }
            Err(_) => {}
        }
    }
    let head = pb::SignedTreeHead {
        body: body.to_vec(),
        signature: sign(&KEYS[1], TREE_HEAD_TAG, body),
        checkpoint_signature: Vec::new(),
    }
    .encode_to_vec();
    let mut tree = MerkleTree::new();
    for i in 0..3u8 {
        tree.push(merkle::leaf_hash(&[i]));
    }
    match log::check_tree_head_any(&head, &member("BEBRU"), &NODE_IDS, &tree) {
        Ok(h) => assert!(h.size <= tree.size()),
        Err(Error::BadTreeHead { reason, .. }) => {
            assert!(!reason.contains("signature"), "a head signed as documented was refused");
        }
        Err(e) => panic!("unexpected error for a tree head: {e}"),
    }
}

/// Another city's records arriving in batches: honest, forked, replayed, badly linked or
/// badly encoded, and tree heads of them. After every batch the log must have grown by what it
/// accepted, and at the end the records held must verify from record 0.
fn log_ops(data: &[u8]) {
    let dir = scratch_dir();
    let store = Store::open(&dir.path().join("store")).expect("open a temporary store");
    let log = Log::open(store, member("IEDUB"), NodeKey::generate()).expect("open the log");
    let origin = member("BEBRU");
    let via = member("BGSOF");
    let mut honest: Vec<Vec<u8>> = Vec::new();
    let mut honest_tree = MerkleTree::new();
    let mut batch = Vec::new();
    let mut now = 1_700_000_000_000;
    let mut ops = Ops::new(data);
    while let Some(op) = ops.byte() {
        now += 1;
        let key = &KEYS[usize::from(op & 0x80 != 0)];
        match op % 6 {
            log_op::HONEST => {
                let prev = honest_tree.leaf(honest_tree.size().wrapping_sub(1));
                let body = body(
                    &origin,
                    honest_tree.size(),
                    prev.unwrap_or(GENESIS_PREV).to_vec(),
                    now,
                    ops.chunk(),
                );
                honest_tree.push(merkle::leaf_hash(&body));
                batch.push(signed(key, body.clone()));
                honest.push(body);
            }
            log_op::CRAFTED => {
                let seq = u64::from(ops.byte_or_zero());
                let link = ops.byte_or_zero();
                let prev = match link % 4 {
                    0 => GENESIS_PREV.to_vec(),
                    1 => honest_tree.leaf(u64::from(link / 4)).unwrap_or(GENESIS_PREV).to_vec(),
                    2 => vec![link; 32],
                    _ => vec![link; usize::from(link / 4) % 40],
                };
                batch.push(signed(key, body(&origin, seq, prev, now, ops.chunk())));
            }
            log_op::SIGNED_BODY => batch.push(signed(key, ops.chunk().to_vec())),
            log_op::ENVELOPE => {
                let chunk = ops.chunk();
                batch.push(pb::SignedRecord::decode(chunk).unwrap_or_else(|_| pb::SignedRecord {
                    body: chunk.to_vec().into(),
                    signature: Default::default(),
                }));
            }
            log_op::DELIVER => {
                let before = log.size(&origin);
                let fetched = log
                    .append_foreign(&origin, &std::mem::take(&mut batch), &NODE_IDS, &via, now)
                    .expect("append_foreign on a temporary store");
                let after = log.size(&origin);
                assert_eq!(after, before + fetched.accepted, "size grew by what was accepted");
                let _ = log.flags(&origin);
            }
            _ => {
                let size = u64::from(ops.byte_or_zero()) % (honest_tree.size() + 2);
                let root = match op & 0x40 {
                    0 => honest_tree.root(size).unwrap_or([0; 32]),
                    _ => [ops.byte_or_zero(); 32],
                };
                let head = pb::TreeHead {
                    origin: origin.to_string(),
                    size,
                    root_hash: root.to_vec(),
                    timestamp_unix_ms: now,
                }
                .encode_to_vec();
                let signature = sign(key, TREE_HEAD_TAG, &head);
                let signed =
                    pb::SignedTreeHead { body: head, signature, checkpoint_signature: Vec::new() }
                        .encode_to_vec();
                match log.check_foreign_head(&origin, &signed, &NODE_IDS, &via, now) {
                    Ok(HeadCheck::Consistent(_)) => assert!(size <= log.size(&origin)),
                    Ok(HeadCheck::Ahead(s)) => assert!(s > log.size(&origin)),
                    Ok(HeadCheck::Behind(_) | HeadCheck::Conflict) => {}
                    Err(e) => panic!("a head signed as documented was refused: {e}"),
                }
            }
        }
    }
    // Once per input, as it verifies every record again.
    check_held(&log, &origin, log.size(&origin));
}

/// Every record held of `origin` verifies from record 0, and there are `size` of them.
fn check_held(log: &Log, origin: &MemberId, size: u64) {
    let held = log.envelopes(origin, 0, usize::MAX).expect("read the records held");
    let items = held.into_iter().enumerate().map(|(i, e)| Ok((i as u64, e)));
    let tree = log::verify_chain_any(items, origin, &NODE_IDS).expect("held records verify");
    assert_eq!(tree.size(), size);
}

fn body(origin: &MemberId, seq: u64, prev_hash: Vec<u8>, at: i64, title: &[u8]) -> Vec<u8> {
    let notice =
        pb::Notice { title: String::from_utf8_lossy(title).into_owned(), text: String::new() };
    pb::RecordBody {
        origin: origin.to_string(),
        seq,
        prev_hash,
        issued_at_unix_ms: at,
        payload: Some(pb::record_body::Payload::Notice(notice)),
    }
    .encode_to_vec()
}

fn signed(key: &ed25519_dalek::SigningKey, body: Vec<u8>) -> pb::SignedRecord {
    let signature = sign(key, RECORD_TAG, &body);
    pb::SignedRecord { body: body.into(), signature: signature.into() }
}

/// A temporary directory, in memory where the machine has /dev/shm (fsync is then cheap).
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
    dir.expect("create a temporary directory")
}
