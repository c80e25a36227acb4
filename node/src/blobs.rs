//! Content-addressed document bodies on disk: `DIR/blobs/<sha256 hex>`. A body is written to a
//! temporary file while it is hashed and counted, and renamed into place only when it is
//! complete, within the size limit, and (for fetched bodies) matches the hash it was asked for.
//! Nothing partial is ever left or served.

use std::{
    fs::{self, File},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

/// Why a body was not stored.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Larger than the limit.
    #[error("document is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The bytes do not hash to what was expected.
    #[error("document bytes do not match the SHA-256 they were published with")]
    HashMismatch,
    /// Empty.
    #[error("document is empty")]
    Empty,
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// The blob directory.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// A stored body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// SHA-256.
    pub sha256: [u8; 32],
    /// Size in bytes.
    pub size: u64,
}

impl Blobs {
    /// Opens (creating) the directory and removes temporary files left by a crash.
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with("tmp-") {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Self { dir: dir.to_owned() })
    }

    /// Path of a body.
    pub fn path(&self, sha256: &[u8; 32]) -> PathBuf {
        self.dir.join(hex::encode(sha256))
    }

    /// Whether a body is held.
    pub fn has(&self, sha256: &[u8; 32]) -> bool {
        self.path(sha256).is_file()
    }

    /// Opens a held body.
    pub fn open_body(&self, sha256: &[u8; 32]) -> io::Result<File> {
        File::open(self.path(sha256))
    }

    /// Streams a body in, hashing and counting; keeps it only if it is complete, at most `limit`
    /// bytes and (when given) hashes to `expected`. Returns its hash and size; the first bytes
    /// (up to 512) are passed to `head` for sniffing.
    pub fn put(
        &self,
        mut input: impl Read,
        limit: u64,
        expected: Option<&[u8; 32]>,
        head: &mut Vec<u8>,
    ) -> Result<Stored, Error> {
        let tmp = self.dir.join(format!("tmp-{}-{}", std::process::id(), unique()));
        let io = |source| Error::Io { path: tmp.clone(), source };
        let result = (|| {
            let mut file = File::create(&tmp).map_err(io)?;
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = input.read(&mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                size += n as u64;
                if size > limit {
                    return Err(Error::TooLarge { limit });
                }
                if head.len() < 512 {
                    head.extend_from_slice(&buf[..n.min(512 - head.len())]);
                }
                hasher.update(&buf[..n]);
                file.write_all(&buf[..n]).map_err(io)?;
            }
            if size == 0 {
                return Err(Error::Empty);
            }
            let sha256: [u8; 32] = hasher.finalize().into();
            if expected.is_some_and(|e| e != &sha256) {
                return Err(Error::HashMismatch);
            }
            file.sync_all().map_err(io)?;
            let dest = self.path(&sha256);
            fs::rename(&tmp, &dest).map_err(|source| Error::Io { path: dest, source })?;
            Ok(Stored { sha256, size })
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Re-hashes a held body: true when it still matches its name.
    pub fn verify(&self, sha256: &[u8; 32]) -> bool {
        let Ok(mut f) = self.open_body(sha256) else { return false };
        let mut hasher = Sha256::new();
        io::copy(&mut f, &mut hasher).is_ok() && <[u8; 32]>::from(hasher.finalize()) == *sha256
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) ^ (crate::clock::now_unix_ms() as u64) << 16
}

#[cfg(test)]
mod tests;
