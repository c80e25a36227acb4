//! The C2SP transparency-log formats a city's log is also published in, so that tools the
//! project did not write can verify it: checkpoints (C2SP tlog-checkpoint) as C2SP signed
//! notes, signed by the origin's ed25519 key, and tiles (C2SP tlog-tiles: hash tiles of height
//! 8, partial tiles, entry bundles of the leaves' exact bytes).
//!
//! The log of member `BEBRU` has the origin line `metronode.invalid/BEBRU`, and its key name
//! is the same string. The note signature is ed25519 over the checkpoint text itself (C2SP
//! signed-note), made with the member's signing key: the text begins with the origin line,
//! never with the domain tags of records, tree heads and witness statements
//! (`metronode/v1/...`), so no signature can be passed off as another kind.
//!
//! Pure: text and bytes.

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use sha2::{Digest, Sha256};

use crate::{
    identity::{MemberId, NodeId},
    merkle::Hash,
};

/// Leaves per tile, and levels of the tree per tile level.
pub const TILE_WIDTH: u64 = 256;

/// The checkpoint origin line, and key name, of a member's log.
pub fn origin(member: &MemberId) -> String {
    format!("metronode.invalid/{member}")
}

/// The checkpoint text that is signed: origin, tree size, base64 root hash, one per line.
pub fn body(member: &MemberId, size: u64, root: &Hash) -> String {
    format!("{}\n{size}\n{}\n", origin(member), B64.encode(root))
}

/// The signed-note key hash of an ed25519 key: the first 4 bytes of
/// SHA-256(name || "\n" || 0x01 || public key).
pub fn key_hash(member: &MemberId, key: &NodeId) -> [u8; 4] {
    typed_key_hash(member, 0x01, key)
}

/// SHA-256(name || "\n" || type || key)[..4], the signed-note key hash of a key of `kind`.
fn typed_key_hash(member: &MemberId, kind: u8, key: &NodeId) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(origin(member).as_bytes());
    h.update([b'\n', kind]);
    h.update(key.to_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The verifier key in the signed-note text form, `name+hash+base64(0x01 || key)`, as
/// `golang.org/x/mod/sumdb/note.NewVerifier` and other signed-note tools take it.
pub fn verifier_key(member: &MemberId, key: &NodeId) -> String {
    let mut k = vec![1u8];
    k.extend(key.to_bytes());
    format!("{}+{}+{}", origin(member), hex::encode(key_hash(member, key)), B64.encode(k))
}

/// The checkpoint as a signed note: the body, a blank line, and the origin's signature line.
pub fn note(member: &MemberId, size: u64, root: &Hash, key: &NodeId, signature: &[u8]) -> String {
    let mut sig = key_hash(member, key).to_vec();
    sig.extend_from_slice(signature);
    format!("{}\n\u{2014} {} {}\n", body(member, size, root), origin(member), B64.encode(sig))
}

/// The message a witness's C2SP tlog-cosignature/v1 signs: a header naming the time, then the
/// checkpoint text. It begins with `cosignature/v1`, neither a checkpoint origin nor a
/// `metronode/v1/` tag, so it cannot be taken for another kind of signature.
pub fn cosigned(member: &MemberId, size: u64, root: &Hash, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{}", body(member, size, root))
}

/// The key hash of a witness's cosigning key: SHA-256(name || "\n" || 0x04 || key)[..4], the
/// name being the witness's own log origin.
pub fn cosigner_hash(witness: &MemberId, key: &NodeId) -> [u8; 4] {
    typed_key_hash(witness, 0x04, key)
}

/// A witness's cosigning key in the signed-note text form, `name+hash+base64(0x04 || key)`.
pub fn cosigner_key(witness: &MemberId, key: &NodeId) -> String {
    let mut k = vec![4u8];
    k.extend(key.to_bytes());
    format!("{}+{}+{}", origin(witness), hex::encode(cosigner_hash(witness, key)), B64.encode(k))
}

/// A cosignature line for a checkpoint note: `— <name> base64(hash || timestamp || signature)`,
/// from `cosignature` as a witness statement carries it (timestamp || signature, 72 bytes).
pub fn cosignature_line(witness: &MemberId, key: &NodeId, cosignature: &[u8]) -> String {
    let mut sig = cosigner_hash(witness, key).to_vec();
    sig.extend_from_slice(cosignature);
    format!("\u{2014} {} {}\n", origin(witness), B64.encode(sig))
}

/// Whether `cosignature` (timestamp || signature) is `key`'s cosignature of the checkpoint.
pub fn cosignature_ok(
    origin_member: &MemberId,
    size: u64,
    root: &Hash,
    key: &NodeId,
    cosignature: &[u8],
) -> bool {
    let Some((time, signature)) = cosignature.split_first_chunk::<8>() else { return false };
    let text = cosigned(origin_member, size, root, u64::from_be_bytes(*time));
    signature.len() == 64 && key.verify_note(&text, signature).is_ok()
}

/// A tile asked for by path: a hash tile at `level`, or an entry bundle (`level` `None`), its
/// index, and its width when partial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Tile level (0: leaf hashes), or `None` for an entry bundle.
    pub level: Option<u8>,
    /// Tile index at that level.
    pub index: u64,
    /// Width of a partial tile (1 to 255); `None` for a full one.
    pub width: Option<u64>,
}

impl Tile {
    /// How many hashes or entries it holds.
    pub fn count(&self) -> u64 {
        self.width.unwrap_or(TILE_WIDTH)
    }

    /// The position of its first entry (or leaf hash, at level 0); `u64::MAX` past any log.
    pub fn first(&self) -> u64 {
        self.index.saturating_mul(TILE_WIDTH)
    }
}

/// Parses the part of a tile path after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`,
/// with `<N>` in 3-digit path elements, all but the last prefixed by `x` (C2SP tlog-tiles).
pub fn parse_tile(path: &str) -> Result<Tile, &'static str> {
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 {
        return Err("a tile path is <L>/<N> or entries/<N>");
    }
    let level = match parts.remove(0) {
        "entries" => None,
        l if !l.is_empty() && l.len() <= 2 && l.bytes().all(|b| b.is_ascii_digit()) => {
            let l: u8 = l.parse().map_err(|_| "bad level")?;
            if l > 8 {
                return Err("level above 8");
            }
            Some(l)
        }
        _ => return Err("the level is a number or `entries`"),
    };
    let mut width = None;
    if parts.len() >= 2 && parts[parts.len() - 2].ends_with(".p") {
        let w = parts.pop().unwrap_or_default();
        let valid = !w.is_empty()
            && w.len() <= 3
            && w.bytes().all(|b| b.is_ascii_digit())
            && !w.starts_with('0');
        let w: u64 =
            if valid { w.parse().map_err(|_| "bad width")? } else { return Err("bad width") };
        if !(1..TILE_WIDTH).contains(&w) {
            return Err("a partial tile's width is 1 to 255");
        }
        width = Some(w);
        let last = parts.len() - 1;
        parts[last] = parts[last].trim_end_matches(".p");
    }
    let mut index: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x').ok_or("all but the last element start with x")?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("index elements are three digits");
        }
        let d: u64 = digits.parse().map_err(|_| "bad index")?;
        index = index.checked_mul(1000).and_then(|x| x.checked_add(d)).ok_or("index too large")?;
    }
    Ok(Tile { level, index, width })
}

/// The path of a tile after `tile/` (the inverse of `parse_tile`).
pub fn tile_path(tile: &Tile) -> String {
    let mut elements = Vec::new();
    let mut n = tile.index;
    loop {
        elements.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = elements.len() - 1;
    let index: Vec<String> = elements
        .iter()
        .rev()
        .enumerate()
        .map(|(i, e)| if i < last { format!("x{e:03}") } else { format!("{e:03}") })
        .collect();
    let level = tile.level.map_or_else(|| "entries".to_owned(), |l| l.to_string());
    let width = tile.width.map(|w| format!(".p/{w}")).unwrap_or_default();
    format!("{level}/{}{width}", index.join("/"))
}

/// An entry bundle: each entry as a big-endian uint16 length and its bytes. `None` when an
/// entry is longer than 65,535 bytes, which the format cannot carry.
pub fn entry_bundle(entries: &[impl AsRef<[u8]>]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).ok()?;
        out.extend(len.to_be_bytes());
        out.extend(e);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_follow_c2sp_and_round_trip() {
        let cases = [
            ("0/000", Tile { level: Some(0), index: 0, width: None }),
            ("0/x001/x234/067", Tile { level: Some(0), index: 1_234_067, width: None }),
            ("1/005.p/7", Tile { level: Some(1), index: 5, width: Some(7) }),
            ("entries/x001/000.p/255", Tile { level: None, index: 1000, width: Some(255) }),
        ];
        for (path, tile) in cases {
            assert_eq!(parse_tile(path), Ok(tile), "{path}");
            assert_eq!(tile_path(&tile), path);
        }
        for bad in [
            "0",
            "0/1",
            "0/0001",
            "0/001/002",
            "9/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/07",
            "x/000",
            "0/x001",
        ] {
            assert!(parse_tile(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn notes_carry_the_key_hash_and_signature() {
        let key = crate::identity::NodeKey::generate();
        let member: MemberId = "BEBRU".parse().unwrap();
        let root = [7u8; 32];
        let text = body(&member, 3, &root);
        assert_eq!(text, format!("metronode.invalid/BEBRU\n3\n{}\n", B64.encode(root)));
        let sig = key.sign_note(&text);
        let note = note(&member, 3, &root, &key.id(), &sig);
        let (head, line) = note.split_once("\n\n").unwrap();
        assert_eq!(format!("{head}\n"), text);
        let encoded = line.strip_prefix("\u{2014} metronode.invalid/BEBRU ").unwrap().trim_end();
        let raw = B64.decode(encoded).unwrap();
        assert_eq!(raw[..4], key_hash(&member, &key.id()));
        assert!(key.id().verify_note(&text, &raw[4..]).is_ok());
        let vkey = verifier_key(&member, &key.id());
        assert!(vkey.starts_with(&format!("metronode.invalid/BEBRU+{}+", hex::encode(&raw[..4]))));
        assert_eq!(entry_bundle(&[b"ab".to_vec(), vec![]]), Some(vec![0, 2, b'a', b'b', 0, 0]));
        assert_eq!(entry_bundle(&[vec![0; 70_000]]), None);
    }
}
