//! The node's configuration file (`node.toml`): structure, defaults, parsing with located errors,
//! and the commented template `metronode init` writes.
//!
//! Parsing is a pure function of the file's text; paths inside are relative to the data directory.

use std::{
    collections::BTreeMap,
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::{
    anonymise::{Mechanism, NoiseParams, Policy},
    budget::Milli,
    catalogue::Catalogue,
    identity::MemberId,
};

mod parse;
mod template;

pub use template::template;

/// The configuration file's name inside a data directory.
pub const FILE_NAME: &str = "node.toml";

/// Prefix of the environment variables that override one configuration field each:
/// `METRONODE_<SECTION>__<FIELD>` (sections and fields separated by two underscores), for
/// example `METRONODE_FEDERATION__SYNC_INTERVAL_MS=1000` or
/// `METRONODE_PRIVACY__SURVEY__BUDGET=2`. A value is read as a TOML number, boolean or array
/// when it is one, and as a string otherwise (`0.5` stays the string "0.5").
pub const ENV_PREFIX: &str = "METRONODE_";

/// A bad configuration: what is wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An environment override (`METRONODE_<SECTION>__<FIELD>`) does not fit the schema.
    #[error("environment variable {var} (overriding {}): {message}", path.display())]
    Env {
        /// The file the variable overrides.
        path: PathBuf,
        /// The variable, or the variables, involved.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A value parsed but is not acceptable.
    #[error("{}: field `{field}`: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The dotted field name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who this node is.
    pub node: NodeConfig,
    /// The gRPC listener.
    #[serde(default)]
    pub grpc: GrpcConfig,
    /// The federation listener and sync.
    #[serde(default)]
    pub federation: FederationConfig,
    /// The HTTP dashboard, API, metrics and probes.
    #[serde(default)]
    pub http: HttpConfig,
    /// Policy artefact documents.
    #[serde(default)]
    pub artefacts: ArtefactsConfig,
    /// Key file locations.
    #[serde(default)]
    pub keys: KeysConfig,
    /// Where the store lives.
    #[serde(default)]
    pub store: StoreConfig,
    /// Log output.
    #[serde(default)]
    pub logging: LoggingConfig,
    /// Microdata files.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Statistical disclosure control thresholds.
    #[serde(default)]
    pub disclosure: DisclosureConfig,
    /// Differential privacy, per dataset; a dataset not listed gets disclosure control only.
    #[serde(default)]
    pub privacy: BTreeMap<String, PrivacyConfig>,
}

/// Statistical disclosure control thresholds (defaults from common statistical-office practice).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureConfig {
    /// Cells with fewer respondents in the base are suppressed.
    #[serde(default = "default_min_base")]
    pub min_base: u64,
    /// Cells with fewer respondents are published flagged `u` (low reliability).
    #[serde(default = "default_flag_base")]
    pub flag_base: u64,
    /// 1..min_count-1 respondents inside or outside a numerator suppress the cell.
    #[serde(default = "default_min_count")]
    pub min_count: u64,
}

/// Differential privacy for one dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// `discrete_gaussian` (budget in rho) or `discrete_laplace` (budget in epsilon).
    #[serde(default = "default_mechanism")]
    pub mechanism: String,
    /// Budget one release of the dataset spends, a decimal with up to 3 decimals ("0.5").
    #[serde(deserialize_with = "decimal_text")]
    pub per_release: String,
    /// Total budget per period, same unit ("2", or the integer 2).
    #[serde(deserialize_with = "decimal_text")]
    pub budget: String,
    /// Largest weight one respondent may carry: bounds one person's contribution.
    pub weight_clip: u64,
}

/// A decimal kept as written: a string ("0.5"), or an integer (2, as an environment override
/// gives it). Floats are refused, so no budget is ever rounded by a binary fraction.
fn decimal_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Str(String),
        Int(u64),
    }
    Ok(
        match Text::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a decimal as a string (\"0.5\") or an integer")
        })? {
            Text::Str(s) => s,
            Text::Int(i) => i.to_string(),
        },
    )
}

/// Who this node is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Member id: the city's UN/LOCODE.
    pub id: String,
    /// The city's name as people know it.
    pub name: String,
    /// The address peers use to reach this node's gRPC port.
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
}

/// The gRPC listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcConfig {
    /// Address and port to listen on; port 0 picks a free one (written to `grpc.addr`).
    #[serde(default = "default_grpc_listen")]
    pub listen: SocketAddr,
    /// How long shutdown waits for in-flight calls before cutting them off.
    #[serde(default = "default_drain_secs")]
    pub drain_timeout_secs: u64,
}

/// The HTTP listener: dashboard, `/api/v1`, `/metrics`, `/healthz`, `/readyz`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address and port; port 0 picks a free one (written to `http.addr`).
    #[serde(default = "default_http_listen")]
    pub listen: SocketAddr,
    /// Requests from loopback addresses need no token.
    #[serde(default = "default_true")]
    pub open_on_loopback: bool,
    /// Anyone may read without a token: the dashboard and API serve only published, anonymised
    /// statistics, so a city may choose to make them public (the container demo does).
    #[serde(default)]
    pub public: bool,
    /// Analysts' bearer tokens, stored as SHA-256 hashes (`metronode token` makes one).
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
}

/// One analyst's bearer token, hashed.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds it; written to the audit log.
    pub name: String,
    /// Hex SHA-256 of the token.
    pub sha256: String,
}

impl fmt::Debug for HttpConfig {
    /// Token names only: the hashes stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("listen", &self.listen)
            .field("open_on_loopback", &self.open_on_loopback)
            .field("public", &self.public)
            .field("tokens", &self.tokens.iter().map(|t| t.name.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

fn default_http_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7480))
}
fn default_true() -> bool {
    true
}
impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: default_http_listen(),
            open_on_loopback: true,
            public: false,
            tokens: Vec::new(),
        }
    }
}

/// Policy artefact documents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtefactsConfig {
    /// Largest document accepted, published or fetched, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
}

fn default_max_bytes() -> u64 {
    64 * 1024 * 1024
}
impl Default for ArtefactsConfig {
    fn default() -> Self {
        Self { max_bytes: default_max_bytes() }
    }
}

/// The mTLS listener peers connect to, and the anti-entropy worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    /// Address and port of the mTLS listener (the card's endpoint points here).
    #[serde(default = "default_federation_listen")]
    pub listen: SocketAddr,
    /// Milliseconds between sync rounds.
    #[serde(default = "default_sync_interval_ms")]
    pub sync_interval_ms: u64,
    /// Milliseconds a call to a peer may take.
    #[serde(default = "default_peer_timeout_ms")]
    pub peer_timeout_ms: u64,
    /// Milliseconds without a successful sync after which answers report a member as stale.
    #[serde(default = "default_stale_after_ms")]
    pub stale_after_ms: u64,
    /// Members synced per round, taken in turn from a per-node order: every member is reached
    /// once every ceil((members - 1) / peers_per_round) rounds, and records spread through
    /// whichever members hold them (gossip). A federation no larger than this plus one syncs
    /// every member every round.
    #[serde(default = "default_peers_per_round")]
    pub peers_per_round: u32,
    /// Keep a member whose log holds evidence of misbehaviour (equivocation, a fork, an
    /// inconsistent tree head) in metropolitan values; every answer then names it. Default:
    /// excluded, and named in the coverage with the evidence.
    #[serde(default)]
    pub include_members_with_evidence: bool,
}

fn default_stale_after_ms() -> u64 {
    // Unwrap safety: a positive constant.
    u64::try_from(crate::aggregate::STALE_AFTER_MS).expect("positive")
}

fn default_federation_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7401))
}
fn default_sync_interval_ms() -> u64 {
    5000
}
fn default_peer_timeout_ms() -> u64 {
    5000
}
fn default_peers_per_round() -> u32 {
    8
}
impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            listen: default_federation_listen(),
            sync_interval_ms: default_sync_interval_ms(),
            peer_timeout_ms: default_peer_timeout_ms(),
            stale_after_ms: default_stale_after_ms(),
            peers_per_round: default_peers_per_round(),
            include_members_with_evidence: false,
        }
    }
}

/// Key file locations, relative to the data directory.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// The ed25519 signing key (PKCS#8 PEM, mode 0600).
    #[serde(default = "default_signing_key")]
    pub signing_key: PathBuf,
    /// The TLS private key (PKCS#8 PEM, mode 0600).
    #[serde(default = "default_tls_key")]
    pub tls_key: PathBuf,
    /// The TLS certificate (PEM).
    #[serde(default = "default_tls_cert")]
    pub tls_cert: PathBuf,
    /// Accept key files that others can read. Only for file systems without Unix permissions.
    #[serde(default)]
    pub allow_loose_permissions: bool,
}

/// Where the store lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The sled directory, relative to the data directory.
    #[serde(default = "default_store_path")]
    pub path: PathBuf,
    /// Bytes kept free on the store's file system: below this, appends are refused as "disk
    /// full" (reads go on) before sled itself runs out of space. 0 turns the check off.
    #[serde(default = "default_min_free_bytes")]
    pub min_free_bytes: u64,
    /// Bytes of sled's page cache (sled's own default is 1 GiB, which a node with a few hundred
    /// peers' logs fills with pages it rarely reads again).
    #[serde(default = "default_cache_bytes")]
    pub cache_bytes: u64,
}

/// Microdata files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// The longest line of a microdata file, in bytes: a longer one is refused, naming its
    /// line, before it fills memory (a file without line ends). The bound is on physical lines:
    /// a quote never closed across many short lines is not caught by it.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: u64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self { max_line_bytes: default_max_line_bytes() }
    }
}

fn default_max_line_bytes() -> u64 {
    crate::ingest::MAX_LINE_BYTES
}

/// Log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// A tracing filter directive; `RUST_LOG` overrides it.
    #[serde(default = "default_log_filter")]
    pub filter: String,
    /// `auto` (JSON unless stderr is a terminal), `json` or `text`.
    #[serde(default)]
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when stderr is not a terminal, text otherwise.
    #[default]
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

fn default_min_base() -> u64 {
    30
}
fn default_flag_base() -> u64 {
    50
}
fn default_min_count() -> u64 {
    5
}
fn default_mechanism() -> String {
    "discrete_gaussian".into()
}
impl Default for DisclosureConfig {
    fn default() -> Self {
        Self {
            min_base: default_min_base(),
            flag_base: default_flag_base(),
            min_count: default_min_count(),
        }
    }
}

fn default_endpoint() -> String {
    format!("https://{}", default_federation_listen())
}
fn default_grpc_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7400))
}
fn default_drain_secs() -> u64 {
    10
}
fn default_signing_key() -> PathBuf {
    "keys/signing.key".into()
}
fn default_tls_key() -> PathBuf {
    "keys/tls.key".into()
}
fn default_tls_cert() -> PathBuf {
    "keys/tls.crt".into()
}
fn default_store_path() -> PathBuf {
    "store".into()
}
fn default_min_free_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_cache_bytes() -> u64 {
    crate::store::DEFAULT_CACHE_BYTES
}
fn default_log_filter() -> String {
    "info,metronode=info".into()
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self { listen: default_grpc_listen(), drain_timeout_secs: default_drain_secs() }
    }
}
impl Default for KeysConfig {
    fn default() -> Self {
        Self {
            signing_key: default_signing_key(),
            tls_key: default_tls_key(),
            tls_cert: default_tls_cert(),
            allow_loose_permissions: false,
        }
    }
}
impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            path: default_store_path(),
            min_free_bytes: default_min_free_bytes(),
            cache_bytes: default_cache_bytes(),
        }
    }
}
impl Default for LoggingConfig {
    fn default() -> Self {
        Self { filter: default_log_filter(), format: LogFormat::Auto }
    }
}

impl fmt::Debug for KeysConfig {
    /// Shows where the keys are, which is not secret, and nothing read from them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeysConfig")
            .field("signing_key", &self.signing_key)
            .field("tls_key", &self.tls_key)
            .field("tls_cert", &self.tls_cert)
            .field("allow_loose_permissions", &self.allow_loose_permissions)
            .finish()
    }
}

// === impl Config ===

#[cfg(test)]
mod tests;
