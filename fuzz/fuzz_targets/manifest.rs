//! Fuzz target `manifest`: `federation::Manifest::decode`, and the membership rules fed with
//! proposals and approvals of fuzzed manifests (`Membership::observe`, `trusted`, `keys_of`,
//! the TLS pins, `next_version`).
//!
//! A refused manifest is expected; a panic is a finding, and so is a history in effect that is
//! not a chain of consecutive, linked versions of one federation.

#![no_main]

use libfuzzer_sys::fuzz_target;
use metronode::{
    federation::{self, Manifest, Membership},
    identity::MemberId,
    pb::{self, record_body::Payload},
};
use metronode_fuzz::{Ops, PILOTS, manifest_op, member};
use prost::Message;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::decode(data);
    let own = member("BEBRU");
    let mut membership = Membership::new(own.clone());
    let mut seen: Vec<[u8; 32]> = Vec::new();
    let mut ops = Ops::new(data);
    while let Some(op) = ops.byte() {
        match op % 4 {
            manifest_op::PROPOSE => {
                let origin = pick(&membership, ops.byte_or_zero());
                let bytes = ops.chunk();
                if let Ok(m) = Manifest::decode(bytes) {
                    assert_eq!(Manifest::decode(&m.bytes).as_ref(), Ok(&m));
                }
                seen.push(Sha256::digest(bytes).into());
                membership.observe(&origin, &proposal(bytes.to_vec()));
            }
            manifest_op::APPROVE => {
                let origin = pick(&membership, ops.byte_or_zero());
                let which = usize::from(ops.byte_or_zero());
                let hash = match seen.get(which % seen.len().max(1)) {
                    Some(h) if which < 0x80 => h.to_vec(),
                    _ => ops.chunk().to_vec(),
                };
                let approval = pb::ManifestApproval { manifest_hash: hash };
                membership.observe(&origin, &Payload::ManifestApproval(approval));
            }
            manifest_op::FOUND => {
                let bytes = ops.chunk();
                seen.push(Sha256::digest(bytes).into());
                if let Ok(m) = Manifest::decode(bytes) {
                    for id in m.member_ids() {
                        membership.observe(&id, &proposal(bytes.to_vec()));
                    }
                }
            }
            _ => {
                let Some(active) = membership.active().cloned() else { continue };
                let upsert =
                    pb::Manifest::decode(ops.chunk()).map(|m| m.members).unwrap_or_default();
                let ids: Vec<MemberId> = active.member_ids().into_iter().collect();
                let remove_at = usize::from(ops.byte_or_zero());
                let remove: Vec<MemberId> = ids.get(remove_at).cloned().into_iter().collect();
                let threshold = Some(u32::from(ops.byte_or_zero())).filter(|t| *t > 0);
                let approvers = ops.byte_or_zero();
                let Ok(next) =
                    federation::next_version(&active, upsert, &remove, threshold, "fuzz")
                else {
                    continue;
                };
                assert_eq!(next.body.version, active.body.version + 1);
                assert_eq!(next.body.previous_hash, active.hash.to_vec());
                seen.push(next.hash);
                membership.observe(&own, &proposal(next.bytes.clone()));
                for (i, id) in ids.iter().enumerate().take(8) {
                    if approvers & (1 << i) != 0 {
                        let approval = pb::ManifestApproval { manifest_hash: next.hash.to_vec() };
                        membership.observe(id, &Payload::ManifestApproval(approval));
                    }
                }
            }
        }
        check(&membership);
    }
});

fn proposal(manifest: Vec<u8>) -> Payload {
    Payload::ManifestProposal(pb::ManifestProposal { manifest })
}

/// A pilot city or a member of the active manifest.
fn pick(membership: &Membership, b: u8) -> MemberId {
    let mut ids: Vec<MemberId> = PILOTS.iter().map(|p| member(p)).collect();
    if let Some(active) = membership.active() {
        ids.extend(active.member_ids());
    }
    ids.swap_remove(usize::from(b) % ids.len())
}

/// The history is a chain of versions 1, 2, ... of one federation, each naming the one before;
/// every question about members is answered.
fn check(membership: &Membership) {
    let history = membership.history();
    for (i, m) in history.iter().enumerate() {
        assert_eq!(m.body.version, i as u64 + 1, "versions in effect are consecutive");
        assert_eq!(Manifest::decode(&m.bytes).as_ref(), Ok(m));
        if let Some(prev) = i.checked_sub(1).map(|p| &history[p]) {
            assert_eq!(
                m.body.previous_hash,
                prev.hash.to_vec(),
                "each version names the one before"
            );
            assert_eq!(m.body.federation_id, prev.body.federation_id);
        }
    }
    let trusted = membership.trusted();
    for id in trusted.keys() {
        assert!(!membership.keys_of(id).is_empty(), "a trusted member has a signing key");
    }
    let pins = membership.tls_pins();
    let former = membership.former_pins();
    assert!(pins.keys().all(|p| !former.contains(p)), "a current pin is not a former one");
    let _ = membership.pending().count();
}
