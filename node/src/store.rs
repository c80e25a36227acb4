//! The one place that knows sled: a narrow, versioned, durable store for logs and tree heads.
//!
//! Records live in a file per origin (`records`: append-only frames, read with positioned reads),
//! everything else in sled, where each log's extent (records and bytes committed) is kept: an
//! append is fsynced to its file, then its extent moved in sled. Every sled value starts with a
//! format byte. A write is acknowledged only after sled's flush and an fsync of sled's data file,
//! because sled 0.34's `flush` alone is not a barrier against power loss (it uses
//! `sync_file_range`). The data directory is locked while a node holds it.
//!
//! A full disk: sled 0.34 cannot recover from a failed write within the process (it keeps the
//! error and fails every later write, and some reads), so writes are refused as "disk full" while
//! the store's file system has less than `min_free_bytes` free, before sled runs out of space;
//! reads go on, and writes resume once space is freed. If a write fails all the same (another
//! program filled the disk, or an IO error), the store turns read-only until the node restarts:
//! nothing more is written, and nothing unacknowledged is ever served (the log serves only what
//! its tree covers).

use std::{
    fs::{self, File, OpenOptions, TryLockError},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::OnceLock,
};

use prost::bytes::Bytes;

use crate::{budget::Milli, identity::MemberId};

mod error;
mod ledger;
mod records;
mod released;

pub use error::{Error, out_of_space};
pub use ledger::LedgerSpend;
pub use records::{ENTRY, Envelope, Indexed, Leaf};

/// The format byte every stored value starts with.
pub const FORMAT_V1: u8 = 1;

/// The store's layout, kept under `meta/format`: 1 held records in sled, 2 in record files (a
/// store of layout 1 is moved to 2 when opened).
pub const LAYOUT: u8 = 2;

/// Bytes of sled's page cache unless configured (`[store] cache_bytes`).
pub const DEFAULT_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// A held lock on a data directory; released when dropped or when the process dies.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Locks `dir` for this process, writing the pid into `dir/node.lock` for operators.
pub fn lock_dir(dir: &Path) -> Result<DirLock, Error> {
    let path = dir.join("node.lock");
    let io = |source| Error::Io { path: path.clone(), source };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim().to_owned();
            return Err(Error::Locked { path, holder: (!pid.is_empty()).then_some(pid) });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(DirLock { _file: file })
}

/// Opens sled at `path`. A store dropped in this process a moment ago may still hold sled's
/// file lock (its flusher thread ends after the handle), so a lock refusal is retried for up to
/// two seconds; another process is kept out by the data directory's own lock first.
fn open_sled(path: &Path, cache_bytes: u64) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match sled::Config::new().path(path).cache_capacity(cache_bytes).open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// The durable store of one node.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    /// The record files, under `records/`.
    files: records::Files,
    /// Key: origin (5 bytes). Value: format byte ++ records ++ bytes committed to its record
    /// file (u64 big-endian each).
    extents: sled::Tree,
    /// Key: origin. Value: format byte ++ encoded `SignedTreeHead`.
    heads: sled::Tree,
    /// Key: dataset ++ 0x00 ++ period. Value: format byte ++ budget spent (u64 BE, thousandths).
    ledger: sled::Tree,
    /// Key: origin ++ kind ++ 0x00 ++ sequence. Value: format byte ++ encoded `Evidence`.
    evidence: sled::Tree,
    /// Key: origin ++ witness. Value: format byte ++ encoded `SignedWitnessStatement`.
    witness: sled::Tree,
    /// Key: period ++ 0x00 ++ indicator id. Value: format byte ++ the own log position of its
    /// first release (u64 BE). Key empty: format byte ++ the own log's size read up to
    /// (`released.rs`).
    released: sled::Tree,
    /// Bytes kept free on the file system: writes are refused below it (0: no check).
    min_free: u64,
    /// Set when a write failed: what it said, and whether it ran out of space. From then on
    /// every write is refused (sled keeps failing after an IO error until it is reopened).
    failed: OnceLock<(String, bool)>,
}

// === impl Store ===

impl Store {
    /// Opens or creates the store at `path` with a page cache of [`DEFAULT_CACHE_BYTES`]. The
    /// caller holds the data directory lock.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// Opens or creates the store at `path` with a page cache of `cache_bytes`.
    pub fn open_with_cache(path: &Path, cache_bytes: u64) -> Result<Self, Error> {
        let sled_err = |source| Error::Sled { path: path.to_owned(), source };
        fs::create_dir_all(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        let db = open_sled(path, cache_bytes).map_err(sled_err)?;
        let meta = db.open_tree("meta").map_err(sled_err)?;
        let layout = match meta.get("format").map_err(sled_err)? {
            Some(v) if v.len() == 1 && (FORMAT_V1..=LAYOUT).contains(&v[0]) => v[0],
            Some(v) => {
                return Err(Error::Format {
                    path: path.to_owned(),
                    key: "format".into(),
                    found: v.first().copied().unwrap_or(0),
                });
            }
            None => LAYOUT,
        };
        let extents = db.open_tree("extents").map_err(sled_err)?;
        let mut held = Vec::new();
        for item in extents.iter() {
            let (k, v) = item.map_err(sled_err)?;
            held.push(decode_extent(path, &k, &v)?);
        }
        let files = records::Files::open(&path.join("records"), held)?;
        let heads = db.open_tree("heads").map_err(sled_err)?;
        let ledger = db.open_tree("ledger").map_err(sled_err)?;
        let evidence = db.open_tree("evidence").map_err(sled_err)?;
        let witness = db.open_tree("witness").map_err(sled_err)?;
        let released = db.open_tree("released").map_err(sled_err)?;
        let store = Self {
            path: path.to_owned(),
            db,
            files,
            extents,
            heads,
            ledger,
            evidence,
            witness,
            released,
            min_free: 0,
            failed: OnceLock::new(),
        };
        if layout < LAYOUT {
            store.move_records_out_of_sled()?;
        }
        meta.insert("format", &[LAYOUT]).map_err(sled_err)?;
        store.sync()?;
        Ok(store)
    }

    /// Keeps `bytes` free on the store's file system: writes are refused as "disk full" below it.
    pub fn with_min_free(mut self, bytes: u64) -> Self {
        self.min_free = bytes;
        self
    }

    /// Whether a write may start now: not read-only after a failed write, and (with a reserve)
    /// at least `min_free_bytes` free on the file system. A free space that cannot be measured
    /// lets the write try.
    pub fn writable(&self) -> Result<(), Error> {
        if let Some((cause, disk_full)) = self.failed.get() {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
                cause: cause.clone(),
                disk_full: *disk_full,
            });
        }
        if self.min_free > 0
            && let Ok(free) = fs2::available_space(&self.path)
            && free < self.min_free
        {
            return Err(Error::DiskFull { path: self.path.clone(), free, reserve: self.min_free });
        }
        Ok(())
    }

    /// Why the store refuses writes since a write failed, if it does: the cause, and whether it
    /// ran out of space.
    pub fn failed(&self) -> Option<(String, bool)> {
        self.failed.get().cloned()
    }

    /// Runs one write: refused up front when the store is not writable; when it fails, the
    /// store turns read-only, and an out-of-space failure is reported as such.
    fn write<T>(&self, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        self.writable()?;
        let result = f();
        match result {
            // Refused before anything was written: the store is as it was.
            Err(e) if !matches!(e, Error::LedgerMoved { .. } | Error::Position { .. }) => {
                Err(self.failed_write(e))
            }
            other => other,
        }
    }

    /// A write (or flush) failed: the store turns read-only, and running out of space is
    /// reported as such.
    fn failed_write(&self, e: Error) -> Error {
        let disk_full = e.is_disk_full();
        let cause = if disk_full { "no space left on device".into() } else { e.to_string() };
        self.fail(cause, disk_full);
        if disk_full { Error::NoSpace { path: self.path.clone() } } else { e }
    }

    /// A sled error as the store's. An IO error means sled keeps failing until it is reopened,
    /// so the store turns read-only, whichever call met it first (sled writes in the
    /// background too, so a read may be the first to tell).
    fn sled_err(&self, source: sled::Error) -> Error {
        if let sled::Error::Io(e) = &source {
            let disk_full = out_of_space(e);
            let cause =
                if disk_full { "no space left on device".into() } else { source.to_string() };
            self.fail(cause, disk_full);
            if disk_full {
                return Error::NoSpace { path: self.path.clone() };
            }
        }
        Error::Sled { path: self.path.clone(), source }
    }

    /// Turns the store read-only for good (until the node restarts), logging why once.
    fn fail(&self, cause: String, disk_full: bool) {
        if self.failed.set((cause.clone(), disk_full)).is_ok() {
            tracing::error!(
                store = %self.path.display(),
                error = %cause,
                disk_full,
                "a store write failed: the store is read-only until the node restarts"
            );
        }
    }

    fn unversion(&self, key: impl Fn() -> String, value: sled::IVec) -> Result<Vec<u8>, Error> {
        match value.split_first() {
            Some((&FORMAT_V1, rest)) => Ok(rest.to_vec()),
            other => Err(Error::Format {
                path: self.path.clone(),
                key: key(),
                found: other.map_or(0, |(b, _)| *b),
            }),
        }
    }

    /// Appends consecutive records of one origin, starting at `first_seq` (the number it
    /// holds), with their index entries (`index`: one per envelope, or none), and returns once
    /// they are durable. One fsync of the record file, one of the index file and one of sled
    /// cover the whole batch (group commit).
    pub fn append(
        &self,
        origin: &MemberId,
        first_seq: u64,
        envelopes: &[impl Envelope],
        index: &[Indexed],
    ) -> Result<(), Error> {
        if envelopes.is_empty() {
            return Ok(());
        }
        self.write(|| {
            self.append_records(origin, first_seq, envelopes, index, |extent| {
                self.extents.insert(origin.as_str(), extent).map(drop).map_err(|e| self.sled_err(e))
            })
        })
    }

    /// Writes records to `origin`'s file after those committed (`first_seq` must be the number
    /// it holds), with their index entries, durably, then has `commit` move their extent in sled
    /// (given its new value, with whatever must land in the same transaction) and syncs sled:
    /// readers see the records once that is done; if it fails, the files are cut back to what
    /// was committed.
    fn append_records(
        &self,
        origin: &MemberId,
        first_seq: u64,
        envelopes: &[impl Envelope],
        index: &[Indexed],
        commit: impl FnOnce(Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (count, bytes) = self.files.extent(origin);
        if first_seq != count {
            return Err(Error::Position { origin: origin.clone(), at: first_seq, held: count });
        }
        let written = self.files.write(origin, bytes, envelopes, index);
        let (ends, indexed) = match written {
            Ok(written) => written,
            Err(e) => {
                self.files.cut_back(origin);
                return Err(e);
            }
        };
        let end = ends.last().copied().unwrap_or(bytes);
        match commit(extent_value(count + envelopes.len() as u64, end))
            .and_then(|()| self.sync_now())
        {
            Ok(()) => {
                let tags = indexed.then(|| index.iter().map(|i| i.tag).collect());
                self.files.committed(origin, ends, tags);
                Ok(())
            }
            Err(e) => {
                self.files.cut_back(origin);
                Err(e)
            }
        }
    }

    /// The leaf hashes the index holds of `origin`'s records, from its first on: usually one
    /// per record, fewer where the index lacks entries (a store of an earlier version, or
    /// damage), which `put_index` writes back. They are the index's word, for the caller to
    /// check.
    pub fn leaves(&self, origin: &MemberId) -> Result<Vec<Leaf>, Error> {
        self.files.leaves(origin)
    }

    /// Writes the index entries of `origin`'s stored records `from..from + index.len()`
    /// (`from` at most the records the index holds), durably, replacing any after them. The
    /// index is a cache of the record files, so a failure here loses nothing stored: it is
    /// reported, and the store stays writable.
    pub fn put_index(&self, origin: &MemberId, from: u64, index: &[Indexed]) -> Result<(), Error> {
        self.writable()?;
        self.files.put_index(origin, from, index)
    }

    /// The positions of `origin`'s records in `from..upto` that may carry one of `tags`: those
    /// whose index entry has one of them, and any the index holds no entry of.
    pub fn tagged(&self, origin: &MemberId, from: u64, upto: u64, tags: &[u8]) -> Vec<u64> {
        self.files.tagged(origin, from, upto, tags)
    }

    /// The envelope at `seq` of `origin`'s log.
    pub fn record(&self, origin: &MemberId, seq: u64) -> Result<Option<Bytes>, Error> {
        Ok(self.files.read(origin, seq, 0)?.into_iter().next().map(|(_, env)| env))
    }

    /// The envelopes of `origin`'s log from `from` on, in order, with their sequence numbers:
    /// those committed when each chunk of about a MiB is read.
    pub fn records<'a>(
        &'a self,
        origin: &'a MemberId,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Bytes), Error>> + 'a {
        let mut next = Some(from);
        let mut chunk = std::collections::VecDeque::new();
        std::iter::from_fn(move || {
            if chunk.is_empty() {
                let at = next?;
                match self.files.read(origin, at, 1 << 20) {
                    Ok(read) => {
                        next = read.last().map(|(seq, _)| seq + 1);
                        chunk.extend(read);
                    }
                    Err(e) => {
                        next = None;
                        return Some(Err(e));
                    }
                }
            }
            chunk.pop_front().map(Ok)
        })
    }

    /// The origins with at least one stored record, in order.
    pub fn origins(&self) -> Result<Vec<MemberId>, Error> {
        Ok(self.files.origins())
    }

    /// Records the latest signed tree head of `origin`, durably.
    pub fn put_tree_head(&self, origin: &MemberId, head: &[u8]) -> Result<(), Error> {
        self.write(|| {
            self.heads.insert(origin.as_str(), versioned(head)).map_err(|e| self.sled_err(e))?;
            self.sync_now()
        })
    }

    /// The latest signed tree head stored for `origin`.
    pub fn tree_head(&self, origin: &MemberId) -> Result<Option<Vec<u8>>, Error> {
        match self.heads.get(origin.as_str()).map_err(|e| self.sled_err(e))? {
            Some(v) => self.unversion(|| format!("head/{origin}"), v).map(Some),
            None => Ok(None),
        }
    }

    /// Keeps evidence that `origin` equivocated, durably. The same evidence twice is kept once.
    pub fn put_evidence(
        &self,
        origin: &MemberId,
        kind: &str,
        seq: u64,
        evidence: &[u8],
    ) -> Result<bool, Error> {
        let mut key = origin.as_str().as_bytes().to_vec();
        key.extend_from_slice(kind.as_bytes());
        key.push(0);
        key.extend_from_slice(&seq.to_be_bytes());
        self.write(|| {
            let new = self
                .evidence
                .insert(key, versioned(evidence))
                .map_err(|e| self.sled_err(e))?
                .is_none();
            self.sync_now()?;
            Ok(new)
        })
    }

    /// Evidence held, for one origin or all.
    pub fn evidence(&self, origin: Option<&MemberId>) -> Result<Vec<Vec<u8>>, Error> {
        self.scan_values(
            &self.evidence,
            origin.map(|o| o.as_str().as_bytes()).unwrap_or_default(),
            "evidence",
        )
    }

    /// Keeps the latest witness statement of `witness` about `origin`.
    pub fn put_witness(
        &self,
        origin: &MemberId,
        witness: &MemberId,
        statement: &[u8],
    ) -> Result<(), Error> {
        let mut key = origin.as_str().as_bytes().to_vec();
        key.extend_from_slice(witness.as_str().as_bytes());
        self.write(|| {
            self.witness.insert(key, versioned(statement)).map_err(|e| self.sled_err(e))?;
            Ok(())
        })
    }

    /// Whether exactly this statement of `witness` about `origin` is the one held.
    pub fn holds_witness(&self, origin: &MemberId, witness: &MemberId, statement: &[u8]) -> bool {
        let mut key = origin.as_str().as_bytes().to_vec();
        key.extend_from_slice(witness.as_str().as_bytes());
        matches!(self.witness.get(key), Ok(Some(v)) if v.first() == Some(&FORMAT_V1) && v[1..] == *statement)
    }

    /// Witness statements held, for one origin or all.
    pub fn witnesses(&self, origin: Option<&MemberId>) -> Result<Vec<Vec<u8>>, Error> {
        self.scan_values(
            &self.witness,
            origin.map(|o| o.as_str().as_bytes()).unwrap_or_default(),
            "witness",
        )
    }

    fn scan_values(
        &self,
        tree: &sled::Tree,
        prefix: &[u8],
        what: &str,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut out = Vec::new();
        for item in tree.scan_prefix(prefix) {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            out.push(self.unversion(|| format!("{what}/{}", String::from_utf8_lossy(&k)), v)?);
        }
        Ok(out)
    }

    /// Makes everything written so far durable: sled's flush, then an fsync of its data file.
    /// Refused when the store is read-only after a failed write (nothing can be made durable);
    /// with a full disk it still flushes what the refused writes never added to.
    pub fn sync(&self) -> Result<(), Error> {
        if let Some((cause, disk_full)) = self.failed.get() {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
                cause: cause.clone(),
                disk_full: *disk_full,
            });
        }
        self.sync_now().map_err(|e| self.failed_write(e))
    }

    fn sync_now(&self) -> Result<(), Error> {
        self.db.flush().map_err(|e| self.sled_err(e))?;
        let data = self.path.join("db");
        let io = |source| Error::Io { path: data.clone(), source };
        File::open(&data).map_err(io)?.sync_all().map_err(io)
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0) + self.files.size()
    }

    /// Moves the records of a store of layout 1 (a sled tree `records`, key origin ++ sequence)
    /// into record files, origin by origin, a thousand records per commit, so a move cut short by
    /// a crash goes on from the first record not committed.
    fn move_records_out_of_sled(&self) -> Result<(), Error> {
        let old = self.db.open_tree("records").map_err(|e| self.sled_err(e))?;
        let mut from = Vec::new();
        while let Some((k, _)) =
            old.range(from.clone()..).next().transpose().map_err(|e| self.sled_err(e))?
        {
            let prefix = k[..5].to_vec();
            from = prefix.clone();
            from.extend_from_slice(&[0xff; 9]);
            let Some(origin) =
                std::str::from_utf8(&prefix).ok().and_then(|s| s.parse::<MemberId>().ok())
            else {
                continue;
            };
            // A move cut short goes on after the records it committed.
            let mut seq = self.files.extent(&origin).0;
            let mut batch = Vec::new();
            let (start, end) = (record_key(&origin, seq), record_key(&origin, u64::MAX));
            for item in old.range(start..=end) {
                let (k, v) = item.map_err(|e| self.sled_err(e))?;
                let at = seq_of(&k);
                let want = seq + batch.len() as u64;
                if at != want {
                    return Err(Error::Position { origin: origin.clone(), at, held: want });
                }
                batch.push(self.unversion(|| format!("{origin}/{at}"), v)?);
                if batch.len() == 1000 {
                    self.append(&origin, seq, &batch, &[])?;
                    seq += batch.len() as u64;
                    batch.clear();
                }
            }
            self.append(&origin, seq, &batch, &[])?;
        }
        self.db.drop_tree("records").map_err(|e| self.sled_err(e))?;
        tracing::info!(store = %self.path.display(), "records moved out of sled into record files");
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Dropping sled's last handle flushes, and after a failed write sled 0.34 waits for that
        // flush forever: a store that failed keeps its handles alive instead (what it holds was
        // made durable by earlier flushes, or never acknowledged), so the process can exit.
        if self.failed.get().is_some() {
            std::mem::forget(self.db.clone());
            for tree in [&self.extents, &self.heads, &self.ledger, &self.evidence, &self.witness] {
                std::mem::forget(tree.clone());
            }
        }
    }
}

/// Decodes a versioned u64 value.
fn decode_u64(v: &[u8]) -> Option<u64> {
    match v.split_first() {
        Some((&FORMAT_V1, rest)) => decode_u64_raw(rest),
        _ => None,
    }
}

fn decode_u64_raw(v: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(v.try_into().ok()?))
}

fn versioned(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.push(FORMAT_V1);
    v.extend_from_slice(bytes);
    v
}

/// The key of a record in the sled tree `records` of layout 1.
fn record_key(origin: &MemberId, seq: u64) -> [u8; 13] {
    let mut k = [0u8; 13];
    k[..5].copy_from_slice(origin.as_str().as_bytes());
    k[5..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The extent of a record file in sled: records and bytes committed.
fn extent_value(count: u64, bytes: u64) -> Vec<u8> {
    let mut v = vec![FORMAT_V1];
    v.extend_from_slice(&count.to_be_bytes());
    v.extend_from_slice(&bytes.to_be_bytes());
    v
}

fn decode_extent(path: &Path, key: &[u8], v: &[u8]) -> Result<(MemberId, u64, u64), Error> {
    let bad = |found| Error::Format {
        path: path.to_owned(),
        key: format!("extents/{}", String::from_utf8_lossy(key)),
        found,
    };
    let origin = std::str::from_utf8(key).ok().and_then(|s| s.parse().ok()).ok_or(bad(0))?;
    match v {
        [FORMAT_V1, rest @ ..] if rest.len() == 16 => {
            let count = decode_u64_raw(&rest[..8]).ok_or(bad(FORMAT_V1))?;
            let bytes = decode_u64_raw(&rest[8..]).ok_or(bad(FORMAT_V1))?;
            Ok((origin, count, bytes))
        }
        other => Err(bad(other.first().copied().unwrap_or(0))),
    }
}

fn seq_of(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&key[5..13]);
    u64::from_be_bytes(b)
}

#[cfg(test)]
mod tests;
