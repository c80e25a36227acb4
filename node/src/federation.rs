//! Federation membership: manifests, proposals and approvals read from the members' logs, and
//! the rule that puts a version into effect (version 1: every founding member; version n+1: at
//! least the threshold of version n's members). No central authority: every node derives the
//! same membership from the same records.
//!
//! Pure: fed with verified record payloads, it keeps state and answers who the members are,
//! which keys they hold, and which TLS keys to accept.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use sha2::{Digest, Sha256};

use crate::{
    identity::{MemberId, NodeId},
    merkle::Hash,
    pb,
};

/// Why a manifest is not acceptable as a proposal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("manifest: {0}")]
pub struct ManifestError(pub String);

/// A decoded manifest with its bytes and hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The encoded bytes, as proposed and hashed.
    pub bytes: Vec<u8>,
    /// SHA-256 of the bytes.
    pub hash: Hash,
    /// The decoded manifest.
    pub body: pb::Manifest,
}

impl Manifest {
    /// Decodes and checks a manifest's own consistency (not its place in the chain).
    pub fn decode(bytes: &[u8]) -> Result<Self, ManifestError> {
        let body = pb::Manifest::decode(bytes)
            .map_err(|_| ManifestError("not a valid Manifest encoding".into()))?;
        let err = |m: String| Err(ManifestError(m));
        if body.federation_id.trim().is_empty() || body.federation_id.len() > 64 {
            return err("federation_id must be 1 to 64 characters".into());
        }
        if body.version == 0 {
            return err("version starts at 1".into());
        }
        if (body.version == 1) != body.previous_hash.is_empty()
            || (body.version > 1 && body.previous_hash.len() != 32)
        {
            return err(
                "version 1 has no previous hash; later versions name theirs (32 bytes)".into()
            );
        }
        if body.members.is_empty()
            || body.threshold == 0
            || body.threshold as usize > body.members.len()
        {
            return err(format!(
                "threshold {} must be between 1 and the {} members",
                body.threshold,
                body.members.len()
            ));
        }
        let mut last: Option<&str> = None;
        let mut fingerprints = BTreeSet::new();
        for m in &body.members {
            if m.id.parse::<MemberId>().is_err() {
                return err(format!(
                    "member id `{}` is not a UN/LOCODE",
                    m.id.chars().take(16).collect::<String>()
                ));
            }
            if last.is_some_and(|l| l >= m.id.as_str()) {
                return err("members must be ordered by id, without repeats".into());
            }
            last = Some(&m.id);
            if NodeId::from_bytes(&m.signing_public_key).is_none() {
                return err(format!("member {}: signing key is not an ed25519 public key", m.id));
            }
            if m.tls_key_fingerprint.len() != 32
                || !fingerprints.insert(m.tls_key_fingerprint.clone())
            {
                return err(format!(
                    "member {}: TLS fingerprint must be 32 bytes and unique",
                    m.id
                ));
            }
        }
        Ok(Self { hash: Sha256::digest(bytes).into(), bytes: bytes.to_vec(), body })
    }

    /// Encodes a manifest.
    pub fn encode(body: &pb::Manifest) -> Result<Self, ManifestError> {
        Self::decode(&body.encode_to_vec())
    }

    /// Member ids.
    pub fn member_ids(&self) -> BTreeSet<MemberId> {
        self.body.members.iter().filter_map(|m| m.id.parse().ok()).collect()
    }

    /// A member's card.
    pub fn member(&self, id: &MemberId) -> Option<&pb::MemberCard> {
        self.body.members.iter().find(|m| m.id == id.as_str())
    }
}

/// A proposal and who approved it.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The proposed manifest.
    pub manifest: Manifest,
    /// Members whose logs approve it (proposing counts).
    pub approvers: BTreeSet<MemberId>,
}

/// Membership as derived from the records seen so far.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    /// The node that derives it: its own proposals and approvals are trusted before version 1.
    own: Option<MemberId>,
    /// Every version in effect, oldest first; the last is active.
    history: Vec<Manifest>,
    /// Proposals not (yet) in effect, by hash.
    proposals: BTreeMap<Hash, Proposal>,
    /// Approvals seen before their proposal, by hash.
    early: BTreeMap<Hash, BTreeSet<MemberId>>,
}

impl Membership {
    /// Empty membership for the node `own`.
    pub fn new(own: MemberId) -> Self {
        Self { own: Some(own), ..Self::default() }
    }

    /// The manifest in effect.
    pub fn active(&self) -> Option<&Manifest> {
        self.history.last()
    }

    /// Every version that was in effect.
    pub fn history(&self) -> &[Manifest] {
        &self.history
    }

    /// Proposals not in effect, with their approvers.
    pub fn pending(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals.values()
    }

    /// Takes a verified record payload of `origin`'s log into account. Returns true when the
    /// active manifest changed.
    pub fn observe(&mut self, origin: &MemberId, payload: &pb::record_body::Payload) -> bool {
        match payload {
            pb::record_body::Payload::ManifestProposal(p) => {
                let Ok(m) = Manifest::decode(&p.manifest) else { return false };
                if self.history.iter().any(|h| h.hash == m.hash) {
                    return false;
                }
                let entry = self
                    .proposals
                    .entry(m.hash)
                    .or_insert_with(|| Proposal { manifest: m, approvers: BTreeSet::new() });
                entry.approvers.insert(origin.clone());
                if let Some(early) = self.early.remove(&entry.manifest.hash) {
                    entry.approvers.extend(early);
                }
            }
            pb::record_body::Payload::ManifestApproval(a) => {
                let Ok(hash) = <Hash>::try_from(a.manifest_hash.as_slice()) else { return false };
                match self.proposals.get_mut(&hash) {
                    Some(p) => {
                        p.approvers.insert(origin.clone());
                    }
                    None if !self.history.iter().any(|h| h.hash == hash) => {
                        self.early.entry(hash).or_default().insert(origin.clone());
                    }
                    None => {}
                }
            }
            _ => return false,
        }
        self.advance()
    }

    /// Puts every proposal into effect whose turn it is and whose approvals suffice.
    fn advance(&mut self) -> bool {
        let mut changed = false;
        loop {
            let (version, prev, eligible, needed) = match self.active() {
                None => (1, Vec::new(), None, 0),
                Some(a) => (
                    a.body.version + 1,
                    a.hash.to_vec(),
                    Some(a.member_ids()),
                    a.body.threshold as usize,
                ),
            };
            // Candidates in hash order, so that every node picks the same one if two qualify.
            let next = self.proposals.values().find(|p| {
                let m = &p.manifest.body;
                if m.version != version || m.previous_hash != prev {
                    return false;
                }
                if let Some(a) = self.active()
                    && a.body.federation_id != m.federation_id
                {
                    return false;
                }
                match &eligible {
                    // Version 1: every founding member.
                    None => p.manifest.member_ids().is_subset(&p.approvers),
                    Some(e) => p.approvers.intersection(e).count() >= needed,
                }
            });
            let Some(next) = next.map(|p| p.manifest.hash) else { break };
            // Unwrap safety: `next` was found in `proposals` just above.
            let p = self.proposals.remove(&next).expect("proposal");
            self.history.push(p.manifest);
            self.proposals.retain(|_, q| q.manifest.body.version > version);
            changed = true;
        }
        changed
    }

    /// Cards of the members this node federates with now: the active manifest's members, and
    /// before version 1 (or while joining) the members of proposals this node itself made or
    /// approved.
    pub fn trusted(&self) -> BTreeMap<MemberId, pb::MemberCard> {
        let mut out = BTreeMap::new();
        let own_pending = self
            .proposals
            .values()
            .filter(|p| self.own.as_ref().is_some_and(|o| p.approvers.contains(o)));
        for m in self.active().into_iter().chain(own_pending.map(|p| &p.manifest)) {
            for c in &m.body.members {
                if let Ok(id) = c.id.parse() {
                    out.entry(id).or_insert_with(|| c.clone());
                }
            }
        }
        out
    }

    /// Every signing key a member held in any version in effect or any trusted proposal,
    /// newest first: records are verified against these.
    pub fn keys_of(&self, id: &MemberId) -> Vec<NodeId> {
        let mut keys = Vec::new();
        // The card `trusted()` would hold for `id`, found without copying every member's: this
        // runs for every record, head and witness statement a peer sends.
        let own_pending = self
            .proposals
            .values()
            .filter(|p| self.own.as_ref().is_some_and(|o| p.approvers.contains(o)));
        let trusted =
            self.active().into_iter().chain(own_pending.map(|p| &p.manifest)).find_map(|m| {
                m.body.members.iter().find(|c| c.id.parse().ok().as_ref() == Some(id))
            });
        let sources =
            trusted.into_iter().chain(self.history.iter().rev().filter_map(|m| m.member(id)));
        for card in sources {
            if let Some(k) = NodeId::from_bytes(&card.signing_public_key)
                && !keys.contains(&k)
            {
                keys.push(k);
            }
        }
        keys
    }

    /// TLS fingerprints accepted at the handshake, with their member.
    pub fn tls_pins(&self) -> BTreeMap<[u8; 32], MemberId> {
        self.trusted()
            .into_iter()
            .filter_map(|(id, c)| {
                <[u8; 32]>::try_from(c.tls_key_fingerprint.as_slice()).ok().map(|f| (f, id))
            })
            .collect()
    }

    /// The TLS fingerprint each trusted member held in the version before the active one, where
    /// the active version rotated it: accepted until the member's next rotation, so that a member
    /// whose rotation took effect while it was still on its old key learns of it from its peers
    /// (it switches at its next start). The federation port serves public, signed logs only.
    pub fn rotating_pins(&self) -> BTreeMap<[u8; 32], MemberId> {
        let Some(previous) = self.history.len().checked_sub(2).map(|i| &self.history[i]) else {
            return BTreeMap::new();
        };
        self.trusted()
            .into_iter()
            .filter_map(|(id, card)| {
                let old = previous.member(&id)?;
                let fp = <[u8; 32]>::try_from(old.tls_key_fingerprint.as_slice()).ok()?;
                (old.tls_key_fingerprint != card.tls_key_fingerprint).then_some((fp, id))
            })
            .collect()
    }

    /// TLS fingerprints of members that were in an earlier version and are no longer trusted
    /// (removed, revoked or rotated away), for a precise refusal message.
    pub fn former_pins(&self) -> BTreeSet<[u8; 32]> {
        let current = self.tls_pins();
        self.history
            .iter()
            .flat_map(|m| m.body.members.iter())
            .filter_map(|c| <[u8; 32]>::try_from(c.tls_key_fingerprint.as_slice()).ok())
            .filter(|f| !current.contains_key(f))
            .collect()
    }
}

/// Builds version 1 from the founding members' cards.
pub fn founding(
    federation_id: &str,
    threshold: u32,
    mut members: Vec<pb::MemberCard>,
) -> Result<Manifest, ManifestError> {
    members.sort_by(|a, b| a.id.cmp(&b.id));
    Manifest::encode(&pb::Manifest {
        federation_id: federation_id.into(),
        version: 1,
        previous_hash: Vec::new(),
        threshold,
        members,
        change: "founding".into(),
    })
}

/// Builds the next version from the active one: members added or replaced (by id), removed,
/// and the threshold changed.
pub fn next_version(
    active: &Manifest,
    upsert: Vec<pb::MemberCard>,
    remove: &[MemberId],
    threshold: Option<u32>,
    change: &str,
) -> Result<Manifest, ManifestError> {
    let mut members: BTreeMap<String, pb::MemberCard> =
        active.body.members.iter().map(|m| (m.id.clone(), m.clone())).collect();
    for r in remove {
        if members.remove(r.as_str()).is_none() {
            return Err(ManifestError(format!("{r} is not a member")));
        }
    }
    for c in upsert {
        members.insert(c.id.clone(), c);
    }
    Manifest::encode(&pb::Manifest {
        federation_id: active.body.federation_id.clone(),
        version: active.body.version + 1,
        previous_hash: active.hash.to_vec(),
        threshold: threshold.unwrap_or(active.body.threshold).min(members.len() as u32),
        members: members.into_values().collect(),
        change: change.into(),
    })
}

#[cfg(test)]
mod tests;
