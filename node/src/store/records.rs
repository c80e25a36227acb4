//! Record files: each origin's envelopes in an append-only file of its own, outside sled, read
//! with positioned reads, so what a node reads of its logs stays in the kernel's page cache
//! rather than in the process (sled 0.34 keeps every value a scan reads).
//!
//! A file is a run of frames, each a length (u32, little-endian) and an envelope. What a file
//! holds is what sled's `extents` tree says it holds (records and bytes per origin): frames are
//! written and fsynced first, then the extent is moved in sled and fsynced, so a record is there
//! once its extent says so, and bytes past the extent (an append cut short by a crash, or never
//! committed) are cut off when the store opens. Files are opened per operation, so a node of
//! many members holds no file descriptor per log.

use std::{
    collections::BTreeMap,
    fs::{self, File, OpenOptions},
    io::{BufReader, Read},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
    sync::RwLock,
};

use super::Error;
use crate::identity::MemberId;

/// Bytes of a frame's length prefix.
const PREFIX: u64 = 4;

/// Bytes read at once when scanning records in order.
const READ_CHUNK: u64 = 1 << 20;

/// The record files of one store, with where each committed record starts.
#[derive(Debug)]
pub(super) struct Files {
    dir: PathBuf,
    /// Per origin: the offset of each committed record's frame, and then the end of the last
    /// (`count + 1` entries).
    offsets: RwLock<BTreeMap<MemberId, Vec<u64>>>,
}

impl Files {
    /// Opens the record files under `dir` for the extents sled holds: each file is cut back to
    /// its extent and its frames are indexed. A file shorter than its extent, or whose frames do
    /// not add up to it, is refused with its path.
    pub(super) fn open(
        dir: &Path,
        extents: impl IntoIterator<Item = (MemberId, u64, u64)>,
    ) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let mut offsets = BTreeMap::new();
        for (origin, count, bytes) in extents {
            let path = dir.join(file_name(&origin));
            offsets.insert(origin, index(&path, count, bytes)?);
        }
        Ok(Self { dir: dir.to_owned(), offsets: RwLock::new(offsets) })
    }

    /// The file of `origin`'s records.
    pub(super) fn path(&self, origin: &MemberId) -> PathBuf {
        self.dir.join(file_name(origin))
    }

    /// Records and bytes committed of `origin`.
    pub(super) fn extent(&self, origin: &MemberId) -> (u64, u64) {
        let offsets = self.offsets.read().unwrap_or_else(|p| p.into_inner());
        offsets.get(origin).map_or((0, 0), |o| (o.len() as u64 - 1, *o.last().unwrap_or(&0)))
    }

    /// Writes `envelopes` as frames after `origin`'s committed bytes (`at`) and makes them
    /// durable; returns the offsets they start at and the new end. Not committed: the caller
    /// moves the extent in sled, then calls `committed`.
    pub(super) fn write(
        &self,
        origin: &MemberId,
        at: u64,
        envelopes: &[Vec<u8>],
    ) -> Result<Vec<u64>, Error> {
        let path = self.path(origin);
        let io = |source| Error::Io { path: path.clone(), source };
        let len: usize = envelopes.iter().map(|e| e.len() + PREFIX as usize).sum();
        let mut buf = Vec::with_capacity(len);
        let mut ends = Vec::with_capacity(envelopes.len());
        for env in envelopes {
            let n = u32::try_from(env.len()).map_err(|_| {
                io(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a record of 4 GiB or more cannot be stored",
                ))
            })?;
            buf.extend_from_slice(&n.to_le_bytes());
            buf.extend_from_slice(env);
            ends.push(at + buf.len() as u64);
        }
        let created = !path.exists();
        let file = OpenOptions::new().create(true).write(true).truncate(false).open(&path);
        let file = file.map_err(io)?;
        file.write_all_at(&buf, at).map_err(io)?;
        file.sync_data().map_err(io)?;
        if created {
            // The new file's name must survive a crash as well as its bytes.
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|source| Error::Io { path: self.dir.clone(), source })?;
        }
        Ok(ends)
    }

    /// Records that the frames written ending at `ends` are committed (their extent is in sled).
    pub(super) fn committed(&self, origin: &MemberId, ends: Vec<u64>) {
        let mut offsets = self.offsets.write().unwrap_or_else(|p| p.into_inner());
        offsets.entry(origin.clone()).or_insert_with(|| vec![0]).extend(ends);
    }

    /// Cuts `origin`'s file back to its committed bytes after a write that was not committed.
    pub(super) fn cut_back(&self, origin: &MemberId) {
        let (_, bytes) = self.extent(origin);
        if let Ok(file) = OpenOptions::new().write(true).open(self.path(origin)) {
            let _ = file.set_len(bytes);
        }
    }

    /// Forgets `origin`'s records from `count` on (tests only: a log is never cut in use).
    #[cfg(test)]
    pub(super) fn truncate(&self, origin: &MemberId, count: u64) {
        let mut offsets = self.offsets.write().unwrap_or_else(|p| p.into_inner());
        if let Some(o) = offsets.get_mut(origin) {
            o.truncate(count as usize + 1);
        }
    }

    /// Origins with committed records, in order.
    pub(super) fn origins(&self) -> Vec<MemberId> {
        let offsets = self.offsets.read().unwrap_or_else(|p| p.into_inner());
        offsets.iter().filter(|(_, o)| o.len() > 1).map(|(id, _)| id.clone()).collect()
    }

    /// Committed records of `origin` from `from` on, at most about `max_bytes` of them (at least
    /// one when any is there), in one read.
    pub(super) fn read(
        &self,
        origin: &MemberId,
        from: u64,
        max_bytes: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, Error> {
        let starts: Vec<u64> = {
            let offsets = self.offsets.read().unwrap_or_else(|p| p.into_inner());
            let Some(o) = offsets.get(origin) else { return Ok(Vec::new()) };
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
        let mut out = Vec::with_capacity(starts.len() - 1);
        for (i, pair) in starts.windows(2).enumerate() {
            let frame = &bytes[(pair[0] - first) as usize..(pair[1] - first) as usize];
            let (len, env) = frame.split_at(PREFIX as usize);
            // Unwrap safety: `split_at(4)` of a frame, whose length was checked when indexed.
            let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
            if len != env.len() {
                return Err(Error::Damaged {
                    path: path.clone(),
                    what: format!("the frame of record {origin}/{} changed", from + i as u64),
                });
            }
            out.push((from + i as u64, env.to_vec()));
        }
        Ok(out)
    }

    /// Bytes the record files occupy.
    pub(super) fn size(&self) -> u64 {
        let offsets = self.offsets.read().unwrap_or_else(|p| p.into_inner());
        offsets.values().map(|o| o.last().copied().unwrap_or(0)).sum()
    }
}

/// The file name of `origin`'s records (member ids are five letters).
fn file_name(origin: &MemberId) -> String {
    format!("{origin}.records")
}

/// Indexes the frames of a record file holding `count` records in `bytes` bytes, after cutting
/// off anything past them.
fn index(path: &Path, count: u64, bytes: u64) -> Result<Vec<u64>, Error> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let bad = |what: String| Error::Damaged { path: path.to_owned(), what };
    let file = match File::open(path) {
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
        let file = OpenOptions::new().write(true).open(path).map_err(io)?;
        file.set_len(bytes).map_err(io)?;
        file.sync_data().map_err(io)?;
    }
    let mut offsets = Vec::with_capacity(count as usize + 1);
    offsets.push(0);
    let mut reader = BufReader::with_capacity(READ_CHUNK as usize, file);
    let mut at = 0u64;
    let mut prefix = [0u8; PREFIX as usize];
    while at < bytes {
        if bytes - at < PREFIX {
            return Err(bad(format!("a frame is cut at byte {at} of {bytes} committed")));
        }
        reader.read_exact(&mut prefix).map_err(io)?;
        let len = u64::from(u32::from_le_bytes(prefix));
        at += PREFIX + len;
        if at > bytes {
            return Err(bad(format!("a frame runs past the {bytes} bytes committed")));
        }
        reader.seek_relative(len as i64).map_err(io)?;
        offsets.push(at);
    }
    if offsets.len() as u64 != count + 1 {
        return Err(bad(format!(
            "holds {} records where {count} were committed",
            offsets.len() - 1
        )));
    }
    Ok(offsets)
}
