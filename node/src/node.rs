//! Opening a node from its data directory: configuration, keys, the directory lock, the store and
//! the verified log, in an order that writes nothing until every input has been checked.

use std::{
    fs::{self, DirBuilder},
    net::SocketAddr,
    os::unix::fs::DirBuilderExt,
    path::{Path, PathBuf},
    sync::RwLock,
};

use anyhow::{Context, bail};

use crate::{
    catalogue::Catalogue,
    config::{self, Config, ConfigError},
    federation::Membership,
    identity::{self, KeyFileError, MemberId, NodeId, NodeKey, TlsIdentity},
    log::{self, Log},
    pb,
    peers::{
        self,
        tls::{PinSet, Pins},
    },
    store::{self, DirLock, Store},
};

/// Why a node could not be opened. Each variant's message says what and where.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The configuration file is missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A key file is missing, malformed or readable by others.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The store could not be opened or the directory is locked.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The stored log does not verify.
    #[error(transparent)]
    Log(#[from] log::Error),
}

/// A node's configuration and keys, loaded and checked but not yet holding the data directory.
#[derive(Debug)]
pub struct Identity {
    /// The data directory.
    pub dir: PathBuf,
    /// The parsed configuration.
    pub config: Config,
    /// The signing key.
    pub key: NodeKey,
    /// The TLS key and certificate.
    pub tls: TlsIdentity,
}

impl Identity {
    /// Loads `DIR/node.toml` and the key files it names, checking their permissions.
    pub fn load(dir: &Path) -> Result<Self, OpenError> {
        let config = Config::load(dir)?;
        let loose = config.keys.allow_loose_permissions;
        let key = identity::load_signing_key(&dir.join(&config.keys.signing_key), loose)?;
        let tls = identity::load_tls(
            &dir.join(&config.keys.tls_key),
            &dir.join(&config.keys.tls_cert),
            loose,
        )?;
        Ok(Self { dir: dir.to_owned(), config, key, tls })
    }

    /// The member id.
    pub fn member_id(&self) -> MemberId {
        self.config.member_id()
    }

    /// The public card other cities need to federate with this one.
    pub fn card(&self) -> pb::MemberCard {
        Self::card_of(&self.config, &self.key, &self.tls)
    }

    /// Where `metronode tls-rotate` keeps the next TLS key and certificate until the federation
    /// pins them: the current files' paths with `.next` appended.
    pub fn next_tls_paths(&self) -> (PathBuf, PathBuf) {
        let next = |p: &Path| {
            let mut s = self.dir.join(p).into_os_string();
            s.push(".next");
            PathBuf::from(s)
        };
        (next(&self.config.keys.tls_key), next(&self.config.keys.tls_cert))
    }

    /// Makes the next TLS identity (ECDSA P-256) beside the current one and returns the card
    /// that pins it, for a threshold-approved `federation propose --add`. The node switches to
    /// it at the first start after that change is in effect.
    pub fn rotate_tls(&self) -> Result<pb::MemberCard, OpenError> {
        let (key, cert) = self.next_tls_paths();
        if key.exists() || cert.exists() {
            let why = "a rotated TLS key already waits for the federation; remove both .next files to make another";
            let source = std::io::Error::new(std::io::ErrorKind::AlreadyExists, why);
            return Err(identity::KeyFileError::Io { path: key, source }.into());
        }
        let next = TlsIdentity::generate(&self.member_id())?;
        identity::write_private(&key, next.key_pem().as_bytes())?;
        std::fs::write(&cert, &next.cert_pem)
            .map_err(|source| identity::KeyFileError::Io { path: cert.clone(), source })?;
        Ok(Self::card_of(&self.config, &self.key, &next))
    }
}

/// An open node: identity, the held data directory, and the verified log.
#[derive(Debug)]
pub struct Node {
    /// The node's public card.
    pub card: pb::MemberCard,
    /// The data directory.
    pub dir: PathBuf,
    /// The parsed configuration.
    pub config: Config,
    /// The TLS key and certificate.
    pub tls: TlsIdentity,
    /// The log, verified when opened.
    pub log: Log,
    /// The indicator catalogue and microdata schema releases are computed with.
    pub catalogue: Catalogue,
    /// Federation membership as derived from the logs held.
    membership: RwLock<Membership>,
    /// The members the membership trusts, kept in step with it: every answer's coverage reads
    /// them, and the membership changes only when a membership record is read.
    trusted: RwLock<std::sync::Arc<std::collections::BTreeMap<MemberId, pb::MemberCard>>>,
    /// TLS keys accepted from peers, kept in step with `membership`.
    pub pins: Pins,
    /// What this node knows of each peer.
    pub peers: peers::Registry,
    /// The indicator releases held, for queries.
    pub releases: crate::read_model::ReleaseIndex,
    /// Answers already computed, reused until a log grows or a member's freshness changes.
    pub answers: crate::read_model::AnswerCache,
    /// The artefact versions the logs held publish, with their states.
    pub document_index: crate::read_model::DocumentIndex,
    /// Policy documents, by SHA-256.
    pub blobs: crate::blobs::Blobs,
    /// Held by an ingest from its last check of what was released to the append of its records.
    pub publishing: std::sync::Mutex<()>,
    /// What the own log has released, for the one-exact-release rule.
    pub own_releases: crate::release::OwnReleases,
    _lock: DirLock,
}

impl Node {
    /// Takes the data directory and opens the store and log, checking every stored record
    /// against its origin's signed tree head (`log::Verify::CoveredByHead`).
    pub fn open(identity: Identity) -> Result<Self, OpenError> {
        Self::open_verifying(identity, log::Verify::CoveredByHead)
    }

    /// `open`, verifying stored logs as `verify` says (`metronode verify`: every signature).
    pub fn open_verifying(identity: Identity, verify: log::Verify) -> Result<Self, OpenError> {
        let (next_key, next_cert) = identity.next_tls_paths();
        let next = match next_key.exists() {
            true => {
                let loose = identity.config.keys.allow_loose_permissions;
                let tls = identity::load_tls(&next_key, &next_cert, loose)?;
                Some((Identity::card_of(&identity.config, &identity.key, &tls), tls))
            }
            false => None,
        };
        let Identity { dir, config, key, tls } = identity;
        let lock = store::lock_dir(&dir)?;
        let store =
            Store::open_with_cache(&dir.join(&config.store.path), config.store.cache_bytes)?
                .with_min_free(config.store.min_free_bytes);
        let card = Identity::card_of(&config, &key, &tls);
        // Foreign logs arrive with federation membership; until then only the own key is known.
        let own = config.member_id();
        let log = Log::open_verifying(store, own.clone(), key, verify)?;
        let dir_blobs = dir.join("blobs");
        let pins = Pins::counting(log.metrics().clone());
        let mut node = Self {
            card,
            dir,
            config,
            tls,
            log,
            catalogue: Catalogue::builtin(),
            membership: RwLock::new(Membership::new(own.clone())),
            trusted: Default::default(),
            pins,
            peers: peers::Registry::default(),
            releases: Default::default(),
            answers: Default::default(),
            document_index: Default::default(),
            blobs: crate::blobs::Blobs::open(&dir_blobs)
                .map_err(|source| store::Error::Io { path: dir_blobs.clone(), source })?,
            publishing: Default::default(),
            own_releases: Default::default(),
            _lock: lock,
        };
        // Membership comes from the logs, and other logs are verified with keys from it: start
        // from the own log and load every origin whose keys become known, until none is left.
        node.observe(&own, 0)?;
        if let Some(origin) = node.log.unloaded_origins()?.into_iter().next() {
            return Err(log::Error::UnknownOrigin(origin).into());
        }
        // A rotated TLS key replaces the current one once the membership in effect pins it.
        if let Some((card, tls)) = next {
            let pinned = node.trusted().get(&own).map(|c| c.tls_key_fingerprint.clone());
            if pinned.as_deref() == Some(card.tls_key_fingerprint.as_slice()) {
                for (from, to) in [
                    (&next_cert, node.dir.join(&node.config.keys.tls_cert)),
                    (&next_key, node.dir.join(&node.config.keys.tls_key)),
                ] {
                    std::fs::rename(from, &to).map_err(|source| identity::KeyFileError::Io {
                        path: to.clone(),
                        source,
                    })?;
                }
                tracing::info!("switched to the rotated TLS key, which the federation now pins");
                (node.card, node.tls) = (card, tls);
            } else {
                tracing::info!(
                    path = %next_key.display(),
                    "a rotated TLS key waits until the federation pins it"
                );
            }
        }
        Ok(node)
    }

    /// A snapshot of the membership.
    pub fn membership(&self) -> Membership {
        self.membership.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The members the membership in effect trusts (and those of the proposals this node made or
    /// approved before version 1), by id: a snapshot taken when the membership last changed.
    pub fn trusted(&self) -> std::sync::Arc<std::collections::BTreeMap<MemberId, pb::MemberCard>> {
        self.trusted.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The latest release per city, indicator and period among the records held (the index
    /// read on from where it stopped).
    pub fn releases(&self) -> std::sync::Arc<Vec<crate::aggregate::CityRelease>> {
        self.releases.releases(&self.log, |o| self.keys_of(o))
    }

    /// Every artefact version held, across the federation, with its state (the index read on
    /// from where it stopped).
    pub fn documents(&self) -> Vec<crate::read_model::Document> {
        self.document_index.documents(&self.log)
    }

    /// Every signing key known for a member (newest first).
    pub fn keys_of(&self, id: &MemberId) -> Vec<NodeId> {
        if id == self.log.own() {
            return vec![self.log.node_id()];
        }
        self.membership.read().unwrap_or_else(|p| p.into_inner()).keys_of(id)
    }

    /// Verifies every stored record once more (`metronode verify`'s check: each signature, and
    /// the bodies against the roots held), after the node serves: opening it checked the
    /// leaf hashes of the store's index against their origins' signed tree heads, and read no
    /// record under a head, so neither a signature nor a body the disk changed was seen there.
    /// A log that does not verify is logged with its first bad record and counted in
    /// `metronode_stored_logs_damaged`. Returns the logs damaged.
    pub fn check_every_signature(&self) -> usize {
        let mut damaged = 0;
        for (origin, size, root) in self.log.origins() {
            let keys = self.keys_of(&origin);
            if let Err(e) = self.log.check_every_signature(&origin, &keys, size, &root) {
                tracing::error!(
                    %origin,
                    error = %e,
                    "a stored log does not verify; `metronode verify` names its first bad record"
                );
                damaged += 1;
            }
        }
        self.log.metrics().logs_damaged(damaged);
        damaged
    }

    /// Reads `origin`'s records from `from` on into the membership; loads stored logs of
    /// origins that became trusted; keeps the TLS pins in step.
    pub fn observe(&self, origin: &MemberId, from: u64) -> Result<(), log::Error> {
        let mut queue = vec![(origin.clone(), from)];
        while let Some((origin, from)) = queue.pop() {
            let payloads = self.log.membership_payloads(&origin, from)?;
            {
                let mut m = self.membership.write().unwrap_or_else(|p| p.into_inner());
                for (_, p) in &payloads {
                    if m.observe(&origin, p) {
                        tracing::info!(
                            version = m.active().map(|a| a.body.version),
                            "federation manifest in effect"
                        );
                    }
                }
            }
            for unloaded in self.log.unloaded_origins()? {
                let keys = self.keys_of(&unloaded);
                if !keys.is_empty() {
                    self.log.load_origin(&unloaded, &keys)?;
                    queue.push((unloaded, 0));
                }
            }
        }
        let m = self.membership.read().unwrap_or_else(|p| p.into_inner());
        *self.trusted.write().unwrap_or_else(|p| p.into_inner()) = std::sync::Arc::new(m.trusted());
        self.pins.set(PinSet {
            current: m.tls_pins(),
            former: m.former_pins(),
            rotating: m.rotating_pins(),
        });
        Ok(())
    }
}

impl Identity {
    fn card_of(config: &Config, key: &NodeKey, tls: &TlsIdentity) -> pb::MemberCard {
        let id = config.member_id();
        pb::MemberCard {
            id: id.to_string(),
            name: config.node.name.clone(),
            country: id.country().to_owned(),
            signing_public_key: key.id().to_bytes().to_vec(),
            tls_key_fingerprint: tls.fingerprint.to_vec(),
            endpoint: config.node.endpoint.clone(),
        }
    }
}

/// Creates a data directory: the commented configuration, a signing key and a TLS key pair with
/// its certificate. Keys are owner-only; an existing configuration is never overwritten.
/// Returns the new public signing key.
pub fn init_dir(
    dir: &Path,
    id: &MemberId,
    name: &str,
    listen: SocketAddr,
    federation_listen: SocketAddr,
    endpoint: Option<String>,
) -> anyhow::Result<NodeId> {
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let endpoint = endpoint.unwrap_or_else(|| format!("https://{federation_listen}"));
    let config_path = dir.join(config::FILE_NAME);
    if config_path.exists() {
        bail!(
            "{}: already exists; refusing to overwrite an initialised node",
            config_path.display()
        );
    }
    let text = config::template(id, name, listen, federation_listen, &endpoint);
    // Parse what is about to be written, so `init` never leaves a directory `serve` refuses.
    let cfg = Config::parse(&text, &config_path)?;
    let key = NodeKey::generate();
    let tls = TlsIdentity::generate(id)?;

    let keys_dir = dir.join("keys");
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&keys_dir)
        .with_context(|| format!("couldn't create {}", keys_dir.display()))?;
    identity::write_signing_key(&dir.join(&cfg.keys.signing_key), &key)?;
    identity::write_private(&dir.join(&cfg.keys.tls_key), tls.key_pem().as_bytes())?;
    let cert = dir.join(&cfg.keys.tls_cert);
    fs::write(&cert, &tls.cert_pem)
        .with_context(|| format!("couldn't write {}", cert.display()))?;
    // The configuration comes last: a directory without it is not a node yet.
    fs::write(&config_path, text)
        .with_context(|| format!("couldn't write {}", config_path.display()))?;
    Ok(key.id())
}
