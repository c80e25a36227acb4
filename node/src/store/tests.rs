//! Tests for `store`: ordered scans, format markers, persistence and the directory lock.

use super::*;

fn id(s: &str) -> MemberId {
    s.parse().unwrap()
}

#[test]
fn appends_scan_in_order_per_origin_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        store.append(&id("BEBRU"), 0, &[b"a".to_vec(), b"b".to_vec()]).unwrap();
        store.append(&id("ALTIA"), 0, &[b"t".to_vec()]).unwrap();
        store.append(&id("BEBRU"), 2, &[b"c".to_vec()]).unwrap();
        store.put_tree_head(&id("BEBRU"), b"head").unwrap();
    }
    let store = Store::open(&path).unwrap();
    let bru = id("BEBRU");
    let all: Vec<_> = store.records(&bru, 0).map(Result::unwrap).collect();
    assert_eq!(all, vec![(0, b"a".to_vec()), (1, b"b".to_vec()), (2, b"c".to_vec())]);
    let tail: Vec<_> = store.records(&bru, 2).map(Result::unwrap).collect();
    assert_eq!(tail, vec![(2, b"c".to_vec())]);
    assert_eq!(store.record(&bru, 1).unwrap(), Some(b"b".to_vec()));
    assert_eq!(store.record(&bru, 9).unwrap(), None);
    assert_eq!(store.origins().unwrap(), vec![id("ALTIA"), id("BEBRU")]);
    assert_eq!(store.tree_head(&bru).unwrap(), Some(b"head".to_vec()));
    assert_eq!(store.tree_head(&id("IEDUB")).unwrap(), None);
}

#[test]
fn values_carry_a_format_byte_and_unknown_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        store.append(&id("BEBRU"), 0, &[b"a".to_vec()]).unwrap();
        let raw = store.records.get(record_key(&id("BEBRU"), 0)).unwrap().unwrap();
        assert_eq!(raw.as_ref(), &[FORMAT_V1, b'a']);
        // A value from a future format is reported, not misread.
        store.records.insert(record_key(&id("BEBRU"), 1), &[9u8, 1, 2]).unwrap();
        let err = store.record(&id("BEBRU"), 1).unwrap_err();
        assert!(err.to_string().contains("format 9"), "{err}");
        store.db.open_tree("meta").unwrap().insert("format", &[2u8]).unwrap();
        store.sync().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, Error::Format { found: 2, .. }), "{err}");
}

#[test]
fn a_locked_directory_is_refused_with_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let held = lock_dir(dir.path()).unwrap();
    // flock is per open file description, so a second lock in the same process conflicts too.
    let err = lock_dir(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("node.lock") && msg.contains(&std::process::id().to_string()), "{msg}");
    drop(held);
    lock_dir(dir.path()).unwrap();
}
