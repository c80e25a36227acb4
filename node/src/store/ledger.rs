//! The privacy-budget ledger: spends committed in the same sled transaction as the extent of
//! the records of the release that spends them, and read back per dataset and period.

use super::*;

/// A budget spend to commit atomically with the records of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSpend {
    /// Dataset name.
    pub dataset: String,
    /// Period.
    pub period: String,
    /// What the ledger must still say (guards against a concurrent spend).
    pub expected: Milli,
    /// What it says afterwards.
    pub new: Milli,
}

impl Store {
    /// Appends consecutive records and, in the same sled transaction that commits them (moves
    /// their file's extent), moves a budget ledger entry from `expected` to `new`: either both
    /// are stored or neither. Durable on return.
    pub fn append_with_ledger(
        &self,
        origin: &MemberId,
        first_seq: u64,
        envelopes: &[Vec<u8>],
        index: &[super::Indexed],
        spend: &LedgerSpend,
    ) -> Result<(), Error> {
        use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
        let key = ledger_key(&spend.dataset, &spend.period);
        self.write(|| {
            self.append_records(origin, first_seq, envelopes, index, |extent| {
                let result = (&self.extents, &self.ledger).transaction(|(extents, ledger)| {
                    let current = match ledger.get(&key)? {
                        Some(v) => decode_u64(&v).unwrap_or(u64::MAX),
                        None => 0,
                    };
                    if current != spend.expected.thousandths() {
                        return Err(ConflictableTransactionError::Abort(current));
                    }
                    extents.insert(origin.as_str(), extent.clone())?;
                    ledger
                        .insert(key.clone(), versioned(&spend.new.thousandths().to_be_bytes()))?;
                    Ok(())
                });
                match result {
                    Ok(()) => Ok(()),
                    Err(TransactionError::Abort(found)) => Err(Error::LedgerMoved { found }),
                    Err(TransactionError::Storage(e)) => Err(self.sled_err(e)),
                }
            })
        })
    }

    /// Budget spent so far for a dataset and period.
    pub fn ledger_spent(&self, dataset: &str, period: &str) -> Result<Milli, Error> {
        match self.ledger.get(ledger_key(dataset, period)).map_err(|e| self.sled_err(e))? {
            Some(v) => {
                let bytes = self.unversion(|| format!("ledger/{dataset}/{period}"), v)?;
                Ok(Milli(decode_u64_raw(&bytes).unwrap_or(u64::MAX)))
            }
            None => Ok(Milli::ZERO),
        }
    }

    /// Every ledger entry: dataset, period, spent.
    pub fn ledger_entries(&self) -> Result<Vec<(String, String, Milli)>, Error> {
        let mut out = Vec::new();
        for item in self.ledger.iter() {
            let (k, v) = item.map_err(|e| self.sled_err(e))?;
            let mut parts = k.splitn(2, |b| *b == 0);
            let dataset = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            let period = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            let bytes = self.unversion(|| format!("ledger/{dataset}/{period}"), v)?;
            out.push((dataset, period, Milli(decode_u64_raw(&bytes).unwrap_or(u64::MAX))));
        }
        Ok(out)
    }
}

fn ledger_key(dataset: &str, period: &str) -> Vec<u8> {
    let mut k = dataset.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(period.as_bytes());
    k
}
