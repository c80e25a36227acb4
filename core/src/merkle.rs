//! RFC 6962 / RFC 9162 Merkle tree: tree hashes, inclusion and consistency proofs, and their checks.
//!
//! Pure code: no IO. Leaves are hashed as SHA-256(0x00 || data) and interior nodes as
//! SHA-256(0x01 || left || right), so a leaf can never be passed off as a node.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Why a proof did not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The requested index or sizes do not fit the tree (for example a leaf beyond the size).
    #[error("proof parameters out of range: {0}")]
    OutOfRange(&'static str),
    /// A path element is not 32 bytes long.
    #[error("proof element {0} is not a 32-byte hash")]
    BadElement(usize),
    /// The proof has the wrong number of elements for the sizes it claims.
    #[error("proof has the wrong length")]
    WrongLength,
    /// The hashes recomputed from the proof do not match the roots.
    #[error("proof does not match the root hash")]
    RootMismatch,
}

/// The hash of the empty tree: SHA-256 of no bytes.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 6962 leaf hash: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// An append-only Merkle tree over leaf hashes.
///
/// It keeps the hash of every complete, aligned subtree (about two hashes per leaf), so the root
/// of any prefix and any proof cost O(log² n) hashes instead of rehashing the whole log.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    /// `levels[0]` holds the leaf hashes; `levels[l][i]` is the hash of leaves
    /// `i << l .. (i + 1) << l`, present once that subtree is complete.
    levels: Vec<Vec<Hash>>,
}

// === impl MerkleTree ===

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hash at `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(usize::try_from(index).ok()?).copied()
    }

    /// Appends one leaf hash and completes any subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// The hashes of the complete, aligned subtrees of `2^level` leaves `start..start+count`
    /// (level 0: leaf hashes), if all are complete: the content of a C2SP hash tile.
    pub fn level_hashes(&self, level: usize, start: u64, count: u64) -> Option<Vec<Hash>> {
        let row = self.levels.get(level)?;
        let (start, end) =
            (usize::try_from(start).ok()?, usize::try_from(start.checked_add(count)?).ok()?);
        row.get(start..end).map(<[Hash]>::to_vec)
    }

    /// The tree hash of the first `size` leaves (RFC 6962 MTH).
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::OutOfRange("size beyond the tree"));
        }
        if size == 0 {
            return Ok(empty_root());
        }
        Ok(self.subtree(0, size))
    }

    /// RFC 6962 PATH(index, D[0:size]): the audit path of one leaf.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() || index >= size {
            return Err(ProofError::OutOfRange("leaf index must be below a size the tree has"));
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Ok(path)
    }

    /// RFC 6962 PROOF(first, D[0:second]): shows the tree at `first` is a prefix of `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
        if second > self.size() || first > second {
            return Err(ProofError::OutOfRange("need first <= second <= tree size"));
        }
        let mut proof = Vec::new();
        if first > 0 && first < second {
            self.subproof(first, 0, second, true, &mut proof);
        }
        Ok(proof)
    }

    /// MTH(D[start:end]). Every range the RFC recursion visits splits into a complete,
    /// aligned left part and a rest, so the left part is one stored hash.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            // Unwrap safety: a complete aligned subtree below the size was stored by `push`.
            return self.levels[level][(start >> level) as usize];
        }
        let k = split(n);
        node_hash(&self.subtree(start, start + k), &self.subtree(start + k, end))
    }

    fn path(&self, index: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n == 1 {
            return;
        }
        let k = split(n);
        if index < k {
            self.path(index, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(index - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// The largest power of two strictly below `n` (n >= 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

fn as_hash(bytes: &[u8], i: usize) -> Result<Hash, ProofError> {
    bytes.try_into().map_err(|_| ProofError::BadElement(i))
}

/// Checks an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion<B: AsRef<[u8]>>(
    leaf: &Hash,
    index: u64,
    size: u64,
    path: &[B],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange("leaf index must be below the tree size"));
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for (i, p) in path.iter().enumerate() {
        let p = as_hash(p.as_ref(), i)?;
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(&p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, &p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks a consistency proof (RFC 9162 section 2.1.4.2). A proof from size 0 is the empty
/// proof: every tree extends the empty tree.
pub fn verify_consistency<B: AsRef<[u8]>>(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[B],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::OutOfRange("first size beyond second size"));
    }
    if first == second || first == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if first == second && first_root != second_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let mut path: Vec<Hash> =
        proof.iter().enumerate().map(|(i, p)| as_hash(p.as_ref(), i)).collect::<Result<_, _>>()?;
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let Some((head, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != first_root || &sr != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
