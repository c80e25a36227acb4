//! Tests for `blobs`: stored by hash, and nothing partial left by a refusal.

use super::*;

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[test]
fn bodies_are_stored_by_hash_and_refusals_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Blobs::open(dir.path()).unwrap();
    let mut head = Vec::new();
    let stored = blobs.put(&b"%PDF-1.7 charter"[..], 1024, None, &mut head).unwrap();
    assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(b"%PDF-1.7 charter")));
    assert_eq!(fs::read(blobs.path(&stored.sha256)).unwrap(), b"%PDF-1.7 charter");
    assert!(head.starts_with(b"%PDF") && blobs.verify(&stored.sha256));

    let before = listing(dir.path());
    let big = vec![7u8; 5000];
    assert!(matches!(
        blobs.put(big.as_slice(), 4096, None, &mut Vec::new()),
        Err(Error::TooLarge { limit: 4096 })
    ));
    assert!(matches!(
        blobs.put(&b"other bytes"[..], 1024, Some(&stored.sha256), &mut Vec::new()),
        Err(Error::HashMismatch)
    ));
    assert!(matches!(blobs.put(&b""[..], 1024, None, &mut Vec::new()), Err(Error::Empty)));
    assert_eq!(listing(dir.path()), before, "no partial or temporary file left");

    // A fetched body that matches is kept.
    assert_eq!(
        blobs.put(&b"%PDF-1.7 charter"[..], 1024, Some(&stored.sha256), &mut Vec::new()).unwrap(),
        stored
    );
    // A body corrupted on disk no longer verifies.
    fs::write(blobs.path(&stored.sha256), b"tampered").unwrap();
    assert!(!blobs.verify(&stored.sha256));
    // Crash leftovers are cleaned at open.
    fs::write(dir.path().join("tmp-1-2"), b"half").unwrap();
    Blobs::open(dir.path()).unwrap();
    assert!(!dir.path().join("tmp-1-2").exists());
}
