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

#[test]
fn writes_are_refused_below_the_free_space_reserve_and_reads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    store.append(&id("BEBRU"), 0, &[b"a".to_vec()]).unwrap();
    // No file system has this much free: every write is refused before it starts.
    let store = store.with_min_free(u64::MAX);
    let e = store.append(&id("BEBRU"), 1, &[b"b".to_vec()]).unwrap_err();
    assert!(matches!(e, Error::DiskFull { .. }), "{e:?}");
    assert!(e.is_disk_full() && e.refuses_writes());
    assert!(e.to_string().starts_with("disk full: "), "{e}");
    assert!(e.to_string().contains("store.min_free_bytes"), "{e}");
    assert!(store.put_tree_head(&id("BEBRU"), b"head").unwrap_err().is_disk_full());
    // Nothing was written, reads go on, and the store is not read-only: the refusal ends when
    // space is free again.
    assert_eq!(store.record(&id("BEBRU"), 1).unwrap(), None);
    assert_eq!(store.records(&id("BEBRU"), 0).count(), 1);
    assert!(store.failed().is_none());
    store.sync().unwrap();
    let store = store.with_min_free(1);
    store.append(&id("BEBRU"), 1, &[b"b".to_vec()]).unwrap();
}

#[test]
fn out_of_space_errors_are_recognised() {
    let enospc = std::io::Error::from_raw_os_error(28);
    assert!(out_of_space(&enospc));
    assert!(out_of_space(&std::io::Error::from(std::io::ErrorKind::StorageFull)));
    assert!(!out_of_space(&std::io::Error::from(std::io::ErrorKind::PermissionDenied)));
    let sled = Error::Sled { path: "store".into(), source: sled::Error::Io(enospc) };
    assert!(sled.is_disk_full());
    let read_only =
        Error::ReadOnly { path: "store".into(), cause: "no space left".into(), disk_full: true };
    assert!(read_only.is_disk_full() && read_only.refuses_writes());
    assert!(read_only.to_string().starts_with("disk full: the store store is read-only"));
}
