//! Mutual TLS between member nodes, pinned to the membership: a peer is accepted only if its
//! certificate's key is the TLS key of a current member, and its certificate is within its
//! validity period. No certificate authority is involved; the manifest is the trust root.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    sync::{Arc, RwLock},
};

use rustls::{
    DigitallySignedStruct, DistinguishedName, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, WebPkiSupportedAlgorithms},
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime, pem::PemObject},
    server::danger::{ClientCertVerified, ClientCertVerifier},
};
use sha2::{Digest, Sha256};
use tracing::warn;

use crate::{identity::MemberId, identity::TlsIdentity, metrics};

/// The TLS keys accepted now, and those of former members (for precise refusals).
#[derive(Debug, Default)]
pub struct PinSet {
    /// Fingerprint (SHA-256 of the SubjectPublicKeyInfo) to member.
    pub current: BTreeMap<[u8; 32], MemberId>,
    /// Fingerprints of removed, revoked or rotated-away members.
    pub former: BTreeSet<[u8; 32]>,
    /// A current member's previous key, while its rotation is under way
    /// (`Membership::rotating_pins`).
    pub rotating: BTreeMap<[u8; 32], MemberId>,
}

/// Pins shared by the listener and every outgoing connection; replaced when membership changes.
#[derive(Clone, Default)]
pub struct Pins(
    Arc<RwLock<PinSet>>,
    Arc<std::sync::Mutex<Verified>>,
    Arc<metrics::Metrics>,
    /// Previous keys retired early: their member has been seen on its new key since.
    Arc<std::sync::Mutex<BTreeSet<[u8; 32]>>>,
);

/// Certificates whose signature and validity were checked lately (SHA-256 of the DER to the
/// time, in Unix seconds, the check was made for):
/// a member's every call carries its certificate, and checking the signature each time cost
/// more than serving most calls. Membership is still looked up on every call.
#[derive(Default)]
struct Verified(std::collections::HashMap<[u8; 32], u64>);

/// How long (seconds) a checked certificate is trusted without checking its signature and
/// dates again: a certificate expiring meanwhile is refused up to this much late.
const VERIFIED_FOR: u64 = 60;
/// Most certificates remembered as checked (the federation's members, and some former ones).
const VERIFIED_MAX: usize = 4096;

impl fmt::Debug for Pins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pins").field("current", &self.read().current.len()).finish()
    }
}

impl Pins {
    /// Empty pins whose client-side refusals count in `metrics`.
    pub fn counting(metrics: Arc<metrics::Metrics>) -> Self {
        Self(Arc::default(), Arc::default(), metrics, Arc::default())
    }

    /// Replaces the pin set.
    pub fn set(&self, pins: PinSet) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = pins;
    }

    fn recently_verified(&self, cert: &[u8; 32], now: UnixTime) -> bool {
        let now = now.as_secs();
        let cache = self.1.lock().unwrap_or_else(|p| p.into_inner());
        cache.0.get(cert).is_some_and(|&at| now >= at && now - at < VERIFIED_FOR)
    }

    fn verified(&self, cert: [u8; 32], now: UnixTime) {
        let now = now.as_secs();
        let mut cache = self.1.lock().unwrap_or_else(|p| p.into_inner());
        if cache.0.len() >= VERIFIED_MAX {
            cache.0.retain(|_, at| now.saturating_sub(*at) < VERIFIED_FOR);
            if cache.0.len() >= VERIFIED_MAX {
                cache.0.clear();
            }
        }
        cache.0.insert(cert, now);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, PinSet> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The member a certificate belongs to, or why it is refused.
    pub fn check(&self, cert: &CertificateDer<'_>, now: UnixTime) -> Result<MemberId, Refusal> {
        let ee = webpki::EndEntityCert::try_from(cert).map_err(|_| Refusal::Malformed)?;
        let fingerprint: [u8; 32] = Sha256::digest(ee.subject_public_key_info().as_ref()).into();
        let pins = self.read();
        let current = pins.current.get(&fingerprint);
        let member = match current.or_else(|| self.previous(&pins, &fingerprint)) {
            Some(m) => m.clone(),
            None if pins.former.contains(&fingerprint) => {
                return Err(Refusal::Former(fingerprint));
            }
            None => return Err(Refusal::NotMember(fingerprint)),
        };
        // Seen on its current key: a previous key of the member is no longer needed.
        let retire: Vec<[u8; 32]> = match current {
            Some(_) => {
                pins.rotating.iter().filter(|(_, m)| **m == member).map(|(f, _)| *f).collect()
            }
            None => Vec::new(),
        };
        drop(pins);
        let der: [u8; 32] = Sha256::digest(cert.as_ref()).into();
        if self.recently_verified(&der, now) {
            self.retire(retire);
            return Ok(member);
        }
        // The certificate is its own anchor: this checks its signature and validity period.
        let anchor = webpki::anchor_from_trusted_cert(cert).map_err(|_| Refusal::Malformed)?;
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        // Usage "client auth if stated": member certificates state no extended key usage.
        ee.verify_for_usage(
            algs.all,
            &[anchor],
            &[],
            now,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(|e| match e {
            webpki::Error::CertExpired { .. } => Refusal::Expired(member.clone()),
            webpki::Error::CertNotValidYet { .. } => Refusal::NotYetValid(member.clone()),
            _ => Refusal::Malformed,
        })?;
        self.verified(der, now);
        self.retire(retire);
        Ok(member)
    }

    /// The member whose previous key `fingerprint` is, unless retired.
    fn previous<'p>(&self, pins: &'p PinSet, fingerprint: &[u8; 32]) -> Option<&'p MemberId> {
        let retired = self.3.lock().unwrap_or_else(|p| p.into_inner());
        pins.rotating.get(fingerprint).filter(|_| !retired.contains(fingerprint))
    }

    fn retire(&self, fingerprints: Vec<[u8; 32]>) {
        if !fingerprints.is_empty() {
            self.3.lock().unwrap_or_else(|p| p.into_inner()).extend(fingerprints);
        }
    }

    /// The member a verified peer certificate chain belongs to (first certificate).
    pub fn member_of(&self, certs: &[CertificateDer<'_>]) -> Option<MemberId> {
        let ee = webpki::EndEntityCert::try_from(certs.first()?).ok()?;
        let fingerprint: [u8; 32] = Sha256::digest(ee.subject_public_key_info().as_ref()).into();
        let pins = self.read();
        pins.current.get(&fingerprint).or_else(|| self.previous(&pins, &fingerprint)).cloned()
    }
}

/// Why a peer's certificate was refused at the handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No certificate at all (the federation port admits members only).
    #[error("no client certificate")]
    NoCertificate,
    /// A certificate whose handshake signature or encoding does not verify.
    #[error("bad certificate")]
    BadCertificate,
    /// Not a certificate this node can read.
    #[error("malformed certificate")]
    Malformed,
    /// A valid certificate whose key belongs to no member.
    #[error("TLS key {} is not a current member's", hex::encode(&.0[..8]))]
    NotMember([u8; 32]),
    /// The key of a removed, revoked or rotated-away member.
    #[error("TLS key {} belonged to a member that was removed, revoked or rotated", hex::encode(&.0[..8]))]
    Former([u8; 32]),
    /// A member's certificate past its validity period.
    #[error("certificate of {0} has expired")]
    Expired(MemberId),
    /// A member's certificate before its validity period (or this node's clock is behind).
    #[error("certificate of {0} is not yet valid (is one of the clocks wrong?)")]
    NotYetValid(MemberId),
}

impl Refusal {
    /// The metric label of the refusal.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::NoCertificate => "no_certificate",
            Refusal::BadCertificate => "bad_certificate",
            Refusal::Malformed => "malformed",
            Refusal::NotMember(_) => "not_member",
            Refusal::Former(_) => "former_member",
            Refusal::Expired(_) => "expired",
            Refusal::NotYetValid(_) => "not_yet_valid",
        }
    }
}

#[derive(Debug)]
struct PinnedVerifier {
    pins: Pins,
    algs: WebPkiSupportedAlgorithms,
    side: &'static str,
}

impl PinnedVerifier {
    /// Checks a peer's certificate. A server's refusals are logged and counted where the
    /// connection is accepted, with the peer's address (see `refusal`); a client's here.
    fn verify(&self, cert: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
        self.pins.check(cert, now).map(|_| ()).map_err(|r| {
            if self.side == "client" {
                warn!(side = self.side, reason = %r, "refused peer at the TLS handshake");
                self.pins.2.peer_refused(r.label());
            }
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(r),
            )))
        })
    }
}

/// Why a handshake the server side failed was a refusal of the peer (no certificate, a bad
/// one, a non-member's, an expired one...), from the error the TLS stack returned; `None` for
/// a failure that is not one (a dropped connection, a protocol mismatch).
pub fn refusal(e: &std::io::Error) -> Option<Refusal> {
    let tls = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    match tls {
        rustls::Error::NoCertificatesPresented => Some(Refusal::NoCertificate),
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            Some(other.0.downcast_ref::<Refusal>().cloned().unwrap_or(Refusal::BadCertificate))
        }
        rustls::Error::InvalidCertificate(_) => Some(Refusal::BadCertificate),
        _ => None,
    }
}

impl ClientCertVerifier for PinnedVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.verify(end_entity, now).map(|()| ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verify(end_entity, now).map(|()| ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn key_material(
    identity: &TlsIdentity,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rustls::Error> {
    let certs = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| rustls::Error::General("unreadable TLS certificate".into()))?;
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem().as_bytes())
        .map_err(|_| rustls::Error::General("unreadable TLS key".into()))?;
    Ok((certs, key))
}

/// TLS 1.3 server configuration that requires a member's client certificate.
pub fn server_config(
    identity: &TlsIdentity,
    pins: Pins,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        pins,
        algs: provider.signature_verification_algorithms,
        side: "server",
    });
    let (certs, key) = key_material(identity)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// TLS 1.3 client configuration that presents this node's certificate and accepts only a
/// member's server certificate.
pub fn client_config(
    identity: &TlsIdentity,
    pins: Pins,
) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let provider = provider();
    let verifier = Arc::new(PinnedVerifier {
        pins,
        algs: provider.signature_verification_algorithms,
        side: "client",
    });
    let (certs, key) = key_material(identity)?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests;
