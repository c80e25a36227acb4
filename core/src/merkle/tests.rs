//! Merkle tree tests: RFC 6962 reference vectors, an independent recursive implementation, and
//! properties over random append sequences.

use super::*;
use proptest::prelude::*;

const CT_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Root hashes for tree sizes 0..=8 over `CT_LEAVES`, from the Certificate Transparency tests.
const CT_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn ct_tree() -> MerkleTree {
    let mut t = MerkleTree::new();
    for l in CT_LEAVES {
        t.push(leaf_hash(&hex::decode(l).unwrap()));
    }
    t
}

fn check_proof(got: Vec<Hash>, expect: &[&str]) {
    let expect: Vec<Hash> = expect.iter().map(|s| h(s)).collect();
    assert_eq!(got, expect);
}

#[test]
fn roots_match_rfc6962_vectors() {
    let t = ct_tree();
    for (size, root) in CT_ROOTS.iter().enumerate() {
        assert_eq!(t.root(size as u64).unwrap(), h(root), "size {size}");
    }
}

#[test]
fn inclusion_proofs_match_rfc6962_vectors() {
    let t = ct_tree();
    check_proof(
        t.inclusion_proof(0, 8).unwrap(),
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    );
    check_proof(
        t.inclusion_proof(5, 8).unwrap(),
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    );
}

#[test]
fn consistency_proofs_match_rfc6962_vectors() {
    let t = ct_tree();
    check_proof(
        t.consistency_proof(2, 8).unwrap(),
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    );
    check_proof(
        t.consistency_proof(2, 5).unwrap(),
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    );
    let p = t.consistency_proof(6, 8).unwrap();
    assert_eq!(p[0], h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"));
    verify_consistency(6, 8, &h(CT_ROOTS[6]), &h(CT_ROOTS[8]), &p).unwrap();
}

// === an independent implementation, straight from the RFC 6962 text ===

fn ref_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = (1..n).map(|i| 1usize << i).take_while(|&p| p < n).last().unwrap_or(1);
            node_hash(&ref_mth(&leaves[..k]), &ref_mth(&leaves[k..]))
        }
    }
}

fn ref_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = (1..n).map(|i| 1usize << i).take_while(|&p| p < n).last().unwrap_or(1);
    if m < k {
        let mut p = ref_path(m, &leaves[..k]);
        p.push(ref_mth(&leaves[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &leaves[k..]);
        p.push(ref_mth(&leaves[..k]));
        p
    }
}

fn ref_subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if b { vec![] } else { vec![ref_mth(leaves)] };
    }
    let k = (1..n).map(|i| 1usize << i).take_while(|&p| p < n).last().unwrap_or(1);
    if m <= k {
        let mut p = ref_subproof(m, &leaves[..k], b);
        p.push(ref_mth(&leaves[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &leaves[k..], false);
        p.push(ref_mth(&leaves[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&(i as u64).to_be_bytes())).collect()
}

#[test]
fn agrees_with_the_reference_for_every_size_up_to_70() {
    let all = leaves(70);
    let mut t = MerkleTree::new();
    for l in &all {
        t.push(*l);
    }
    for n in 1..=70usize {
        let root = ref_mth(&all[..n]);
        assert_eq!(t.root(n as u64).unwrap(), root, "root {n}");
        for m in 0..n {
            let path = t.inclusion_proof(m as u64, n as u64).unwrap();
            assert_eq!(path, ref_path(m, &all[..n]), "path {m} of {n}");
            verify_inclusion(&all[m], m as u64, n as u64, &path, &root).unwrap();
            // The same proof for another leaf, index or size fails.
            let other = leaf_hash(b"not in the tree");
            assert!(verify_inclusion(&other, m as u64, n as u64, &path, &root).is_err());
            if n > 1 {
                let wrong = ((m + 1) % n) as u64;
                assert!(verify_inclusion(&all[m], wrong, n as u64, &path, &root).is_err());
            }
        }
        for m in 1..=n {
            let proof = t.consistency_proof(m as u64, n as u64).unwrap();
            let expect = if m == n { vec![] } else { ref_subproof(m, &all[..n], true) };
            assert_eq!(proof, expect, "consistency {m} -> {n}");
            let first = ref_mth(&all[..m]);
            verify_consistency(m as u64, n as u64, &first, &root, &proof).unwrap();
            if m < n {
                let forged = leaf_hash(b"forged history");
                assert!(verify_consistency(m as u64, n as u64, &forged, &root, &proof).is_err());
                assert!(verify_consistency(m as u64, n as u64, &first, &forged, &proof).is_err());
            }
        }
    }
}

#[test]
fn out_of_range_requests_are_refused() {
    let mut t = MerkleTree::new();
    for l in leaves(5) {
        t.push(l);
    }
    assert!(t.root(6).is_err());
    assert!(t.inclusion_proof(5, 5).is_err());
    assert!(t.inclusion_proof(0, 6).is_err());
    assert!(t.consistency_proof(4, 3).is_err());
    assert!(verify_inclusion(&[0; 32], 3, 3, &[[0u8; 32]], &[0; 32]).is_err());
    assert_eq!(
        verify_inclusion(&[0; 32], 0, 2, &[vec![1u8; 31]], &[0; 32]),
        Err(ProofError::BadElement(0))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random append sequences, checked at random points: every proof verifies against the
    /// roots the tree itself reported at those sizes, and a tampered element breaks it.
    #[test]
    fn random_appends_yield_verifiable_proofs(
        data in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..300),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..20),
    ) {
        let mut t = MerkleTree::new();
        let mut roots = vec![empty_root()];
        for d in &data {
            t.push(leaf_hash(d));
            roots.push(t.root(t.size()).unwrap());
        }
        let n = data.len();
        for (a, b) in picks {
            let size = b.index(n) + 1;
            let idx = a.index(size);
            let path = t.inclusion_proof(idx as u64, size as u64).unwrap();
            prop_assert!(verify_inclusion(&leaf_hash(&data[idx]), idx as u64, size as u64, &path, &roots[size]).is_ok());
            let first = a.index(size) + 1;
            let proof = t.consistency_proof(first as u64, size as u64).unwrap();
            prop_assert!(verify_consistency(first as u64, size as u64, &roots[first], &roots[size], &proof).is_ok());
            if let Some(e) = proof.first() {
                let mut bad = proof.clone();
                let mut x = *e;
                x[0] ^= 1;
                bad[0] = x;
                prop_assert!(verify_consistency(first as u64, size as u64, &roots[first], &roots[size], &bad).is_err());
            }
        }
    }
}
