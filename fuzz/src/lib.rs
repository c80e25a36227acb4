//! Shared pieces of the fuzz targets: fixed test keys, signing in the documented domains, and the
//! small framing that splits one fuzz input into operations (the seed writer uses it too).
//!
//! The targets sign with ed25519-dalek directly, over the domain tags that ARCHITECTURE.md
//! documents, so a body the fuzzer made still reaches the checks after the signature; the
//! `record` target asserts that such a signature verifies, which also pins the documented format.

use std::sync::LazyLock;

use ed25519_dalek::{Signer, SigningKey};
use metronode::identity::{MemberId, NodeId};

/// The tag in front of a record body when it is signed ("Formats" in ARCHITECTURE.md).
pub const RECORD_TAG: &[u8] = b"metronode/v1/record\0";
/// The tag in front of a tree head body when it is signed.
pub const TREE_HEAD_TAG: &[u8] = b"metronode/v1/tree-head\0";

/// The first byte of a `record` input chooses what the rest is (taken modulo 3).
pub mod record_mode {
    /// An encoded `SignedRecord` (or `SignedTreeHead`) as received from a peer.
    pub const ENVELOPE: u8 = 0;
    /// A `RecordBody` (or `TreeHead`) encoding, signed by the target with a fixed key.
    pub const SIGNED_BODY: u8 = 1;
    /// Operations on a log holding another city's records (see `log_op`).
    pub const LOG: u8 = 2;
}

/// Operations of the `record` target's log mode (taken modulo 6).
pub mod log_op {
    /// The honest next record, with the chunk as its notice title.
    pub const HONEST: u8 = 0;
    /// A signed record at a chosen position, linking to a chosen hash.
    pub const CRAFTED: u8 = 1;
    /// The chunk as a body, signed.
    pub const SIGNED_BODY: u8 = 2;
    /// The chunk as an envelope, not re-signed.
    pub const ENVELOPE: u8 = 3;
    /// Hands the records gathered so far to `Log::append_foreign`.
    pub const DELIVER: u8 = 4;
    /// A signed tree head of the honest records, at a chosen size, to `Log::check_foreign_head`.
    pub const TREE_HEAD: u8 = 5;
}

/// Operations of the `manifest` target (taken modulo 4).
pub mod manifest_op {
    /// A member proposes the chunk as a manifest.
    pub const PROPOSE: u8 = 0;
    /// A member approves a manifest seen before.
    pub const APPROVE: u8 = 1;
    /// Every member the chunk's manifest names proposes it (how a federation is founded).
    pub const FOUND: u8 = 2;
    /// This node proposes the next version of the active manifest, and members approve it.
    pub const NEXT: u8 = 3;
}

/// Two fixed keys of the log's origin (a rotation): test keys, the same in every run so that
/// seeds keep verifying.
pub static KEYS: LazyLock<[SigningKey; 2]> =
    LazyLock::new(|| [SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32])]);

/// The public halves of `KEYS`, newest (the second) first, as a member's keys are given.
pub static NODE_IDS: LazyLock<Vec<NodeId>> =
    LazyLock::new(|| KEYS.iter().rev().map(node_id).collect());

/// The public half of a key, as the node holds it.
pub fn node_id(key: &SigningKey) -> NodeId {
    // Unwrap safety: a verifying key from ed25519-dalek is a valid public key.
    NodeId::from_bytes(key.verifying_key().as_bytes()).expect("valid public key")
}

/// Signs `body` in the domain `tag`.
pub fn sign(key: &SigningKey, tag: &[u8], body: &[u8]) -> Vec<u8> {
    let mut message = tag.to_vec();
    message.extend_from_slice(body);
    key.sign(&message).to_bytes().to_vec()
}

/// A member id from a literal.
pub fn member(id: &str) -> MemberId {
    // Unwrap safety: only called with valid literals.
    id.parse().expect("valid member id")
}

/// The pilot cities' ids.
pub const PILOTS: [&str; 4] = ["ALTIA", "BEBRU", "BGSOF", "IEDUB"];

/// Noise that is the same on every run, so a crash reproduces (metronode's seeded SplitMix64).
pub use metronode::synth::Rng as FixedRng;

/// Reads one fuzz input as a sequence of bytes and length-prefixed chunks.
#[derive(Debug)]
pub struct Ops<'a> {
    data: &'a [u8],
}

impl<'a> Ops<'a> {
    /// Starts reading `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next byte, if any.
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    /// The next byte, or 0 at the end.
    pub fn byte_or_zero(&mut self) -> u8 {
        self.byte().unwrap_or(0)
    }

    /// The next chunk: a little-endian u16 length and that many bytes (fewer at the end).
    pub fn chunk(&mut self) -> &'a [u8] {
        let len = usize::from(u16::from_le_bytes([self.byte_or_zero(), self.byte_or_zero()]));
        let (chunk, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        chunk
    }
}

/// Appends a chunk as `Ops::chunk` reads it.
pub fn push_chunk(out: &mut Vec<u8>, chunk: &[u8]) {
    // Unwrap safety: seeds are small; a longer chunk is a bug in the seed writer.
    let len = u16::try_from(chunk.len()).expect("chunk under 64 KiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(chunk);
}
