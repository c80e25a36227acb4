//! Tests for `identity`: member ids, signatures with domain separation, key files.

use std::os::unix::fs::PermissionsExt;

use super::*;

#[test]
fn member_ids_are_un_locodes() {
    for ok in ["BEBRU", "IEDUB", "BGSOF", "ALTIA", "NLAMS", "DEHA2"] {
        let id: MemberId = ok.parse().unwrap();
        assert_eq!(id.as_str(), ok);
        assert_eq!(id.country(), &ok[..2]);
    }
    for bad in
        ["", "bebru", "BEBR", "BEBRUX", "B1BRU", "BE-BR", "BEBR1", "BEBRÜ", "../..", "BE\u{0}RU"]
    {
        assert!(bad.parse::<MemberId>().is_err(), "{bad:?} accepted");
    }
}

#[test]
fn signatures_round_trip_and_are_bound_to_their_domain() {
    let key = NodeKey::generate();
    let id = key.id();
    let msg = b"a record body";
    let sig = key.sign(Domain::Record, msg);
    id.verify(Domain::Record, msg, &sig).unwrap();
    assert_eq!(id.verify(Domain::TreeHead, msg, &sig), Err(VerifyError::Invalid));
    assert_eq!(id.verify(Domain::Record, b"a record bodY", &sig), Err(VerifyError::Invalid));
    assert_eq!(id.verify(Domain::Record, msg, &sig[..63]), Err(VerifyError::Length(63)));
    let other = NodeKey::generate().id();
    assert_eq!(other.verify(Domain::Record, msg, &sig), Err(VerifyError::Invalid));
    assert_eq!(NodeId::from_bytes(&id.to_bytes()), Some(id));
}

#[test]
fn key_files_are_owner_only_and_loose_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.key");
    let key = NodeKey::generate();
    write_signing_key(&path, &key).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(load_signing_key(&path, false).unwrap().id(), key.id());
    // Never overwritten.
    assert!(write_signing_key(&path, &NodeKey::generate()).is_err());

    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let err = load_signing_key(&path, false).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, KeyFileError::LoosePermissions { mode: 0o640, .. }));
    assert!(
        msg.contains("signing.key") && msg.contains("0640") && msg.contains("chmod 600"),
        "{msg}"
    );
    assert!(load_signing_key(&path, true).is_ok(), "the explicit override is honoured");
}

#[test]
fn malformed_and_missing_key_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.key");
    write_private(&path, b"not a key").unwrap();
    let msg = load_signing_key(&path, false).unwrap_err().to_string();
    assert!(msg.contains("signing.key") && msg.contains("PKCS#8"), "{msg}");
    let missing = dir.path().join("nope.key");
    assert!(load_signing_key(&missing, false).unwrap_err().to_string().contains("nope.key"));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("k");
    write_signing_key(&path, &key).unwrap();
    let pem = fs::read_to_string(&path).unwrap();
    let secret_b64 = pem.lines().nth(1).unwrap();
    let dbg = format!("{key:?}");
    assert!(!dbg.contains(secret_b64) && dbg.contains(&key.id().to_string()));

    let member: MemberId = "BEBRU".parse().unwrap();
    let tls = TlsIdentity::generate(&member).unwrap();
    let tls_b64 = tls.key_pem().lines().nth(1).unwrap();
    assert!(!format!("{tls:?}").contains(tls_b64));
}

#[test]
fn tls_fingerprint_survives_a_round_trip_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let member: MemberId = "IEDUB".parse().unwrap();
    let tls = TlsIdentity::generate(&member).unwrap();
    let (k, c) = (dir.path().join("tls.key"), dir.path().join("tls.crt"));
    write_private(&k, tls.key_pem().as_bytes()).unwrap();
    fs::write(&c, &tls.cert_pem).unwrap();
    let loaded = load_tls(&k, &c, false).unwrap();
    assert_eq!(loaded.fingerprint, tls.fingerprint);
    assert!(loaded.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn key_files_are_pkcs8_v1_and_earlier_v2_files_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::generate();
    let path = dir.path().join("signing.key");
    write_signing_key(&path, &key).unwrap();
    let der = pkcs8_der(&std::fs::read_to_string(&path).unwrap());
    // PrivateKeyInfo: SEQUENCE { INTEGER version, ... }; v1 is version 0 (RFC 5208).
    assert_eq!(&der[2..5], &[0x02, 0x01, 0x00], "version 0");
    assert_eq!(load_signing_key(&path, false).unwrap().id(), key.id());

    // A v2 file (public key attached), as earlier versions wrote, loads to the same key.
    let v2 = key.signing.to_pkcs8_pem(LineEnding::LF).unwrap();
    assert_eq!(pkcs8_der(&v2)[2..5], [0x02, 0x01, 0x01], "the old file is version 1 (v2)");
    let old = dir.path().join("old.key");
    write_private(&old, v2.as_bytes()).unwrap();
    assert_eq!(load_signing_key(&old, false).unwrap().id(), key.id());

    // TLS: P-256 by default; an ed25519 TLS key still loads, with its own pin.
    let member: MemberId = "BEBRU".parse().unwrap();
    for tls in
        [TlsIdentity::generate(&member).unwrap(), TlsIdentity::generate_ed25519(&member).unwrap()]
    {
        let (k, c) = (dir.path().join("t.key"), dir.path().join("t.crt"));
        let _ = std::fs::remove_file(&k);
        write_private(&k, tls.key_pem().as_bytes()).unwrap();
        std::fs::write(&c, &tls.cert_pem).unwrap();
        assert_eq!(load_tls(&k, &c, false).unwrap().fingerprint, tls.fingerprint);
    }
    assert!(
        TlsIdentity::generate(&member).unwrap().cert_pem.starts_with("-----BEGIN CERTIFICATE-----")
    );
}

/// The DER inside a PEM file.
fn pkcs8_der(pem: &str) -> Vec<u8> {
    use ed25519_dalek::pkcs8::spki::der::pem::PemLabel as _;
    let (label, der) = ed25519_dalek::pkcs8::spki::der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, ed25519_dalek::pkcs8::PrivateKeyInfo::PEM_LABEL);
    der
}

#[test]
fn a_batch_verifies_only_when_every_signature_does_for_its_domain() {
    let key = NodeKey::generate();
    let bodies: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 64 + usize::from(i)]).collect();
    let sigs: Vec<[u8; 64]> = bodies.iter().map(|b| key.sign(Domain::Record, b)).collect();
    let items = |sigs: &[[u8; 64]]| -> Vec<(Vec<u8>, Vec<u8>)> {
        bodies.iter().cloned().zip(sigs.iter().map(|s| s.to_vec())).collect()
    };
    let check = |key: &NodeId, domain: Domain, items: &[(Vec<u8>, Vec<u8>)]| {
        let items: Vec<(&[u8], &[u8])> =
            items.iter().map(|(b, s)| (b.as_slice(), s.as_slice())).collect();
        key.verify_batch(domain, &items)
    };
    assert!(check(&key.id(), Domain::Record, &items(&sigs)));
    assert!(!check(&key.id(), Domain::TreeHead, &items(&sigs)), "another domain");
    assert!(!check(&NodeKey::generate().id(), Domain::Record, &items(&sigs)), "another key");
    let mut one_bad = sigs.clone();
    one_bad[17][40] ^= 1;
    assert!(!check(&key.id(), Domain::Record, &items(&one_bad)));
    let mut short = items(&sigs);
    short[3].1.pop();
    assert!(!check(&key.id(), Domain::Record, &short), "a 63-byte signature");
}
