//! Tests for `federation`: founding needs every founder, later versions the threshold of the
//! previous members, and every node derives the same membership from the same records.

use super::*;
use crate::identity::{NodeKey, TlsIdentity};

fn card(id: &str) -> (pb::MemberCard, NodeKey) {
    let key = NodeKey::generate();
    let member: MemberId = id.parse().unwrap();
    let tls = TlsIdentity::generate(&member).unwrap();
    let card = pb::MemberCard {
        id: id.into(),
        name: id.into(),
        country: id[..2].into(),
        signing_public_key: key.id().to_bytes().to_vec(),
        tls_key_fingerprint: tls.fingerprint.to_vec(),
        endpoint: format!("https://{}.example:7401", id.to_lowercase()),
    };
    (card, key)
}

fn id(s: &str) -> MemberId {
    s.parse().unwrap()
}

fn propose(m: &Manifest) -> pb::record_body::Payload {
    pb::record_body::Payload::ManifestProposal(pb::ManifestProposal { manifest: m.bytes.clone() })
}

fn approve(m: &Manifest) -> pb::record_body::Payload {
    pb::record_body::Payload::ManifestApproval(pb::ManifestApproval {
        manifest_hash: m.hash.to_vec(),
    })
}

#[test]
fn version_one_needs_every_founder() {
    let (a, b, c) = (card("BEBRU").0, card("IEDUB").0, card("BGSOF").0);
    let v1 = founding("drg", 2, vec![c, a, b]).unwrap();
    assert_eq!(
        v1.body.members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["BEBRU", "BGSOF", "IEDUB"]
    );
    let mut m = Membership::new(id("BEBRU"));
    assert!(!m.observe(&id("BEBRU"), &propose(&v1)));
    // Before version 1, a node trusts the members of what it proposed itself.
    assert_eq!(m.trusted().len(), 3);
    assert!(!m.observe(&id("IEDUB"), &approve(&v1)));
    assert!(m.active().is_none(), "two of three founders are not enough");
    assert!(m.observe(&id("BGSOF"), &propose(&v1)));
    assert_eq!(m.active().unwrap().body.version, 1);
    assert_eq!(m.tls_pins().len(), 3);
}

#[test]
fn later_versions_need_the_previous_threshold_and_order_does_not_matter() {
    let cards: Vec<_> = ["BEBRU", "IEDUB", "BGSOF"].iter().map(|i| card(i)).collect();
    let v1 = founding("drg", 2, cards.iter().map(|c| c.0.clone()).collect()).unwrap();
    let (altia, _) = card("ALTIA");
    let v2 = next_version(&v1, vec![altia.clone()], &[], None, "join ALTIA").unwrap();
    assert_eq!((v2.body.version, v2.body.previous_hash.clone()), (2, v1.hash.to_vec()));
    let v3 = next_version(&v2, vec![], &[id("IEDUB")], Some(2), "remove IEDUB").unwrap();

    let events: Vec<(MemberId, pb::record_body::Payload)> = vec![
        (id("BEBRU"), propose(&v1)),
        (id("IEDUB"), propose(&v1)),
        (id("BGSOF"), propose(&v1)),
        (id("BEBRU"), propose(&v2)),
        // ALTIA's own approval does not count: it is not a member of version 1.
        (id("ALTIA"), approve(&v2)),
        (id("BGSOF"), approve(&v2)),
        (id("BGSOF"), propose(&v3)),
        (id("ALTIA"), approve(&v3)),
    ];
    let mut forward = Membership::new(id("BGSOF"));
    for (o, p) in &events {
        forward.observe(o, p);
    }
    assert_eq!(forward.active().unwrap().body.version, 3);
    let ids: Vec<_> = forward.active().unwrap().body.members.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids, ["ALTIA", "BEBRU", "BGSOF"]);
    // The removed member's TLS key is now a former one.
    let iedub_fp: [u8; 32] = cards[1].0.tls_key_fingerprint.clone().try_into().unwrap();
    assert!(forward.former_pins().contains(&iedub_fp));
    assert!(!forward.tls_pins().contains_key(&iedub_fp));

    // Approvals seen before proposals, and logs read in another order: the same result.
    let mut backward = Membership::new(id("ALTIA"));
    for (o, p) in events.iter().rev() {
        backward.observe(o, p);
    }
    assert_eq!(backward.active().unwrap().hash, forward.active().unwrap().hash);

    // Only one approval of version 2 from version 1's members: not in effect.
    let mut short = Membership::new(id("BEBRU"));
    for (o, p) in &events[..5] {
        short.observe(o, p);
    }
    assert_eq!(short.active().unwrap().body.version, 1);
    assert_eq!(short.pending().count(), 1);
}

#[test]
fn malformed_or_out_of_order_manifests_do_nothing() {
    let (a, _) = card("BEBRU");
    let v1 = founding("drg", 1, vec![a.clone()]).unwrap();
    assert!(Manifest::decode(b"not a manifest").is_err());
    let mut dup = v1.body.clone();
    dup.members.push(a.clone());
    assert!(Manifest::encode(&dup).unwrap_err().0.contains("ordered"));
    let mut zero = v1.body.clone();
    zero.threshold = 2;
    assert!(Manifest::encode(&zero).unwrap_err().0.contains("threshold"));
    let mut badkey = v1.body.clone();
    badkey.members[0].signing_public_key = vec![1; 5];
    assert!(Manifest::encode(&badkey).is_err());

    let mut m = Membership::new(id("BEBRU"));
    let v2 = next_version(&v1, vec![], &[], None, "noop").unwrap();
    m.observe(&id("BEBRU"), &propose(&v2));
    assert!(m.active().is_none(), "version 2 before version 1 does not take effect");
    m.observe(&id("BEBRU"), &propose(&v1));
    assert_eq!(m.active().unwrap().body.version, 2, "once version 1 is in, version 2 follows");
    assert!(next_version(&v1, vec![], &[id("IEDUB")], None, "x").is_err());
}

#[test]
fn keys_of_a_member_cover_rotations() {
    let (a, _) = card("BEBRU");
    let (b, _) = card("IEDUB");
    let v1 = founding("drg", 1, vec![a.clone(), b.clone()]).unwrap();
    let (b2, _) = card("IEDUB");
    let v2 = next_version(&v1, vec![b2.clone()], &[], None, "rotate IEDUB").unwrap();
    let mut m = Membership::new(id("BEBRU"));
    m.observe(&id("BEBRU"), &propose(&v1));
    m.observe(&id("IEDUB"), &propose(&v1));
    m.observe(&id("BEBRU"), &propose(&v2));
    assert_eq!(m.active().unwrap().body.version, 2);
    let keys = m.keys_of(&id("IEDUB"));
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].to_bytes().to_vec(), b2.signing_public_key, "newest first");
}
