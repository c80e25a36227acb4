//! Record files: each origin's envelopes in an append-only file of its own, outside sled, read
//! with positioned reads, so what a node reads of its logs stays in the kernel's page cache
//! rather than in the process (sled 0.34 keeps every value a scan reads), and beside each an
//! index file of fixed-size entries, so that opening a store reads neither.
//!
//! A record file is a run of frames, each a length (u32, little-endian) and an envelope. What a
//! file holds is what sled's `extents` tree says it holds (records and bytes per origin): frames
//! are written and fsynced first, then the extent is moved in sled and fsynced, so a record is
//! there once its extent says so, and bytes past the extent (an append cut short by a crash, or
//! never committed) are cut off when the store opens. Files are opened per operation, so a node
//! of many members holds no file descriptor per log.
//!
//! The index file (`<origin>.index`) holds one entry of [`ENTRY`] bytes per record, in order:
//! where its frame ends, its leaf hash and a tag the caller chose (the log: its payload's kind),
//! with a CRC-32 of the entry. It is written and fsynced with the frames, before the extent
//! moves, and is a cache of the record file, never the truth: an index that is missing, short,
//! or whose entries fail their CRC or do not add up to the extent is used up to its first bad
//! entry, the frames past it are read from the record file, and the caller (the log, which
//! hashes their bodies) writes the missing entries back (`put_index`). The leaf hashes are for
//! the caller to check (the log checks them against its origin's signed tree head).

use std::{
    collections::BTreeMap,
    fs::{self, File, OpenOptions},
    io::{BufReader, Read, Seek, SeekFrom},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
    sync::RwLock,
};

use prost::bytes::Bytes;

use super::Error;
use crate::identity::MemberId;

/// Bytes of a frame's length prefix.
const PREFIX: u64 = 4;

/// Bytes read at once when scanning records in order.
const READ_CHUNK: u64 = 1 << 20;

/// Bytes of an index entry: the frame's end (u64, little-endian), the leaf hash (32 bytes), the
/// tag (1 byte), three bytes of zeros, and a CRC-32 of the 44 bytes before it (u32,
/// little-endian).
pub const ENTRY: usize = 48;

/// A record's leaf hash, as the index keeps it.
pub type Leaf = [u8; 32];

/// A record as the store is given it to write: an envelope whose encoding goes into its frame
/// (the log writes a peer's decoded record straight into the file's buffer, without an
/// intermediate encoding).
pub trait Envelope {
    /// Bytes of its encoding.
    fn encoded_len(&self) -> usize;
    /// Appends its encoding to `buf`.
    fn encode_into(&self, buf: &mut Vec<u8>);
}

impl<E: Envelope> Envelope for &E {
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }

    fn encode_into(&self, buf: &mut Vec<u8>) {
        (**self).encode_into(buf);
    }
}

impl Envelope for Vec<u8> {
    fn encoded_len(&self) -> usize {
        self.len()
    }

    fn encode_into(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self);
    }
}

/// What the index keeps of a record besides where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indexed {
    /// Its leaf hash.
    pub leaf: Leaf,
    /// A tag the caller chose (the log: the field number of its payload, 0 for none).
    pub tag: u8,
}

/// One origin's committed records, as the store holds them in memory.
#[derive(Debug)]
struct Held {
    /// The offset of each committed record's frame, and then the end of the last (`count + 1`
    /// entries).
    offsets: Vec<u64>,
    /// The tag of each record the index file holds entries of: its first `tags.len()` records.
    tags: Vec<u8>,
}

/// The record files of one store, with where each committed record starts.
#[derive(Debug)]
pub(super) struct Files {
    dir: PathBuf,
    held: RwLock<BTreeMap<MemberId, Held>>,
}

impl Files {
    /// Opens the record files under `dir` for the extents sled holds: each file is cut back to
    /// its extent and its frames are found through its index, reading the record file past the
    /// index's last good entry. A file shorter than its extent, or whose frames do not add up
    /// to it, is refused with its path.
    pub(super) fn open(
        dir: &Path,
        extents: impl IntoIterator<Item = (MemberId, u64, u64)>,
    ) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let mut held = BTreeMap::new();
        for (origin, count, bytes) in extents {
            let records = dir.join(file_name(&origin));
            let index = dir.join(index_name(&origin));
            held.insert(origin, open_one(&records, &index, count, bytes)?);
        }
        Ok(Self { dir: dir.to_owned(), held: RwLock::new(held) })
    }

    fn read_held(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<MemberId, Held>> {
        self.held.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_held(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<MemberId, Held>> {
        self.held.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The file of `origin`'s records.
    pub(super) fn path(&self, origin: &MemberId) -> PathBuf {
        self.dir.join(file_name(origin))
    }

    /// The index file of `origin`'s records.
    pub(super) fn index_path(&self, origin: &MemberId) -> PathBuf {
        self.dir.join(index_name(origin))
    }

    /// Records and bytes committed of `origin`.
    pub(super) fn extent(&self, origin: &MemberId) -> (u64, u64) {
        self.read_held()
            .get(origin)
            .map_or((0, 0), |h| (h.offsets.len() as u64 - 1, *h.offsets.last().unwrap_or(&0)))
    }

    /// Records of `origin` its index file holds entries of (its first ones).
    pub(super) fn indexed(&self, origin: &MemberId) -> u64 {
        self.read_held().get(origin).map_or(0, |h| h.tags.len() as u64)
    }

    /// Writes `envelopes` as frames after `origin`'s committed bytes (`at`) and makes them
    /// durable, with their `index` entries when the index file holds every committed record
    /// (and `index` is given, one per envelope); returns the offsets they end at and whether the
    /// index was written. Not committed: the caller moves the extent in sled, then calls
    /// `committed`.
    pub(super) fn write(
        &self,
        origin: &MemberId,
        at: u64,
        envelopes: &[impl Envelope],
        index: &[Indexed],
    ) -> Result<(Vec<u64>, bool), Error> {
        let path = self.path(origin);
        let io = |source| Error::Io { path: path.clone(), source };
        let len: usize = envelopes.iter().map(|e| e.encoded_len() + PREFIX as usize).sum();
        let mut buf = Vec::with_capacity(len);
        let mut ends = Vec::with_capacity(envelopes.len());
        for env in envelopes {
            let n = u32::try_from(env.encoded_len()).map_err(|_| {
                io(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a record of 4 GiB or more cannot be stored",
                ))
            })?;
            buf.extend_from_slice(&n.to_le_bytes());
            let start = buf.len();
            env.encode_into(&mut buf);
            debug_assert_eq!(buf.len() - start, n as usize, "an envelope's encoding is its length");
            ends.push(at + buf.len() as u64);
        }
        self.write_synced(&path, at, &buf)?;
        let (count, _) = self.extent(origin);
        let indexed = index.len() == envelopes.len() && self.indexed(origin) == count;
        if indexed {
            let entries: Vec<u8> =
                ends.iter().zip(index).flat_map(|(&end, i)| entry(end, i)).collect();
            self.write_synced(&self.index_path(origin), count * ENTRY as u64, &entries)?;
        }
        Ok((ends, indexed))
    }

    /// Writes `bytes` at `at` of `path` and fsyncs them (and the directory, when the file is new).
    fn write_synced(&self, path: &Path, at: u64, bytes: &[u8]) -> Result<(), Error> {
        let io = |source| Error::Io { path: path.to_owned(), source };
        let created = !path.exists();
        let file = OpenOptions::new().create(true).write(true).truncate(false).open(path);
        let file = file.map_err(io)?;
        file.write_all_at(bytes, at).map_err(io)?;
        file.sync_data().map_err(io)?;
        if created {
            // The new file's name must survive a crash as well as its bytes.
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|source| Error::Io { path: self.dir.clone(), source })?;
        }
        Ok(())
    }

    /// Records that the frames written ending at `ends` are committed (their extent is in sled),
    /// with the tags of their index entries when `write` wrote them.
    pub(super) fn committed(&self, origin: &MemberId, ends: Vec<u64>, tags: Option<Vec<u8>>) {
        let mut held = self.write_held();
        let held = held
            .entry(origin.clone())
            .or_insert_with(|| Held { offsets: vec![0], tags: Vec::new() });
        held.offsets.extend(ends);
        if let Some(tags) = tags {
            held.tags.extend(tags);
        }
    }

    /// Cuts `origin`'s record and index files back to what is committed after a write that was
    /// not.
    pub(super) fn cut_back(&self, origin: &MemberId) {
        let (_, bytes) = self.extent(origin);
        if let Ok(file) = OpenOptions::new().write(true).open(self.path(origin)) {
            let _ = file.set_len(bytes);
        }
        let indexed = self.indexed(origin);
        if let Ok(file) = OpenOptions::new().write(true).open(self.index_path(origin)) {
            let _ = file.set_len(indexed * ENTRY as u64);
        }
    }

    /// Forgets `origin`'s records from `count` on (tests only: a log is never cut in use).
    #[cfg(test)]
    pub(super) fn truncate(&self, origin: &MemberId, count: u64) {
        let mut held = self.write_held();
        if let Some(h) = held.get_mut(origin) {
            h.offsets.truncate(count as usize + 1);
            h.tags.truncate(count as usize);
        }
    }

    /// Origins with committed records, in order.
    pub(super) fn origins(&self) -> Vec<MemberId> {
        let held = self.read_held();
        held.iter().filter(|(_, h)| h.offsets.len() > 1).map(|(id, _)| id.clone()).collect()
    }

    /// The leaf hashes in `origin`'s index file, from its first record on: one per committed
    /// record, up to the first entry that does not read back as written (usually all of them).
    pub(super) fn leaves(&self, origin: &MemberId) -> Result<Vec<Leaf>, Error> {
        let indexed = self.indexed(origin);
        if indexed == 0 {
            return Ok(Vec::new());
        }
        let path = self.index_path(origin);
        let io = |source| Error::Io { path: path.clone(), source };
        let mut bytes = vec![0; indexed as usize * ENTRY];
        File::open(&path).map_err(io)?.read_exact_at(&mut bytes, 0).map_err(io)?;
        Ok(bytes.chunks_exact(ENTRY).map_while(decode_entry).map(|(_, i)| i.leaf).collect())
    }

    /// Writes index entries of `origin`'s committed records `from..from + index.len()` (`from`
    /// at most the records indexed), cutting the index file after them, and makes them durable.
    pub(super) fn put_index(
        &self,
        origin: &MemberId,
        from: u64,
        index: &[Indexed],
    ) -> Result<(), Error> {
        let (count, _) = self.extent(origin);
        let end = from + index.len() as u64;
        if from > self.indexed(origin) || end > count {
            return Err(Error::Position {
                origin: origin.clone(),
                at: from,
                held: self.indexed(origin),
            });
        }
        let entries: Vec<u8> = {
            let mut held = self.write_held();
            let Some(held) = held.get_mut(origin) else { return Ok(()) };
            // Until the entries are durable, the index holds only those before them.
            held.tags.truncate(from as usize);
            held.offsets[from as usize + 1..=end as usize]
                .iter()
                .zip(index)
                .flat_map(|(&end, i)| entry(end, i))
                .collect()
        };
        let path = self.index_path(origin);
        // Cut after `from`, then written up to `end`: one fsync makes both durable.
        if let Ok(file) = OpenOptions::new().write(true).open(&path) {
            file.set_len(from * ENTRY as u64)
                .map_err(|source| Error::Io { path: path.clone(), source })?;
        }
        self.write_synced(&path, from * ENTRY as u64, &entries)?;
        let mut held = self.write_held();
        if let Some(held) = held.get_mut(origin)
            && held.tags.len() as u64 == from
        {
            held.tags.extend(index.iter().map(|i| i.tag));
        }
        Ok(())
    }

    /// The positions of `origin`'s records in `from..upto` that may carry one of `tags`: those
    /// whose index entry says so, and every record the index holds no entry of.
    pub(super) fn tagged(&self, origin: &MemberId, from: u64, upto: u64, tags: &[u8]) -> Vec<u64> {
        let held = self.read_held();
        let Some(h) = held.get(origin) else { return Vec::new() };
        let upto = upto.min(h.offsets.len() as u64 - 1);
        (from..upto)
            .filter(|&seq| h.tags.get(seq as usize).is_none_or(|t| tags.contains(t)))
            .collect()
    }

    /// Committed records of `origin` from `from` on, at most about `max_bytes` of them (at least
    /// one when any is there), in one read.
    pub(super) fn read(
        &self,
        origin: &MemberId,
        from: u64,
        max_bytes: u64,
    ) -> Result<Vec<(u64, Bytes)>, Error> {
        let starts: Vec<u64> = {
            let held = self.read_held();
            let Some(o) = held.get(origin).map(|h| &h.offsets) else { return Ok(Vec::new()) };
            let Ok(from) = usize::try_from(from) else { return Ok(Vec::new()) };
            if from + 1 >= o.len() {
                return Ok(Vec::new());
            }
            let first = o[from];
            let last = o[from + 1..].iter().position(|&end| end - first > max_bytes);
            let upto = last.map_or(o.len(), |i| from + i.max(1) + 1);
            o[from..upto].to_vec()
        };
        let (first, end) = (starts[0], starts[starts.len() - 1]);
        let path = self.path(origin);
        let io = |source| Error::Io { path: path.clone(), source };
        let mut bytes = vec![0; (end - first) as usize];
        File::open(&path).map_err(io)?.read_exact_at(&mut bytes, first).map_err(io)?;
        // Each envelope is a slice of the one buffer read, not a copy.
        let bytes = Bytes::from(bytes);
        let mut out = Vec::with_capacity(starts.len() - 1);
        for (i, pair) in starts.windows(2).enumerate() {
            let frame = &bytes[(pair[0] - first) as usize..(pair[1] - first) as usize];
            let (len, env) = frame.split_at(PREFIX as usize);
            // Unwrap safety: `split_at(4)` of a frame, at least four bytes long as indexed.
            let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
            if len != env.len() {
                return Err(Error::Damaged {
                    path: path.clone(),
                    what: format!("the frame of record {origin}/{} changed", from + i as u64),
                });
            }
            let at = (pair[0] - first) as usize + PREFIX as usize;
            out.push((from + i as u64, bytes.slice(at..at + len)));
        }
        Ok(out)
    }

    /// Bytes the record and index files occupy.
    pub(super) fn size(&self) -> u64 {
        let held = self.read_held();
        held.values()
            .map(|h| h.offsets.last().copied().unwrap_or(0) + h.tags.len() as u64 * ENTRY as u64)
            .sum()
    }
}

/// The file name of `origin`'s records (member ids are five letters).
fn file_name(origin: &MemberId) -> String {
    format!("{origin}.records")
}

/// The file name of `origin`'s index.
fn index_name(origin: &MemberId) -> String {
    format!("{origin}.index")
}

/// The index entry of a frame ending at `end`.
pub(super) fn entry(end: u64, i: &Indexed) -> [u8; ENTRY] {
    let mut e = [0u8; ENTRY];
    e[..8].copy_from_slice(&end.to_le_bytes());
    e[8..40].copy_from_slice(&i.leaf);
    e[40] = i.tag;
    let crc = crc32fast::hash(&e[..44]);
    e[44..].copy_from_slice(&crc.to_le_bytes());
    e
}

/// An index entry read back: where its frame ends, and what it keeps; `None` when its CRC fails.
fn decode_entry(e: &[u8]) -> Option<(u64, Indexed)> {
    let crc = u32::from_le_bytes(e[44..48].try_into().ok()?);
    if crc32fast::hash(&e[..44]) != crc || e[41..44] != [0, 0, 0] {
        return None;
    }
    let end = u64::from_le_bytes(e[..8].try_into().ok()?);
    Some((end, Indexed { leaf: e[8..40].try_into().ok()?, tag: e[40] }))
}

/// Opens one origin's record file, holding `count` records in `bytes` bytes (cutting off
/// anything past them), with the frames its index file finds, and those past the index read
/// from the record file.
fn open_one(records: &Path, index: &Path, count: u64, bytes: u64) -> Result<Held, Error> {
    let io = |source| Error::Io { path: records.to_owned(), source };
    let bad = |what: String| Error::Damaged { path: records.to_owned(), what };
    let file = match File::open(records) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(bad(format!("missing, but {count} records were committed to it")));
        }
        Err(e) => return Err(io(e)),
    };
    let len = file.metadata().map_err(io)?.len();
    if len < bytes {
        return Err(bad(format!(
            "holds {len} bytes, but {count} records in {bytes} bytes were committed to it"
        )));
    }
    if len > bytes {
        // An append that was not committed (a crash between the file's fsync and sled's).
        let file = OpenOptions::new().write(true).open(records).map_err(io)?;
        file.set_len(bytes).map_err(io)?;
        file.sync_data().map_err(io)?;
    }
    let mut held = read_index(index, count, bytes);
    let scanned = scan(&file, &mut held.offsets, bytes);
    if (scanned.is_err() || held.offsets.len() as u64 != count + 1) && !held.tags.is_empty() {
        // The index's good entries do not add up with the frames past them: read the whole
        // record file instead.
        held = Held { offsets: vec![0], tags: Vec::new() };
        scan(&file, &mut held.offsets, bytes).map_err(bad)?;
    } else {
        scanned.map_err(bad)?;
    }
    if held.offsets.len() as u64 != count + 1 {
        return Err(bad(format!(
            "holds {} records where {count} were committed",
            held.offsets.len() - 1
        )));
    }
    // Entries past the good ones (not committed, or damaged) go, before anything is appended
    // after them, and durably: a crash must not bring them back under later records.
    let kept = held.tags.len() as u64 * ENTRY as u64;
    let index_io = |source| Error::Io { path: index.to_owned(), source };
    match fs::metadata(index) {
        Ok(meta) if meta.len() != kept => {
            let file = OpenOptions::new().write(true).open(index).map_err(index_io)?;
            file.set_len(kept).map_err(index_io)?;
            file.sync_data().map_err(index_io)?;
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(index_io(e)),
    }
    Ok(held)
}

/// The good entries of an index file for `count` records in `bytes` bytes: each reads back as
/// written (its CRC), and its frame ends past the last one's by a length prefix at least and
/// within `bytes`; reading stops at the first that does not.
fn read_index(path: &Path, count: u64, bytes: u64) -> Held {
    let mut held = Held { offsets: vec![0], tags: Vec::new() };
    let Ok(file) = File::open(path) else { return held };
    let mut buf = Vec::new();
    if file.take(count * ENTRY as u64).read_to_end(&mut buf).is_err() {
        return held;
    }
    held.offsets.reserve(count as usize);
    held.tags.reserve(count as usize);
    for e in buf.chunks_exact(ENTRY) {
        let Some((end, i)) = decode_entry(e) else { break };
        let last = *held.offsets.last().unwrap_or(&0);
        if end < last + PREFIX || end > bytes {
            break;
        }
        held.offsets.push(end);
        held.tags.push(i.tag);
    }
    held
}

/// Finds the frames of a record file from the end of the last one in `offsets` up to `bytes`,
/// pushing where each ends.
fn scan(file: &File, offsets: &mut Vec<u64>, bytes: u64) -> Result<(), String> {
    let mut at = *offsets.last().unwrap_or(&0);
    if at == bytes {
        return Ok(());
    }
    let mut reader = BufReader::with_capacity(READ_CHUNK as usize, file);
    reader.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
    let mut prefix = [0u8; PREFIX as usize];
    while at < bytes {
        if bytes - at < PREFIX {
            return Err(format!("a frame is cut at byte {at} of {bytes} committed"));
        }
        reader.read_exact(&mut prefix).map_err(|e| e.to_string())?;
        let len = u64::from(u32::from_le_bytes(prefix));
        at += PREFIX + len;
        if at > bytes {
            return Err(format!("a frame runs past the {bytes} bytes committed"));
        }
        reader.seek_relative(len as i64).map_err(|e| e.to_string())?;
        offsets.push(at);
    }
    Ok(())
}
