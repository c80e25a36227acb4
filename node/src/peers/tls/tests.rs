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
    // Brussels' key before a rotation now in effect.
    let previous = TlsIdentity::generate_ed25519(&bebru).unwrap();
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
        former: [former.fingerprint, previous.fingerprint].into(),
        rotating: [(previous.fingerprint, bebru.clone())].into(),
    });
    let now = UnixTime::now();
    // A member's previous key while its rotation is under way: still that member's.
    assert_eq!(pins.check(&cert(&previous), now), Ok(bebru.clone()));
    assert_eq!(pins.member_of(&[cert(&previous)]), Some(bebru.clone()));
    // Until the member is seen on its current key.
    assert!(pins.check(&cert(&member), now).is_ok());
    assert!(matches!(pins.check(&cert(&previous), now), Err(Refusal::Former(_))));
    assert_eq!(pins.member_of(&[cert(&previous)]), None);
    assert_eq!(pins.check(&cert(&member), now), Ok(bebru.clone()));
    assert_eq!(pins.member_of(&[cert(&member)]), Some(bebru.clone()));
    assert!(matches!(pins.check(&cert(&stranger), now), Err(Refusal::NotMember(_))));
    assert!(matches!(pins.check(&cert(&former), now), Err(Refusal::Former(_))));
    assert_eq!(pins.check(&cert(&expired), now), Err(Refusal::Expired(bebru.clone())));
    assert_eq!(pins.check(&cert(&future), now), Err(Refusal::NotYetValid(bebru.clone())));
    assert_eq!(Refusal::NotYetValid(bebru).label(), "not_yet_valid");
    assert_eq!(pins.check(&CertificateDer::from(vec![1, 2, 3]), now), Err(Refusal::Malformed));
    assert!(Refusal::Former([0; 32]).to_string().contains("removed, revoked or rotated"));
}

#[test]
fn certificates_are_dated_from_today() {
    assert_eq!(crate::identity::civil_for_tests(0), (1970, 1, 1));
    assert_eq!(crate::identity::civil_for_tests(20_415), (2025, 11, 23));
    assert_eq!(crate::identity::civil_for_tests(11_016), (2000, 2, 29));
}

/// A certificate checked a moment ago is not checked again, but its member still is: removing
/// the member refuses it at once, and a check for a time past the memo checks the dates again.
#[test]
fn a_checked_certificate_is_remembered_but_membership_is_not() {
    let bebru: MemberId = "BEBRU".parse().unwrap();
    let today = crate::clock::now_unix_ms() / 86_400_000;
    // Valid until the end of tomorrow.
    let short = TlsIdentity::generate_valid(&bebru, today - 1, today + 1).unwrap();
    let pins = Pins::default();
    let set = |current: bool| PinSet {
        current: if current {
            [(short.fingerprint, bebru.clone())].into()
        } else {
            Default::default()
        },
        former: if current { Default::default() } else { [short.fingerprint].into() },
        rotating: Default::default(),
    };
    pins.set(set(true));
    let now = UnixTime::now();
    assert_eq!(pins.check(&cert(&short), now), Ok(bebru.clone()));
    assert!(pins.recently_verified(&Sha256::digest(cert(&short).as_ref()).into(), now));
    assert_eq!(pins.check(&cert(&short), now), Ok(bebru.clone()));
    pins.set(set(false));
    assert!(matches!(pins.check(&cert(&short), now), Err(Refusal::Former(_))));
    pins.set(set(true));
    let in_a_week =
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs() + 7 * 86_400));
    assert_eq!(pins.check(&cert(&short), in_a_week), Err(Refusal::Expired(bebru)));
}
