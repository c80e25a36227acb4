//! Tests for `log`: appends, replay on open, tampering detection and proofs against tree heads.

use super::read::{kind::MANIFEST_APPROVAL, payload_kind};
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

/// Why opening the log at `path` as `metronode verify` does (every signature) fails.
fn open_every(path: &std::path::Path, key: &NodeKey) -> Error {
    let store = Store::open(path).unwrap();
    Log::open_verifying(store, bebru(), key.duplicate(), Verify::EverySignature).unwrap_err()
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
        log.store.replace_from(&bebru(), 3, &[env]);
    }
    let err = open_log(&path, &key).unwrap_err();
    assert!(
        matches!(err, Error::BadRecord { seq: 3, source: RecordError::Signature(_), .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("record BEBRU/3: "), "{err}");
}

#[test]
fn records_under_the_head_are_checked_against_it_and_those_past_it_by_their_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("store");
    let root = {
        let log = open_log(&path, &key).unwrap();
        for i in 0..5 {
            log.append(notice(i), 1).unwrap();
        }
        // Record 1 stored with a damaged signature; its body, which the head commits to, intact.
        let mut held = log.envelopes(&bebru(), 1, 4).unwrap();
        let mut env = pb::SignedRecord::decode(held[0].as_slice()).unwrap();
        env.signature = flip(&env.signature, 0, 1);
        held[0] = env.encode_to_vec();
        log.store.replace_from(&bebru(), 1, &held);
        log.origins()[0].2
    };
    // At start the bodies are checked against the signed head, not each signature: the log
    // opens, and the check of every signature run after start names the record.
    let log = open_log(&path, &key).unwrap();
    assert_eq!(log.size(&bebru()), 5);
    let err = log.check_every_signature(&bebru(), &[key.id()], 5, &root).unwrap_err();
    assert!(
        matches!(err, Error::BadRecord { seq: 1, source: RecordError::Signature(_), .. }),
        "{err}"
    );
    drop(log);
    // `metronode verify` verifies every signature at open.
    assert!(matches!(open_every(&path, &key), Error::BadRecord { seq: 1, .. }));

    // A record past the head is verified by its own signature: one signed by another key, at
    // the right position and linking to the last record, is named.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let log = open_log(&path, &key).unwrap();
        for i in 0..3 {
            log.append(notice(i), 1).unwrap();
        }
        let prev = log.chains.lock().unwrap()[&bebru()].tree.leaf(2).unwrap();
        let (env, _) = record::seal(&NodeKey::generate(), &bebru(), 3, prev, 1, notice(3));
        log.store.append(&bebru(), 3, &[env], &[]).unwrap();
    }
    let err = open_log(&path, &key).unwrap_err();
    assert!(
        matches!(err, Error::BadRecord { seq: 3, source: RecordError::Signature(_), .. }),
        "{err}"
    );
}

#[test]
fn start_up_reads_the_index_not_the_bodies_and_a_changed_body_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("store");
    let files = path.join("records");
    let (root, leaves) = {
        let log = open_log(&path, &key).unwrap();
        for i in 0..6 {
            log.append(notice(i), 1).unwrap();
        }
        (log.origins()[0].2, log.store.leaves(&bebru()).unwrap())
    };
    assert_eq!(leaves.len(), 6);
    // Without an index (a store of an earlier version), the log reads every record, and writes
    // the index back.
    std::fs::remove_file(files.join("BEBRU.index")).unwrap();
    {
        let log = open_log(&path, &key).unwrap();
        assert_eq!(log.store.leaves(&bebru()).unwrap(), leaves);
        assert_eq!(log.read_kinds(&bebru(), 0, &[read::kind::NOTICE]).unwrap().0.len(), 6);
    }
    // An index entry whose leaf hash is wrong (but reads back as written) does not make the
    // signed root: every record is read and verified, and the index is mended.
    {
        let store = Store::open(&path).unwrap();
        let wrong = store::Indexed { leaf: [7; 32], tag: read::kind::NOTICE as u8 };
        store.put_index(&bebru(), 2, &[wrong]).unwrap();
        assert_eq!(store.leaves(&bebru()).unwrap().len(), 3);
    }
    let log = open_log(&path, &key).unwrap();
    assert_eq!(log.store.leaves(&bebru()).unwrap(), leaves);
    assert_eq!(log.origins()[0].2, root);
    drop(log);
    // A body changed on disk under the head, its frame the same length: start-up does not read
    // it (the index and the signed root agree), but no reader decodes it, and the check of every
    // signature after start and `metronode verify` name it.
    let file = files.join("BEBRU.records");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.windows(8).position(|w| w == b"notice 3").unwrap();
    bytes[at + 7] = b'8';
    std::fs::write(&file, &bytes).unwrap();
    let log = open_log(&path, &key).unwrap();
    assert_eq!(log.size(&bebru()), 6);
    let read: Vec<_> = log.read(&bebru(), 0).collect();
    assert_eq!(read.iter().position(Result::is_err), Some(3));
    let err = read[3].as_ref().unwrap_err();
    assert!(matches!(err, Error::Damaged { seq: 3, .. }), "{err}");
    assert!(err.to_string().starts_with("record BEBRU/3: the stored body does not match"), "{err}");
    let err = log.read_kinds(&bebru(), 0, &[read::kind::NOTICE]).unwrap_err();
    assert!(matches!(err, Error::Damaged { seq: 3, .. }), "{err}");
    let err = log.check_every_signature(&bebru(), &[key.id()], 6, &root).unwrap_err();
    assert!(matches!(err, Error::BadRecord { seq: 3, .. }), "{err}");
    drop(log);
    assert!(matches!(open_every(&path, &key), Error::BadRecord { seq: 3, .. }));
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
        log.store.append(&bebru(), 1, &[env], &[]).unwrap();
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
            metrics: Default::default(),
            flags: Default::default(),
            verify: Verify::CoveredByHead,
        };
        let tree = log.chains.lock().unwrap()[&bebru()].tree.clone();
        let bad = forged.sign_head(&tree, 7).unwrap();
        log.store.put_tree_head(&bebru(), &bad.signed).unwrap();
    }
    let err = open_log(&path, &key).unwrap_err();
    assert!(matches!(err, Error::BadTreeHead { .. }), "{err}");
}

fn foreign_records(key: &NodeKey, origin: &MemberId, n: u64) -> Vec<pb::SignedRecord> {
    let mut prev = GENESIS_PREV;
    (0..n)
        .map(|i| {
            let (env, rec) = record::seal(key, origin, i, prev, 1, notice(i));
            prev = rec.hash;
            pb::SignedRecord::decode(env.as_slice()).unwrap()
        })
        .collect()
}

#[test]
fn foreign_records_are_verified_and_a_bad_one_keeps_the_good_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(&dir.path().join("s"), &NodeKey::generate()).unwrap();
    let sofia: MemberId = "BGSOF".parse().unwrap();
    let key = NodeKey::generate();
    let mut batch = foreign_records(&key, &sofia, 4);
    batch[2].signature = flip(&batch[2].signature, 0, 1);
    let via: MemberId = "IEDUB".parse().unwrap();
    let out = log.append_foreign(&sofia, &batch, &[key.id()], &via, 5).unwrap();
    assert_eq!(out.accepted, 2);
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].reason, "signature");
    assert!(out.rejected[0].detail.contains("BGSOF/2"), "{:?}", out.rejected);
    assert_eq!(log.size(&sofia), 2);
    // The rest arrives later from another peer and links on.
    let good = foreign_records(&key, &sofia, 4);
    let out = log.append_foreign(&sofia, &good[2..], &[key.id()], &via, 6).unwrap();
    assert_eq!((out.accepted, log.size(&sofia)), (2, 4));
    // Replays of what is held change nothing, and each is refused as a replay.
    let out = log.append_foreign(&sofia, &good, &[key.id()], &via, 7).unwrap();
    assert_eq!((out.accepted, out.evidence, log.size(&sofia)), (0, 0, 4));
    assert_eq!(out.rejected.iter().map(|r| r.reason).collect::<Vec<_>>(), ["replayed"; 4]);
    // A record signed by another key is refused.
    let forged = foreign_records(&NodeKey::generate(), &sofia, 5);
    let out = log.append_foreign(&sofia, &forged[4..], &[key.id()], &via, 8).unwrap();
    assert_eq!((out.accepted, out.rejected.len()), (0, 1));
}

#[test]
fn batches_of_records_are_verified_at_once_and_a_bad_one_is_still_named_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(&dir.path().join("s"), &NodeKey::generate()).unwrap();
    let sofia: MemberId = "BGSOF".parse().unwrap();
    let via: MemberId = "IEDUB".parse().unwrap();
    let key = NodeKey::generate();
    let n = 3 * record::VERIFY_BATCH as u64;
    let good = foreign_records(&key, &sofia, n);
    // A forged signature deep in the second chunk: the chunk before it is kept whole, and the
    // refusal names the very record, as one-at-a-time verification would.
    let bad = record::VERIFY_BATCH as u64 + 37;
    let mut batch = good.clone();
    batch[bad as usize].signature = flip(&batch[bad as usize].signature, 5, 0x40);
    let out = log.append_foreign(&sofia, &batch, &[key.id()], &via, 5).unwrap();
    assert_eq!((out.accepted, log.size(&sofia)), (bad, bad));
    assert_eq!(out.rejected.len(), 1, "{:?}", out.rejected);
    assert_eq!(out.rejected[0].reason, "signature");
    assert!(out.rejected[0].detail.contains(&format!("BGSOF/{bad}:")), "{:?}", out.rejected);
    // A body swapped under a valid signature of another record is refused the same way.
    let mut batch = good[bad as usize..].to_vec();
    batch[3].body = good[0].body.clone();
    let out = log.append_foreign(&sofia, &batch, &[key.id()], &via, 6).unwrap();
    assert_eq!(out.accepted, 3);
    assert!(out.rejected[0].detail.contains(&format!("BGSOF/{}:", bad + 3)), "{:?}", out.rejected);
    // The rest, across a key rotation (a chunk signed by two keys verifies one at a time).
    let rotated = NodeKey::generate();
    let mut prev = log.store.record(&sofia, bad + 2).unwrap().map(|env| {
        let env = pb::SignedRecord::decode(env).unwrap();
        crate::merkle::leaf_hash(&env.body)
    });
    let rest: Vec<pb::SignedRecord> = (bad + 3..n)
        .map(|i| {
            let signer = if i < bad + 100 { &key } else { &rotated };
            let (env, rec) = record::seal(signer, &sofia, i, prev.take().unwrap(), 1, notice(i));
            prev = Some(rec.hash);
            pb::SignedRecord::decode(env.as_slice()).unwrap()
        })
        .collect();
    let out = log.append_foreign(&sofia, &rest, &[rotated.id(), key.id()], &via, 7).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(log.size(&sofia), n);
}

#[test]
fn dates_are_kept_as_signed_flagged_when_skewed_and_the_own_never_go_back() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("s");
    let now = 1_700_000_000_000;
    let sofia: MemberId = "BGSOF".parse().unwrap();
    let via: MemberId = "IEDUB".parse().unwrap();
    let sofia_key = NodeKey::generate();
    // Dated now, an hour ahead, five minutes ahead (back in time), before 1970.
    let mut prev = GENESIS_PREV;
    let batch: Vec<pb::SignedRecord> = [now, now + 3_600_000, now + 300_000, -1]
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let (env, rec) = record::seal(&sofia_key, &sofia, i as u64, prev, t, notice(i as u64));
            prev = rec.hash;
            pb::SignedRecord::decode(env.as_slice()).unwrap()
        })
        .collect();
    let own_dates = |log: &Log| -> Vec<i64> {
        let envs = log.envelopes(&bebru(), 0, 100).unwrap();
        envs.iter()
            .map(|e| record::open(e, &bebru(), &key.id()).unwrap().issued_at_unix_ms)
            .collect()
    };
    {
        let log = open_log(&path, &key).unwrap();
        log.append(notice(0), 2_000).unwrap();
        let a = log.append(notice(1), 1_000).unwrap();
        assert_eq!((a.record.issued_at_unix_ms, a.head.timestamp_unix_ms), (2_000, 2_000));
        let out = log.append_foreign(&sofia, &batch[..2], &[sofia_key.id()], &via, now).unwrap();
        assert_eq!(out.accepted, 2);
        assert_eq!((out.dated_ahead, out.max_ahead_ms, out.dated_backwards), (1, 3_600_000, 0));
    }
    // After a restart the last dates are read back from the store.
    let log = open_log(&path, &key).unwrap();
    log.append(notice(2), 1_500).unwrap();
    assert_eq!(own_dates(&log), [2_000, 2_000, 2_000]);
    log.load_origin(&sofia, &[sofia_key.id()]).unwrap();
    let out = log.append_foreign(&sofia, &batch[2..], &[sofia_key.id()], &via, now).unwrap();
    assert_eq!((out.accepted, out.dated_ahead, out.dated_backwards), (2, 0, 2));
    assert_eq!(log.size(&sofia), 4, "every record is kept, whatever its date");
}

#[test]
fn two_records_at_one_position_are_kept_as_evidence_and_flag_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(&dir.path().join("s"), &NodeKey::generate()).unwrap();
    let sofia: MemberId = "BGSOF".parse().unwrap();
    let via: MemberId = "IEDUB".parse().unwrap();
    let key = NodeKey::generate();
    let history = foreign_records(&key, &sofia, 3);
    log.append_foreign(&sofia, &history, &[key.id()], &via, 1).unwrap();
    // Another history signed by the same key: record 1 differs.
    let (env, _) = record::seal(
        &key,
        &sofia,
        1,
        history[0].body.iter().fold([0; 32], |a, _| a),
        2,
        notice(77),
    );
    let fork1 = pb::SignedRecord::decode(env.as_slice()).unwrap();
    let out = log.append_foreign(&sofia, &[fork1], &[key.id()], &via, 3).unwrap();
    assert_eq!((out.accepted, out.evidence), (0, 1));
    assert_eq!(log.flags(&sofia), ["equivocation"]);
    // A record at the next position that links to a different record 2 is a fork.
    let other_prev = merkle::leaf_hash(b"some other record 2");
    let (env, _) = record::seal(&key, &sofia, 3, other_prev, 2, notice(78));
    let out = log
        .append_foreign(
            &sofia,
            &[pb::SignedRecord::decode(env.as_slice()).unwrap()],
            &[key.id()],
            &via,
            4,
        )
        .unwrap();
    assert_eq!((out.accepted, out.evidence), (0, 1));
    assert_eq!(log.flags(&sofia), ["equivocation", "fork"]);
    let evidence = log.store().evidence(Some(&sofia)).unwrap();
    let ev = pb::Evidence::decode(evidence[0].as_slice()).unwrap();
    assert_eq!((ev.origin.as_str(), ev.found_via.as_str()), ("BGSOF", "IEDUB"));
    assert!(!ev.first.is_empty() && !ev.second.is_empty() && ev.first != ev.second);
    assert_eq!(log.size(&sofia), 3, "the log itself is untouched");
}

#[test]
fn heads_are_checked_witnessed_and_split_views_caught() {
    let dir = tempfile::tempdir().unwrap();
    let me = NodeKey::generate();
    let log = open_log(&dir.path().join("s"), &me).unwrap();
    let sofia: MemberId = "BGSOF".parse().unwrap();
    let dublin: MemberId = "IEDUB".parse().unwrap();
    let sofia_key = NodeKey::generate();
    log.append_foreign(
        &sofia,
        &foreign_records(&sofia_key, &sofia, 3),
        &[sofia_key.id()],
        &dublin,
        1,
    )
    .unwrap();

    // Sofia's honest head at size 3: consistent, kept, countersigned.
    let sofia_log_dir = tempfile::tempdir().unwrap();
    let sofia_log =
        Log::open(Store::open(sofia_log_dir.path()).unwrap(), sofia.clone(), sofia_key.duplicate())
            .unwrap();
    for i in 0..3 {
        sofia_log.append(notice(i), 99).unwrap();
    }
    // The records differ in time stamps from `foreign_records`, so this head is of another
    // history: a contradiction kept as evidence.
    let head = sofia_log.tree_head(&sofia).unwrap();
    assert_eq!(
        log.check_foreign_head(&sofia, &head.signed, &[sofia_key.id()], &dublin, 2).unwrap(),
        HeadCheck::Conflict
    );
    assert_eq!(log.flags(&sofia), ["inconsistent-head"]);

    // A head over the held records is consistent and gets a witness statement.
    let held = log.envelopes(&sofia, 0, 10).unwrap();
    let tree = verify_chain(
        held.iter().cloned().enumerate().map(|(i, e)| Ok((i as u64, e))),
        &sofia,
        &sofia_key.id(),
    )
    .unwrap();
    let body = pb::TreeHead {
        origin: "BGSOF".into(),
        size: 3,
        root_hash: tree.root(3).unwrap().to_vec(),
        timestamp_unix_ms: 5,
    }
    .encode_to_vec();
    let signed = pb::SignedTreeHead {
        signature: sofia_key.sign(Domain::TreeHead, &body).to_vec(),
        body,
        checkpoint_signature: Vec::new(),
    }
    .encode_to_vec();
    let HeadCheck::Consistent(statement) =
        log.check_foreign_head(&sofia, &signed, &[sofia_key.id()], &dublin, 6).unwrap()
    else {
        panic!("expected a consistent head");
    };
    me.id().verify(Domain::Witness, &statement.body, &statement.signature).unwrap();
    assert_eq!(log.tree_head(&sofia).unwrap().size, 3);

    // An older head that matches the records is neither adopted nor countersigned.
    let body = pb::TreeHead {
        origin: "BGSOF".into(),
        size: 2,
        root_hash: tree.root(2).unwrap().to_vec(),
        timestamp_unix_ms: 7,
    }
    .encode_to_vec();
    let older = pb::SignedTreeHead {
        signature: sofia_key.sign(Domain::TreeHead, &body).to_vec(),
        body,
        checkpoint_signature: Vec::new(),
    }
    .encode_to_vec();
    let witnessed = log.store().witnesses(Some(&sofia)).unwrap();
    assert_eq!(
        log.check_foreign_head(&sofia, &older, &[sofia_key.id()], &dublin, 7).unwrap(),
        HeadCheck::Behind(3)
    );
    assert_eq!(log.tree_head(&sofia).unwrap().size, 3);
    assert_eq!(log.store().witnesses(Some(&sofia)).unwrap(), witnessed);

    // Another witness saw a different root at size 2: a split view.
    let witness_key = NodeKey::generate();
    let wbody = pb::WitnessStatement {
        witness: "IEDUB".into(),
        origin: "BGSOF".into(),
        size: 2,
        root_hash: vec![7; 32],
        witnessed_at_unix_ms: 9,
    }
    .encode_to_vec();
    // A statement of an earlier version: no cosignature.
    let ws = pb::SignedWitnessStatement {
        signature: witness_key.sign(Domain::Witness, &wbody).to_vec(),
        body: wbody,
        cosignature: Vec::new(),
    };
    let keys = |_: &MemberId| vec![witness_key.id()];
    assert_eq!(log.check_witness(&ws, keys, &dublin, 10).unwrap(), WitnessCheck::SplitView);
    assert!(log.flags(&sofia).contains(&"split-view".to_owned()));
    // A badly signed statement is ignored.
    let bad = pb::SignedWitnessStatement { signature: vec![0; 64], ..ws.clone() };
    assert_eq!(log.check_witness(&bad, keys, &dublin, 11).unwrap(), WitnessCheck::Invalid);
    // One that agrees is kept.
    let good_body = pb::WitnessStatement {
        witness: "IEDUB".into(),
        origin: "BGSOF".into(),
        size: 2,
        root_hash: tree.root(2).unwrap().to_vec(),
        witnessed_at_unix_ms: 12,
    }
    .encode_to_vec();
    let root = tree.root(2).unwrap();
    let cosign = |size: u64| {
        let text = crate::checkpoint::cosigned(&sofia, size, &root, 7);
        let mut c = 7u64.to_be_bytes().to_vec();
        c.extend(witness_key.sign_note(&text));
        c
    };
    let good = pb::SignedWitnessStatement {
        signature: witness_key.sign(Domain::Witness, &good_body).to_vec(),
        body: good_body,
        cosignature: cosign(2),
    };
    // Its cosignature must be of the same head.
    let other = pb::SignedWitnessStatement { cosignature: cosign(3), ..good.clone() };
    assert_eq!(log.check_witness(&other, keys, &dublin, 12).unwrap(), WitnessCheck::Invalid);
    assert_eq!(log.check_witness(&good, keys, &dublin, 12).unwrap(), WitnessCheck::Kept);
    let key = witness_key.id();
    assert!(crate::checkpoint::cosignature_ok(&sofia, 2, &root, &key, &good.cosignature));
}

#[test]
fn records_beyond_the_tree_are_never_served() {
    // Records the store holds but the log never took were never acknowledged; the log serves
    // only the records its tree covers.
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let log = open_log(&dir.path().join("store"), &key).unwrap();
    for i in 0..3 {
        log.append(notice(i), 1_000).unwrap();
    }
    let (stray, _) = record::seal(&key, &bebru(), 3, [0; 32], 1_000, notice(3));
    log.store().append(&bebru(), 3, &[stray], &[]).unwrap();
    assert_eq!(log.envelopes(&bebru(), 0, 100).unwrap().len(), 3);
    assert!(log.envelopes(&bebru(), 3, 100).unwrap().is_empty());
    assert_eq!(log.payloads(&bebru(), 0).unwrap().len(), 3);
    assert_eq!(log.stored(&bebru(), 1).count(), 2);
}

#[test]
fn membership_records_are_found_without_decoding_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(&dir.path().join("s"), &NodeKey::generate()).unwrap();
    let approval = |b: u8| {
        pb::record_body::Payload::ManifestApproval(pb::ManifestApproval {
            manifest_hash: vec![b; 32],
        })
    };
    log.append(notice(0), 1).unwrap();
    log.append(approval(1), 1).unwrap();
    log.append(notice(2), 1).unwrap();
    log.append(approval(3), 1).unwrap();
    let found = log.membership_payloads(&bebru(), 0).unwrap();
    assert_eq!(found, vec![(1, approval(1)), (3, approval(3))]);
    assert_eq!(log.membership_payloads(&bebru(), 2).unwrap(), vec![(3, approval(3))]);
    // The kind is the last payload field, as decoding a oneof keeps; nothing for a body that is
    // not well formed.
    let body = |payload| {
        pb::RecordBody {
            origin: "BEBRU".into(),
            seq: 0,
            payload: Some(payload),
            ..Default::default()
        }
        .encode_to_vec()
    };
    assert_eq!(payload_kind(&body(approval(1))), Some(MANIFEST_APPROVAL));
    assert_eq!(payload_kind(&body(notice(1))), Some(10));
    let both = [body(approval(1)), body(notice(1))].concat();
    assert_eq!(payload_kind(&both), Some(10));
    assert_eq!(pb::RecordBody::decode(both.as_slice()).unwrap().payload, Some(notice(1)));
    assert_eq!(payload_kind(&body(approval(1))[..5]), None);
    assert_eq!(payload_kind(&pb::RecordBody::default().encode_to_vec()), None);
}

#[test]
fn a_signed_record_whose_payload_does_not_decode_is_stored_and_skipped_by_readers() {
    // Storing checks the signature, origin, position and link, and the body's own fields; the
    // payload is the origin's signed statement, read by the readers, which skip one that does
    // not decode. Refusing it would stop every node's copy of the origin's log there.
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(&dir.path().join("s"), &NodeKey::generate()).unwrap();
    let sofia: MemberId = "BGSOF".parse().unwrap();
    let via: MemberId = "IEDUB".parse().unwrap();
    let key = NodeKey::generate();
    let good = foreign_records(&key, &sofia, 1);
    let head = pb::RecordBody {
        origin: sofia.to_string(),
        seq: 1,
        prev_hash: crate::merkle::leaf_hash(&good[0].body).to_vec(),
        issued_at_unix_ms: 1,
        payload: None,
    };
    // An indicator release (field 11) whose first field claims 16 bytes and holds 1.
    let body = [head.encode_to_vec(), vec![0x5a, 3, 0x0a, 0x10, b'x']].concat();
    assert!(pb::RecordBody::decode(body.as_slice()).is_err());
    let odd = pb::SignedRecord {
        signature: key.sign(Domain::Record, &body).to_vec().into(),
        body: body.into(),
    };
    let (after, _) =
        record::seal(&key, &sofia, 2, crate::merkle::leaf_hash(&odd.body), 1, notice(2));
    let batch = vec![good[0].clone(), odd, pb::SignedRecord::decode(after.as_slice()).unwrap()];
    let out = log.append_foreign(&sofia, &batch, &[key.id()], &via, 5).unwrap();
    assert_eq!((out.accepted, out.rejected.len(), log.size(&sofia)), (3, 0, 3));
    let read: Vec<u64> = log.read(&sofia, 0).map(|h| h.unwrap().seq).collect();
    assert_eq!(read, vec![0, 2]);
    // A body whose own fields do not decode is still refused.
    let broken = vec![0x0a, 0x10, b'x'];
    let bad = pb::SignedRecord {
        signature: key.sign(Domain::Record, &broken).to_vec().into(),
        body: broken.into(),
    };
    let out = log.append_foreign(&sofia, &[bad], &[key.id()], &via, 6).unwrap();
    assert_eq!((out.accepted, out.rejected[0].reason), (0, "body"));
}

/// `bytes` with byte `at` XORed with `mask`: a record damaged in one place.
fn flip(bytes: &[u8], at: usize, mask: u8) -> prost::bytes::Bytes {
    let mut out = bytes.to_vec();
    out[at] ^= mask;
    out.into()
}
