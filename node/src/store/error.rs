//! Why the store failed, and how a full disk is told apart from other write failures.

use super::*;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// sled reported an error.
    #[error("store {}: {source}", path.display())]
    Sled {
        /// The store directory.
        path: PathBuf,
        /// The underlying error.
        source: sled::Error,
    },
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process holds the data directory.
    #[error("{}: data directory is in use by another running metronode{}", path.display(), holder.as_ref().map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The pid recorded by the holder, if readable.
        holder: Option<String>,
    },
    /// A budget ledger entry changed between its check and its spend.
    #[error(
        "the privacy budget ledger changed during the release (now {found} thousandths); retry"
    )]
    LedgerMoved {
        /// What the ledger said.
        found: u64,
    },
    /// The store's file system has less free space than the reserve: nothing was written.
    #[error(
        "disk full: {} free on the file system of {}, less than the {} kept free \
         (store.min_free_bytes); nothing was written: writes are refused until space is freed, \
         reads are served",
        mib(*free), path.display(), mib(*reserve)
    )]
    DiskFull {
        /// The store directory.
        path: PathBuf,
        /// Bytes available.
        free: u64,
        /// Bytes kept free.
        reserve: u64,
    },
    /// A write ran out of space: it is not acknowledged, and the store is read-only from now on.
    #[error(
        "disk full: no space left on device for the store {}; nothing more was acknowledged, \
         and the node is read-only (reads are served) until it is restarted with space freed",
        path.display()
    )]
    NoSpace {
        /// The store directory.
        path: PathBuf,
    },
    /// An earlier write failed, so the store refuses writes until the node restarts.
    #[error(
        "{}the store {} is read-only since a write failed ({cause}); reads are served, writes \
         are refused until the node is restarted{}",
        if *disk_full { "disk full: " } else { "" },
        path.display(),
        if *disk_full { " with space freed" } else { "" }
    )]
    ReadOnly {
        /// The store directory.
        path: PathBuf,
        /// What the failed write said.
        cause: String,
        /// The failed write ran out of space.
        disk_full: bool,
    },
    /// A record file does not hold what the store committed to it (cut short, or frames that do
    /// not add up): damaged on disk, by something other than this store.
    #[error("{}: damaged: {what}", path.display())]
    Damaged {
        /// The record file.
        path: PathBuf,
        /// What does not hold.
        what: String,
    },
    /// An append did not start where the log's records end (a bug, never a peer's doing).
    #[error("record {origin}/{at}: appended where the store holds {held} records of {origin}")]
    Position {
        /// The log.
        origin: MemberId,
        /// Where the append started.
        at: u64,
        /// Records held.
        held: u64,
    },
    /// The store was written by a format this version does not read.
    #[error("store {}: value `{key}` has format {found}, which this metronode does not read (it writes format {FORMAT_V1} values in a store of layout {LAYOUT})", path.display())]
    Format {
        /// The store directory.
        path: PathBuf,
        /// Which value.
        key: String,
        /// The format byte found.
        found: u8,
    },
}

impl Error {
    /// The disk is full: the write was refused before it started, or ran out of space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Error::DiskFull { .. } | Error::NoSpace { .. } => true,
            Error::ReadOnly { disk_full, .. } => *disk_full,
            Error::Sled { source: sled::Error::Io(e), .. } | Error::Io { source: e, .. } => {
                out_of_space(e)
            }
            _ => false,
        }
    }

    /// The store refuses writes (full disk, or read-only after a failed write); reads go on.
    pub fn refuses_writes(&self) -> bool {
        matches!(self, Error::DiskFull { .. } | Error::NoSpace { .. } | Error::ReadOnly { .. })
    }
}

/// An IO error that means the file system is out of space (or quota).
pub fn out_of_space(e: &std::io::Error) -> bool {
    // ENOSPC is 28 and EDQUOT 122 on Linux; `StorageFull` and `QuotaExceeded` name them.
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(28 | 122))
}

/// Bytes in MiB with one decimal, for messages.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
