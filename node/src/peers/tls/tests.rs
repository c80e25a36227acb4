//! Tests for the pinned verifier: members accepted, non-members, former members and expired
//! certificates refused with their reason.

use super::*;
use crate::identity::TlsIdentity;

fn cert(identity: &TlsIdentity) -> CertificateDer<'static> {
    CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes()).next().unwrap().unwrap()
}

#[test]
fn pins_accept_members_and_refuse_others_with_the_reason() {
    let bebru: MemberId = "BEBRU".parse().unwrap();
    let member = TlsIdentity::generate(&bebru).unwrap();
    let stranger = TlsIdentity::generate(&"ALTIA".parse().unwrap()).unwrap();
    let former = TlsIdentity::generate(&"IEDUB".parse().unwrap()).unwrap();
    let today = crate::clock::now_unix_ms() / 86_400_000;
    let expired = TlsIdentity::generate_valid(&bebru, today - 800, today - 70).unwrap();
    let future = TlsIdentity::generate_valid(&bebru, today + 10, today + 100).unwrap();
    let pins = Pins::default();
    pins.set(PinSet {
        current: [
            (member.fingerprint, bebru.clone()),
            (expired.fingerprint, bebru.clone()),
            (future.fingerprint, bebru.clone()),
        ]
        .into(),
        former: [former.fingerprint].into(),
    });
    let now = UnixTime::now();
    assert_eq!(pins.check(&cert(&member), now), Ok(bebru.clone()));
    assert_eq!(pins.member_of(&[cert(&member)]), Some(bebru.clone()));
    assert!(matches!(pins.check(&cert(&stranger), now), Err(Refusal::NotMember(_))));
    assert!(matches!(pins.check(&cert(&former), now), Err(Refusal::Former(_))));
    assert_eq!(pins.check(&cert(&expired), now), Err(Refusal::Expired(bebru.clone())));
    assert_eq!(pins.check(&cert(&future), now), Err(Refusal::Expired(bebru)));
    assert_eq!(pins.check(&CertificateDer::from(vec![1, 2, 3]), now), Err(Refusal::Malformed));
    assert!(Refusal::Former([0; 32]).to_string().contains("removed, revoked or rotated"));
}

#[test]
fn certificates_are_dated_from_today() {
    assert_eq!(crate::identity::civil_for_tests(0), (1970, 1, 1));
    assert_eq!(crate::identity::civil_for_tests(20_415), (2025, 11, 23));
    assert_eq!(crate::identity::civil_for_tests(11_016), (2000, 2, 29));
}
