//! The own releases index: the periods and indicators this node's own log has released, with
//! the size of the own log it was read up to, so that the one-exact-release rule asks the store
//! and not the log (a node that restarts does not read its own log again to publish).

use super::*;

/// The key of the own log's size the index was read up to; no period is empty, so no release's
/// key is this one.
const UPTO: &[u8] = b"";

impl Store {
    /// The own log's size the releases index was read up to: 0 when there is none (a new store,
    /// or one written by a version without the index).
    pub fn released_upto(&self) -> Result<u64, Error> {
        match self.released.get(UPTO).map_err(|e| self.sled_err(e))? {
            Some(v) => {
                let bytes = self.unversion(|| "released/".into(), v)?;
                decode_u64_raw(&bytes).ok_or_else(|| Error::Format {
                    path: self.path.clone(),
                    key: "released/".into(),
                    found: FORMAT_V1,
                })
            }
            None => Ok(0),
        }
    }

    /// The indicators the index holds a release of for `period`, with the own log position of
    /// the first release of each.
    pub fn released(&self, period: &str) -> Result<Vec<(String, u64)>, Error> {
        let mut prefix = period.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for item in self.released.scan_prefix(&prefix) {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let indicator = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            let bytes = self.unversion(|| format!("released/{period}/{indicator}"), v)?;
            out.push((indicator, decode_u64_raw(&bytes).unwrap_or(u64::MAX)));
        }
        Ok(out)
    }

    /// Adds releases read from the own log (period, indicator, position) and moves the position
    /// read up to, in one atomic batch. A release held already keeps its first position. Not
    /// flushed: the index is a cache of the log, which is durable already; a crash loses at
    /// most the last additions, and their records are read again.
    pub fn put_released(&self, releases: &[(String, String, u64)], upto: u64) -> Result<(), Error> {
        self.write(|| {
            let mut batch = sled::Batch::default();
            for (period, indicator, seq) in releases {
                let key = released_key(period, indicator);
                if self.released.get(&key).map_err(|e| self.sled_err(e))?.is_none() {
                    batch.insert(key, versioned(&seq.to_be_bytes()));
                }
            }
            batch.insert(UPTO, versioned(&upto.to_be_bytes()));
            self.released.apply_batch(batch).map_err(|e| self.sled_err(e))
        })
    }

    /// Empties the index, to read the own log again from its first record.
    pub fn clear_released(&self) -> Result<(), Error> {
        self.write(|| self.released.clear().map_err(|e| self.sled_err(e)))
    }
}

fn released_key(period: &str, indicator: &str) -> Vec<u8> {
    let mut k = period.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(indicator.as_bytes());
    k
}
