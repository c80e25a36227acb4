//! City identity: member ids, the ed25519 signing key, the TLS key pair, and key files on disk.
//!
//! Private keys live only in files with owner-only permissions; their `Debug` output is redacted
//! and no error message ever carries key material.

use std::{
    fmt,
    fs::{self, OpenOptions},
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use ed25519_dalek::{
    Signature, Signer, SigningKey, VerifyingKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding},
};
use rcgen::PublicKeyData;
use sha2::{Digest, Sha256};

pub use metronode_core::ids::{BadMemberId, MemberId};

/// What a signature is for. The tag is signed in front of the bytes, so a signature made for one
/// purpose can never be replayed as another (a record body as a tree head, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// A log record body.
    Record,
    /// A signed tree head body.
    TreeHead,
    /// A witness statement.
    Witness,
}

impl Domain {
    fn tag(self) -> &'static [u8] {
        match self {
            Domain::Record => b"metronode/v1/record\0",
            Domain::TreeHead => b"metronode/v1/tree-head\0",
            Domain::Witness => b"metronode/v1/witness\0",
        }
    }

    fn message(self, bytes: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(self.tag().len() + bytes.len());
        m.extend_from_slice(self.tag());
        m.extend_from_slice(bytes);
        m
    }
}

/// A city's ed25519 signing key. Its `Debug` output never shows the secret.
pub struct NodeKey {
    signing: SigningKey,
}

/// A city's public signing key: what verifies its records and tree heads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NodeId(VerifyingKey);

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature is not 64 bytes.
    #[error("signature is {0} bytes, expected 64")]
    Length(usize),
    /// The signature does not verify under the key for these bytes.
    #[error("signature does not verify")]
    Invalid,
}

// === impl NodeKey ===

impl NodeKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self { signing: SigningKey::generate(&mut rand_core::OsRng) }
    }

    /// The public half.
    pub fn id(&self) -> NodeId {
        NodeId(self.signing.verifying_key())
    }

    /// Signs `bytes` for `domain`.
    pub fn sign(&self, domain: Domain, bytes: &[u8]) -> [u8; 64] {
        self.signing.sign(&domain.message(bytes)).to_bytes()
    }

    /// Signs a C2SP signed note's text as it is (no domain tag: the note format is its own
    /// domain, and its text never begins with one of ours; see `checkpoint`).
    pub fn sign_note(&self, text: &str) -> [u8; 64] {
        self.signing.sign(text.as_bytes()).to_bytes()
    }

    /// A second handle on the same secret, for tests that reopen a node.
    #[cfg(any(test, feature = "test-util"))]
    pub fn duplicate(&self) -> Self {
        Self { signing: self.signing.clone() }
    }

    /// PKCS#8 v1 PEM (RFC 5208: the private key alone, no public key attached), which OpenSSL,
    /// pyca/cryptography and gRPC-core read; v2 files written by earlier versions still load.
    fn to_pem(&self) -> Result<String, KeyFileError> {
        let v1 = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.signing.to_bytes(),
            public_key: None,
        };
        let pem =
            v1.to_pkcs8_pem(LineEnding::LF).map_err(|_| KeyFileError::Encode("signing key"))?;
        Ok(pem.as_str().to_owned())
    }
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeKey").field("public", &self.id()).finish_non_exhaustive()
    }
}

// === impl NodeId ===

impl NodeId {
    /// The 32 public key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Parses 32 public key bytes. Decompressing the point costs about as much as verifying a
    /// signature, and the members' few keys are parsed for every record, head and statement a
    /// peer sends, so parsed keys are remembered (a pure function of the bytes).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        use std::{collections::HashMap, sync::Mutex};
        static PARSED: std::sync::OnceLock<Mutex<HashMap<[u8; 32], NodeId>>> =
            std::sync::OnceLock::new();
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        let parsed = PARSED.get_or_init(Default::default);
        if let Some(id) = parsed.lock().unwrap_or_else(|p| p.into_inner()).get(&bytes) {
            return Some(*id);
        }
        let id = Self(VerifyingKey::from_bytes(&bytes).ok()?);
        let mut map = parsed.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= 4096 {
            map.clear(); // far more keys than any federation has: start over
        }
        map.insert(bytes, id);
        Some(id)
    }

    /// Verifies a signature over `bytes` for `domain`, rejecting malleable and weak-key forms.
    pub fn verify(
        &self,
        domain: Domain,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let sig =
            Signature::from_slice(signature).map_err(|_| VerifyError::Length(signature.len()))?;
        self.0.verify_strict(&domain.message(bytes), &sig).map_err(|_| VerifyError::Invalid)
    }

    /// Verifies many signatures by this key at once (ed25519-dalek's `verify_batch`: random
    /// linear combinations, about four times the single rate at 256 signatures): true when
    /// every `(bytes, signature)` of `items` verifies for `domain`. False says only that one
    /// does not, or that the key is weak: `verify` then finds which. A batch is not exactly
    /// `verify`'s strict check: a signature whose R carries a small-order component, which only
    /// the key's holder can make, passes a batch one time in eight.
    pub fn verify_batch(&self, domain: Domain, items: &[(&[u8], &[u8])]) -> bool {
        if self.0.is_weak() {
            return false;
        }
        let mut messages = Vec::with_capacity(items.len());
        let mut signatures = Vec::with_capacity(items.len());
        for (bytes, signature) in items {
            let Ok(sig) = Signature::from_slice(signature) else { return false };
            messages.push(domain.message(bytes));
            signatures.push(sig);
        }
        let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let keys = vec![self.0; items.len()];
        ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
    }

    /// Verifies a C2SP signed note's signature over its text.
    pub fn verify_note(&self, text: &str, signature: &[u8]) -> Result<(), VerifyError> {
        let sig =
            Signature::from_slice(signature).map_err(|_| VerifyError::Length(signature.len()))?;
        self.0.verify_strict(text.as_bytes(), &sig).map_err(|_| VerifyError::Invalid)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({self})")
    }
}

/// The node's TLS identity: a private key and a self-signed certificate for it.
/// Peers pin the key by its fingerprint (SHA-256 of the SubjectPublicKeyInfo), not by a CA.
pub struct TlsIdentity {
    /// PEM of the PKCS#8 private key.
    key_pem: String,
    /// PEM of the certificate.
    pub cert_pem: String,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub fingerprint: [u8; 32],
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &hex::encode(self.fingerprint))
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// A fresh ECDSA P-256 TLS key with a self-signed certificate naming the member, valid
    /// from yesterday for `TLS_VALIDITY_DAYS`: a key is rotated (a new card in a new manifest
    /// version) before it expires, and peers refuse it after. P-256, because every TLS stack
    /// offers it (gRPC-core's BoringSSL offers no ed25519); records stay signed with ed25519.
    pub fn generate(member: &MemberId) -> Result<Self, KeyFileError> {
        let today = crate::clock::now_unix_ms().div_euclid(86_400_000);
        Self::generate_valid(member, today - 1, today + TLS_VALIDITY_DAYS)
    }

    /// A fresh ECDSA P-256 TLS identity valid between two days (days since 1970-01-01).
    pub fn generate_valid(
        member: &MemberId,
        from_day: i64,
        to_day: i64,
    ) -> Result<Self, KeyFileError> {
        Self::generate_with(member, from_day, to_day, &rcgen::PKCS_ECDSA_P256_SHA256)
    }

    /// An ed25519 TLS identity, as versions before ECDSA made: still accepted from a member
    /// whose card pins one, so that federations migrate by a key rotation.
    #[cfg(any(test, feature = "test-util"))]
    pub fn generate_ed25519(member: &MemberId) -> Result<Self, KeyFileError> {
        let today = crate::clock::now_unix_ms().div_euclid(86_400_000);
        Self::generate_with(member, today - 1, today + TLS_VALIDITY_DAYS, &rcgen::PKCS_ED25519)
    }

    fn generate_with(
        member: &MemberId,
        from_day: i64,
        to_day: i64,
        alg: &'static rcgen::SignatureAlgorithm,
    ) -> Result<Self, KeyFileError> {
        let key = rcgen::KeyPair::generate_for(alg).map_err(|_| KeyFileError::Encode("TLS key"))?;
        let mut params = rcgen::CertificateParams::new(vec![tls_server_name(member)])
            .map_err(|_| KeyFileError::Encode("TLS certificate"))?;
        let date = |day: i64| {
            let (y, m, d) = civil_from_days(day);
            rcgen::date_time_ymd(y, m, d)
        };
        params.not_before = date(from_day);
        params.not_after = date(to_day);
        params.distinguished_name.push(rcgen::DnType::CommonName, member.as_str());
        let cert = params.self_signed(&key).map_err(|_| KeyFileError::Encode("TLS certificate"))?;
        Ok(Self {
            fingerprint: Sha256::digest(key.subject_public_key_info()).into(),
            key_pem: key.serialize_pem(),
            cert_pem: cert.pem(),
        })
    }

    /// The private key PEM, for the TLS stack.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

/// Days a new TLS certificate is valid.
pub const TLS_VALIDITY_DAYS: i64 = 2 * 365;

/// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// `civil_from_days`, for tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn civil_for_tests(z: i64) -> (i32, u8, u8) {
    civil_from_days(z)
}

/// The DNS name in a member's TLS certificate. Peers check the pinned key, not this name.
pub fn tls_server_name(member: &MemberId) -> String {
    format!("{}.metronode.invalid", member.as_str().to_ascii_lowercase())
}

// === key files ===

/// Why a key file could not be written or read. Messages name the file, never its contents.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Others can read or write the file, which a private key must not allow.
    #[error(
        "{}: permissions {mode:04o} let other users read the private key; run `chmod 600 {}` \
         (or set keys.allow_loose_permissions = true to override)",
        path.display(), path.display()
    )]
    LoosePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a key of the expected kind.
    #[error("{}: not a PEM-encoded PKCS#8 {kind} private key", path.display())]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// Which key was expected.
        kind: &'static str,
    },
    /// A key could not be encoded (should not happen).
    #[error("could not encode the {0}")]
    Encode(&'static str),
}

/// Writes a new private file with mode 0600, refusing to replace an existing one.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io { path: path.to_owned(), source };
    let mut f =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
    f.write_all(contents).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Reads a private file, refusing it when group or others have any access (unless `allow_loose`).
pub fn read_private(path: &Path, allow_loose: bool) -> Result<String, KeyFileError> {
    let io = |source| KeyFileError::Io { path: path.to_owned(), source };
    let mode = fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 && !allow_loose {
        return Err(KeyFileError::LoosePermissions { path: path.to_owned(), mode });
    }
    fs::read_to_string(path).map_err(io)
}

/// Writes the signing key to a new owner-only file.
pub fn write_signing_key(path: &Path, key: &NodeKey) -> Result<(), KeyFileError> {
    write_private(path, key.to_pem()?.as_bytes())
}

/// Loads the signing key, checking the file's permissions first.
pub fn load_signing_key(path: &Path, allow_loose: bool) -> Result<NodeKey, KeyFileError> {
    let pem = read_private(path, allow_loose)?;
    let signing = SigningKey::from_pkcs8_pem(&pem)
        .map_err(|_| KeyFileError::Malformed { path: path.to_owned(), kind: "ed25519 signing" })?;
    Ok(NodeKey { signing })
}

/// Loads the TLS key and certificate, checking the key file's permissions first.
pub fn load_tls(key: &Path, cert: &Path, allow_loose: bool) -> Result<TlsIdentity, KeyFileError> {
    let key_pem = read_private(key, allow_loose)?;
    let pair = rcgen::KeyPair::from_pem(&key_pem)
        .map_err(|_| KeyFileError::Malformed { path: key.to_owned(), kind: "TLS" })?;
    let cert_pem = fs::read_to_string(cert)
        .map_err(|source| KeyFileError::Io { path: cert.to_owned(), source })?;
    Ok(TlsIdentity {
        fingerprint: Sha256::digest(pair.subject_public_key_info()).into(),
        key_pem,
        cert_pem,
    })
}

#[cfg(test)]
mod tests;
