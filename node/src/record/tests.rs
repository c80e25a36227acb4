//! Tests for `record`: sealing and opening, and that any change to a record is caught.

use super::*;

fn notice(title: &str) -> pb::record_body::Payload {
    pb::record_body::Payload::Notice(pb::Notice { title: title.into(), text: "text".into() })
}

fn bebru() -> MemberId {
    "BEBRU".parse().unwrap()
}

#[test]
fn seal_then_open_round_trips() {
    let key = NodeKey::generate();
    let (env, rec) = seal(&key, &bebru(), 0, GENESIS_PREV, 1_700_000_000_000, notice("hello"));
    let opened = open(&env, &bebru(), &key.id()).unwrap();
    assert_eq!(opened, rec);
    assert_eq!(opened.kind(), "notice");
    opened.check_link(0, &GENESIS_PREV).unwrap();
}

#[test]
fn a_flipped_bit_anywhere_in_a_record_is_rejected() {
    let key = NodeKey::generate();
    let (env, rec) = seal(&key, &bebru(), 3, [7; 32], 1_700_000_000_000, notice("flip me"));
    for i in 0..env.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = env.clone();
            bad[i] ^= bit;
            match open(&bad, &bebru(), &key.id()) {
                Err(_) => {}
                // Protobuf may decode a flipped length or tag byte to the same body and
                // signature (e.g. a field re-ordered); it must then be the very same record.
                Ok(other) => assert_eq!(other, rec, "byte {i} bit {bit:#x} changed the record"),
            }
        }
    }
}

#[test]
fn body_and_signature_changes_are_rejected() {
    let key = NodeKey::generate();
    let (env, _) = seal(&key, &bebru(), 0, GENESIS_PREV, 1, notice("x"));
    let signed = pb::SignedRecord::decode(env.as_slice()).unwrap();
    for i in 0..signed.body.len() {
        let mut bad = signed.clone();
        let mut body = bad.body.to_vec();
        body[i] ^= 0x01;
        bad.body = body.into();
        assert!(open_signed(&bad, &bebru(), &key.id()).is_err(), "body byte {i}");
    }
    for i in 0..signed.signature.len() {
        let mut bad = signed.clone();
        let mut signature = bad.signature.to_vec();
        signature[i] ^= 0x01;
        bad.signature = signature.into();
        assert!(open_signed(&bad, &bebru(), &key.id()).is_err(), "signature byte {i}");
    }
}

#[test]
fn wrong_key_origin_and_links_are_rejected() {
    let key = NodeKey::generate();
    let (env, rec) = seal(&key, &bebru(), 5, [1; 32], 1, notice("x"));
    let other = NodeKey::generate();
    assert!(matches!(open(&env, &bebru(), &other.id()), Err(RecordError::Signature(_))));
    let dublin: MemberId = "IEDUB".parse().unwrap();
    assert!(matches!(open(&env, &dublin, &key.id()), Err(RecordError::Origin { .. })));
    assert_eq!(rec.check_link(4, &[1; 32]), Err(RecordError::Sequence { expected: 4, got: 5 }));
    assert_eq!(rec.check_link(5, &[2; 32]), Err(RecordError::Chain));
    assert_eq!(open(b"\xff\xff\xff", &bebru(), &key.id()), Err(RecordError::Envelope));
}

#[test]
fn a_record_signed_as_a_tree_head_does_not_verify() {
    let key = NodeKey::generate();
    let (env, _) = seal(&key, &bebru(), 0, GENESIS_PREV, 1, notice("x"));
    let mut signed = pb::SignedRecord::decode(env.as_slice()).unwrap();
    signed.signature = key.sign(Domain::TreeHead, &signed.body).to_vec().into();
    assert!(matches!(open_signed(&signed, &bebru(), &key.id()), Err(RecordError::Signature(_))));
}
