//! Tests for `store`: ordered scans, record files and their extents, their index files, format
//! markers, the move from layout 1, persistence and the directory lock.

use super::*;
use records::entry;

fn id(s: &str) -> MemberId {
    s.parse().unwrap()
}

#[test]
fn appends_scan_in_order_per_origin_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        store.append(&id("BEBRU"), 0, &[b"a".to_vec(), b"b".to_vec()], &[]).unwrap();
        store.append(&id("ALTIA"), 0, &[b"t".to_vec()], &[]).unwrap();
        store.append(&id("BEBRU"), 2, &[b"c".to_vec()], &[]).unwrap();
        store.put_tree_head(&id("BEBRU"), b"head").unwrap();
    }
    let store = Store::open(&path).unwrap();
    let bru = id("BEBRU");
    let all: Vec<_> = store.records(&bru, 0).map(Result::unwrap).collect();
    assert_eq!(all, vec![(0, b("a")), (1, b("b")), (2, b("c"))]);
    let tail: Vec<_> = store.records(&bru, 2).map(Result::unwrap).collect();
    assert_eq!(tail, vec![(2, b("c"))]);
    assert_eq!(store.record(&bru, 1).unwrap(), Some(b("b")));
    assert_eq!(store.record(&bru, 9).unwrap(), None);
    assert_eq!(store.origins().unwrap(), vec![id("ALTIA"), id("BEBRU")]);
    assert_eq!(store.tree_head(&bru).unwrap(), Some(b"head".to_vec()));
    assert_eq!(store.tree_head(&id("IEDUB")).unwrap(), None);
}

impl Store {
    /// Replaces `origin`'s records from `seq` on with `envelopes`, as disk damage or an intruder
    /// would (tests only: a log is never cut in use).
    pub(crate) fn replace_from(&self, origin: &MemberId, seq: u64, envelopes: &[Vec<u8>]) {
        self.files.truncate(origin, seq);
        self.files.cut_back(origin);
        self.append(origin, seq, envelopes, &[]).unwrap();
    }
}

#[test]
fn values_carry_a_format_byte_and_unknown_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        store.put_tree_head(&id("BEBRU"), b"a").unwrap();
        let raw = store.heads.get("BEBRU").unwrap().unwrap();
        assert_eq!(raw.as_ref(), &[FORMAT_V1, b'a']);
        // A value from a future format is reported, not misread.
        store.heads.insert("BEBRU", &[9u8, 1, 2]).unwrap();
        let err = store.tree_head(&id("BEBRU")).unwrap_err();
        assert!(err.to_string().contains("format 9"), "{err}");
        store.db.open_tree("meta").unwrap().insert("format", &[LAYOUT + 1]).unwrap();
        store.sync().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, Error::Format { found, .. } if found == LAYOUT + 1), "{err}");
}

#[test]
fn appends_start_where_the_log_ends_and_uncommitted_bytes_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let bru = id("BEBRU");
    {
        let store = Store::open(&path).unwrap();
        store.append(&bru, 0, &[b"a".to_vec(), b"bb".to_vec()], &[]).unwrap();
        let e = store.append(&bru, 1, &[b"x".to_vec()], &[]).unwrap_err();
        assert!(matches!(e, Error::Position { at: 1, held: 2, .. }), "{e}");
        assert!(e.to_string().contains("record BEBRU/1: appended where the store holds 2"), "{e}");
        assert!(store.failed().is_none(), "refused before anything was written");
    }
    // A crash after the file's fsync but before sled's: the frame is there, not committed.
    let file = path.join("records").join("BEBRU.records");
    let mut bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len(), 4 + 1 + 4 + 2);
    bytes.extend_from_slice(&[3, 0, 0, 0, b'c', b'c']);
    std::fs::write(&file, &bytes).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.records(&bru, 0).count(), 2);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 11, "cut back to what was committed");
    store.append(&bru, 2, &[b"ccc".to_vec()], &[]).unwrap();
    let all: Vec<_> = store.records(&bru, 0).map(Result::unwrap).collect();
    assert_eq!(all.last(), Some(&(2, b("ccc"))));
    drop(store);
    // A file shorter than what was committed is refused with its path.
    std::fs::write(&file, &bytes[..5]).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, Error::Damaged { .. }), "{e}");
    let e = e.to_string();
    assert!(e.contains("BEBRU.records: damaged: ") && e.contains("were committed"), "{e}");
    std::fs::remove_file(&file).unwrap();
    let e = Store::open(&path).unwrap_err().to_string();
    assert!(e.contains("BEBRU.records: damaged: missing, but 3 records were committed"), "{e}");
}

#[test]
fn a_store_of_layout_1_has_its_records_moved_into_record_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let value = |origin: &str, seq: u64| format!("{origin}{seq}").into_bytes();
    {
        // A move cut short: the first 1,000 of Brussels's records are in their file already.
        let store = Store::open(&path).unwrap();
        let first: Vec<Vec<u8>> = (0..1000).map(|seq| value("BEBRU", seq)).collect();
        store.append(&id("BEBRU"), 0, &first, &[]).unwrap();
        // The layout of earlier versions: records in a sled tree, keyed origin ++ sequence.
        let records = store.db.open_tree("records").unwrap();
        for (origin, n) in [("BEBRU", 2500u64), ("ALTIA", 3)] {
            for seq in 0..n {
                records
                    .insert(record_key(&id(origin), seq), versioned(&value(origin, seq)))
                    .unwrap();
            }
        }
        store.put_tree_head(&id("BEBRU"), b"head").unwrap();
        store.db.open_tree("meta").unwrap().insert("format", &[1u8]).unwrap();
        store.sync().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.origins().unwrap(), vec![id("ALTIA"), id("BEBRU")]);
    let bru: Vec<_> = store.records(&id("BEBRU"), 0).map(Result::unwrap).collect();
    assert_eq!(bru.len(), 2500);
    assert!(bru.iter().all(|(seq, env)| *env == value("BEBRU", *seq)));
    assert_eq!(store.record(&id("ALTIA"), 2).unwrap(), Some(value("ALTIA", 2).into()));
    assert_eq!(store.tree_head(&id("BEBRU")).unwrap(), Some(b"head".to_vec()));
    assert!(!store.db.tree_names().iter().any(|n| n.as_ref() == b"records"));
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.records(&id("BEBRU"), 0).count(), 2500);
}

/// Index entries of `n` records from `first` on: leaf `[seq; 32]`, tag 10 + seq % 3.
fn entries(first: u8, n: u8) -> Vec<Indexed> {
    (first..first + n).map(|seq| Indexed { leaf: [seq; 32], tag: 10 + seq % 3 }).collect()
}

#[test]
fn the_index_finds_the_frames_at_open_without_reading_the_record_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let bru = id("BEBRU");
    let envs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10 + usize::from(i)]).collect();
    {
        let store = Store::open(&path).unwrap();
        store.append(&bru, 0, &envs[..3], &entries(0, 3)).unwrap();
        store.append(&bru, 3, &envs[3..], &entries(3, 2)).unwrap();
    }
    let index = path.join("records").join("BEBRU.index");
    assert_eq!(std::fs::metadata(&index).unwrap().len(), 5 * ENTRY as u64);
    // A record file whose frame lengths no longer add up is not read at open: the index says
    // where each frame is, and the damaged frame is found when it is read.
    let file = path.join("records").join("BEBRU.records");
    let mut bytes = std::fs::read(&file).unwrap();
    let second = 4 + envs[0].len();
    bytes[second] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let store = Store::open(&path).unwrap();
    let leaves: Vec<Leaf> = entries(0, 5).iter().map(|i| i.leaf).collect();
    assert_eq!(store.leaves(&bru).unwrap(), leaves);
    assert_eq!(store.record(&bru, 4).unwrap(), Some(envs[4].clone().into()));
    let e = store.record(&bru, 1).unwrap_err().to_string();
    assert!(e.contains("the frame of record BEBRU/1 changed"), "{e}");
    // Tags select records without reading them; records the index lacks are always named.
    assert_eq!(store.tagged(&bru, 0, 5, &[10]), vec![0, 3]);
    assert_eq!(store.tagged(&bru, 1, 4, &[11, 12]), vec![1, 2]);
    store.append(&bru, 5, &[b"no entry".to_vec()], &[]).unwrap();
    assert_eq!(store.tagged(&bru, 0, 6, &[11]), vec![1, 4, 5]);
}

#[test]
fn a_missing_short_or_damaged_index_is_read_up_to_its_last_good_entry_and_mended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let bru = id("BEBRU");
    let envs: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 7]).collect();
    let leaves: Vec<Leaf> = entries(0, 4).iter().map(|i| i.leaf).collect();
    Store::open(&path).unwrap().append(&bru, 0, &envs, &entries(0, 4)).unwrap();
    let index = path.join("records").join("BEBRU.index");
    let good = std::fs::read(&index).unwrap();
    let records = |store: &Store| store.records(&bru, 0).map(Result::unwrap).count();

    // A bit flipped in entry 2: entries 0 and 1 are used, the rest is read from the record
    // file, and the index is cut after its good entries until the caller writes them back.
    let mut bad = good.clone();
    bad[2 * ENTRY + 9] ^= 1;
    std::fs::write(&index, &bad).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.leaves(&bru).unwrap(), leaves[..2]);
    assert_eq!(records(&store), 4);
    assert_eq!(std::fs::metadata(&index).unwrap().len(), 2 * ENTRY as u64);
    assert_eq!(store.tagged(&bru, 0, 4, &[10]), vec![0, 2, 3], "records without an entry");
    // An append while the index lacks entries writes none (they would not be in order).
    store.append(&bru, 4, &[b"four".to_vec()], &entries(4, 1)).unwrap();
    assert_eq!(std::fs::metadata(&index).unwrap().len(), 2 * ENTRY as u64);
    store.put_index(&bru, 2, &entries(2, 3)).unwrap();
    let mended: Vec<Leaf> = entries(0, 5).iter().map(|i| i.leaf).collect();
    assert_eq!(store.leaves(&bru).unwrap(), mended);
    let e = store.put_index(&bru, 4, &entries(4, 2)).unwrap_err();
    assert!(matches!(e, Error::Position { .. }), "past the records stored: {e}");
    drop(store);
    assert_eq!(Store::open(&path).unwrap().leaves(&bru).unwrap(), mended);

    // Entries that pass their CRC but do not add up to the extent: the record file is read.
    // (Record 0's frame ends at byte 11; this entry says 8, where no frame starts.)
    std::fs::write(&index, entry(8, &entries(0, 1)[0])).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.leaves(&bru).unwrap(), Vec::<Leaf>::new());
    assert_eq!(records(&store), 5);
    drop(store);

    // No index at all (a store of an earlier version): the record file is read.
    std::fs::remove_file(&index).unwrap();
    let store = Store::open(&path).unwrap();
    assert!(store.leaves(&bru).unwrap().is_empty());
    assert_eq!(records(&store), 5);
    // Entries past the records committed (an append cut short by a crash) are cut off.
    store.put_index(&bru, 0, &entries(0, 5)).unwrap();
    drop(store);
    let mut longer = std::fs::read(&index).unwrap();
    longer.extend_from_slice(&entry(999, &entries(5, 1)[0]));
    std::fs::write(&index, &longer).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.leaves(&bru).unwrap(), mended);
    assert_eq!(std::fs::metadata(&index).unwrap().len(), 5 * ENTRY as u64);
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
    store.append(&id("BEBRU"), 0, &[b"a".to_vec()], &[]).unwrap();
    // No file system has this much free: every write is refused before it starts.
    let store = store.with_min_free(u64::MAX);
    let e = store.append(&id("BEBRU"), 1, &[b"b".to_vec()], &[]).unwrap_err();
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
    store.append(&id("BEBRU"), 1, &[b"b".to_vec()], &[]).unwrap();
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

/// `text` as the store reads a record back.
fn b(text: &str) -> prost::bytes::Bytes {
    prost::bytes::Bytes::copy_from_slice(text.as_bytes())
}

#[test]
fn the_own_releases_index_keeps_each_first_release_and_the_position_it_was_read_up_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let r = |period: &str, indicator: &str, seq| (period.to_owned(), indicator.to_owned(), seq);
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.released_upto().unwrap(), 0, "a new store has read nothing");
        assert!(store.released("2025").unwrap().is_empty());
        let first = [r("2025", "DRI-USE-01", 3), r("2025", "DRI-SKL-02", 4), r("2024", "X", 7)];
        store.put_released(&first, 8).unwrap();
        // A later release of a pair held keeps the first one's position.
        store.put_released(&[r("2025", "DRI-USE-01", 9)], 10).unwrap();
        store.sync().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.released_upto().unwrap(), 10);
    let period = |p: &str| store.released(p).unwrap();
    assert_eq!(period("2025"), vec![("DRI-SKL-02".to_owned(), 4), ("DRI-USE-01".to_owned(), 3)]);
    assert_eq!(period("2024"), vec![("X".to_owned(), 7)]);
    assert!(period("202").is_empty(), "a period is matched whole, not as a prefix");
    store.clear_released().unwrap();
    assert_eq!(store.released_upto().unwrap(), 0);
    assert!(period("2025").is_empty());
}
