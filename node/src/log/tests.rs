//! Tests for `log`: appends, replay on open, tampering detection and proofs against tree heads.

use super::*;

fn notice(i: u64) -> pb::record_body::Payload {
    pb::record_body::Payload::Notice(pb::Notice {
        title: format!("notice {i}"),
        text: String::new(),
    })
}

fn bebru() -> MemberId {
    "BEBRU".parse().unwrap()
}

fn open_log(path: &std::path::Path, key: &NodeKey) -> Result<Log, Error> {
    Log::open(Store::open(path)?, bebru(), key.duplicate())
}

#[test]
fn appends_are_chained_signed_and_replayed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("store");
    let mut heads = Vec::new();
    {
        let log = open_log(&path, &key).unwrap();
        for i in 0..20 {
            let a = log.append(notice(i), 1_000 + i as i64).unwrap();
            assert_eq!(a.record.seq, i);
            assert_eq!(a.head.size, i + 1);
            heads.push(a.head);
        }
    }
    let log = open_log(&path, &key).unwrap();
    assert_eq!(log.size(&bebru()), 20);
    let head = log.tree_head(&bebru()).unwrap();
    assert_eq!(head, heads[19]);
    // Every record is included under the latest head, and every earlier head is consistent.
    let envs = log.envelopes(&bebru(), 0, 100).unwrap();
    for (i, env) in envs.iter().enumerate() {
        let rec = record::open(env, &bebru(), &key.id()).unwrap();
        let (size, path) = log.inclusion_proof(&bebru(), i as u64, 0).unwrap();
        merkle::verify_inclusion(&rec.hash, i as u64, size, &path, &head.root).unwrap();
    }
    for old in &heads {
        let (second, proof) = log.consistency_proof(&bebru(), old.size, 0).unwrap();
        merkle::verify_consistency(old.size, second, &old.root, &head.root, &proof).unwrap();
    }
    assert!(matches!(log.inclusion_proof(&bebru(), 20, 0), Err(Error::Proof(_))));
    assert!(matches!(log.tree_head(&"IEDUB".parse().unwrap()), Err(Error::NoSuchOrigin(_))));
}

#[test]
fn a_tampered_stored_record_is_named_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("store");
    {
        let log = open_log(&path, &key).unwrap();
        for i in 0..5 {
            log.append(notice(i), 1).unwrap();
        }
        // Replace record 3 with one signed by someone else.
        let forger = NodeKey::generate();
        let prev = log.chains.lock().unwrap()[&bebru()].tree.leaf(2).unwrap();
        let (env, _) = record::seal(&forger, &bebru(), 3, prev, 1, notice(99));
        log.store.append(&bebru(), 3, &[env]).unwrap();
    }
    let err = open_log(&path, &key).unwrap_err();
    assert!(
        matches!(err, Error::BadRecord { seq: 3, source: RecordError::Signature(_), .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("record BEBRU/3: "), "{err}");
}

#[test]
fn a_reordered_or_relinked_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("store");
    {
        let log = open_log(&path, &key).unwrap();
        log.append(notice(0), 1).unwrap();
        // A validly signed record at seq 1 that does not link to record 0.
        let (env, _) = record::seal(&key, &bebru(), 1, [9; 32], 1, notice(1));
        log.store.append(&bebru(), 1, &[env]).unwrap();
    }
    let err = open_log(&path, &key).unwrap_err();
    assert!(matches!(err, Error::BadRecord { seq: 1, source: RecordError::Chain, .. }), "{err}");
}

#[test]
fn a_lagging_tree_head_is_re_signed_and_a_forged_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("store");
    {
        let log = open_log(&path, &key).unwrap();
        log.append(notice(0), 1).unwrap();
        let head0 = log.tree_head(&bebru()).unwrap();
        log.append(notice(1), 2).unwrap();
        // As if the process died between the record and its tree head.
        log.store.put_tree_head(&bebru(), &head0.signed).unwrap();
    }
    {
        let log = open_log(&path, &key).unwrap();
        assert_eq!(log.tree_head(&bebru()).unwrap().size, 1);
        assert!(log.refresh_own_head(5).unwrap());
        assert_eq!(log.tree_head(&bebru()).unwrap().size, 2);
        assert!(!log.refresh_own_head(6).unwrap());
        // A head signed by another key.
        let forged = Log {
            store: Store::open(&dir.path().join("other")).unwrap(),
            own: bebru(),
            key: NodeKey::generate(),
            chains: Default::default(),
        };
        let tree = log.chains.lock().unwrap()[&bebru()].tree.clone();
        let bad = forged.sign_head(&tree, 7).unwrap();
        log.store.put_tree_head(&bebru(), &bad.signed).unwrap();
    }
    let err = open_log(&path, &key).unwrap_err();
    assert!(matches!(err, Error::BadTreeHead { .. }), "{err}");
}
