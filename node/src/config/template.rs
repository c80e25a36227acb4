//! The commented `node.toml` that `metronode init` writes: the node's own values, every other
//! setting at its default, written from the `Default` impls.

use super::*;

/// The commented configuration `metronode init` writes: the node's own values, and every other
/// setting at the default the parser applies (written from the `Default` impls, so the two
/// cannot drift apart).
pub fn template(
    id: &MemberId,
    name: &str,
    listen: SocketAddr,
    federation_listen: SocketAddr,
    endpoint: &str,
) -> String {
    let http_listen = SocketAddr::new(listen.ip(), if listen.port() == 0 { 0 } else { 7480 });
    let name = toml::Value::String(name.to_owned());
    let endpoint = toml::Value::String(endpoint.to_owned());
    // Every other value is the default the parser applies, written from it.
    let text = |v: &str| toml::Value::String(v.to_owned());
    let path = |p: &std::path::Path| text(&p.display().to_string());
    let (grpc, fed, http) =
        (GrpcConfig::default(), FederationConfig::default(), HttpConfig::default());
    let (artefacts, keys, store) =
        (ArtefactsConfig::default(), KeysConfig::default(), StoreConfig::default());
    let (ingest, logging, disclosure) =
        (IngestConfig::default(), LoggingConfig::default(), DisclosureConfig::default());
    let log_format = match logging.format {
        LogFormat::Auto => "auto",
        LogFormat::Json => "json",
        LogFormat::Text => "text",
    };
    format!(
        r#"# metronode node configuration, written by `metronode init`.
# Paths are relative to this file's directory. Secrets are files, never values here.

[node]
# Member id: the city's UN/LOCODE. It names this node's log; do not change it.
id = "{id}"
# The city's name as people know it.
name = {name}
# The https:// address peers use to reach this node's federation listener (mutual TLS).
endpoint = {endpoint}

[grpc]
# The local gRPC port: data officers' Publisher, Analytics, health and reflection.
# Keep it on loopback or a private network. Port 0 picks a free port (written to grpc.addr).
listen = "{listen}"
# Seconds shutdown waits for in-flight calls before cutting them off.
drain_timeout_secs = {grpc_drain}

[federation]
# The mutual-TLS listener peers connect to; only current members' TLS keys are accepted.
listen = "{federation_listen}"
# Milliseconds between anti-entropy rounds, and per call to a peer.
sync_interval_ms = {fed_interval}
peer_timeout_ms = {fed_timeout}
# Answers report a member as stale after this long without a successful sync.
stale_after_ms = {fed_stale}
# Members synced per round, in turn: each is reached every ceil((members - 1) / this) rounds,
# and records also travel through the others. Keep stale_after_ms above that many intervals.
peers_per_round = {fed_per_round}
# A member whose log holds evidence of misbehaviour (equivocation, a fork, an inconsistent tree
# head) is left out of metropolitan values and named in each answer's coverage; true keeps it
# in, and every answer says so.
include_members_with_evidence = {fed_evidence}

[http]
# Dashboard, /api/v1 (JSON, CSV, SDMX-CSV), /metrics, /healthz, /readyz. Port 0: a free port,
# written to http.addr.
listen = "{http_listen}"
# Requests from loopback need no token; others need one of the tokens below.
open_on_loopback = {http_loopback}
# Anyone may read the dashboard and API without a token (they serve published statistics only).
public = {http_public}
# Analysts' bearer tokens, hashed (make one with `metronode token --name NAME`):
# [[http.tokens]]
# name = "analyst-dublin"
# sha256 = "…"

[artefacts]
# Largest policy document accepted (published here or fetched from a peer), in bytes.
max_bytes = {artefacts_max}

[keys]
# ed25519 signing key (PKCS#8 PEM). Must be owner-only (chmod 600).
signing_key = {keys_signing}
# TLS private key (PKCS#8 PEM, owner-only) and its self-signed certificate.
tls_key = {keys_tls_key}
tls_cert = {keys_tls_cert}
# Accept key files that others can read. Leave false unless the file system has no permissions.
allow_loose_permissions = {keys_loose}

[store]
# The sled database directory.
path = {store_path}
# Bytes kept free on the store's file system: below this, appends are refused as "disk full"
# while reads go on (sled cannot recover from running out of space without a restart).
min_free_bytes = {store_min_free}
# Bytes of sled's page cache.
cache_bytes = {store_cache}

[ingest]
# The longest line of a microdata file, in bytes; a longer one is refused, naming its line.
max_line_bytes = {ingest_max_line}

[logging]
# A tracing filter directive; RUST_LOG overrides it.
filter = {log_filter}
# auto (JSON unless stderr is a terminal), json or text.
format = "{log_format}"

[disclosure]
# Cells with fewer respondents than this in their base are suppressed.
min_base = {min_base}
# Cells with fewer respondents than this are published flagged "u" (low reliability).
flag_base = {flag_base}
# Cells with 1 to min_count-1 respondents inside or outside the numerator are suppressed.
min_count = {min_count}

# Differential privacy, per survey dataset. Without a section, a dataset gets disclosure
# control only. Uncomment to add discrete Gaussian noise (rho-zCDP) to the survey releases:
# [privacy.survey]
# mechanism = "discrete_gaussian"   # or "discrete_laplace" (budget in epsilon)
# per_release = "0.5"               # rho one release spends
# budget = "2"                      # rho per period, across releases; refused beyond
# weight_clip = 2000                # largest weight one respondent may carry
"#,
        grpc_drain = grpc.drain_timeout_secs,
        fed_interval = fed.sync_interval_ms,
        fed_timeout = fed.peer_timeout_ms,
        fed_stale = fed.stale_after_ms,
        fed_per_round = fed.peers_per_round,
        fed_evidence = fed.include_members_with_evidence,
        http_loopback = http.open_on_loopback,
        http_public = http.public,
        artefacts_max = artefacts.max_bytes,
        keys_signing = path(&keys.signing_key),
        keys_tls_key = path(&keys.tls_key),
        keys_tls_cert = path(&keys.tls_cert),
        keys_loose = keys.allow_loose_permissions,
        store_path = path(&store.path),
        store_min_free = store.min_free_bytes,
        store_cache = store.cache_bytes,
        ingest_max_line = ingest.max_line_bytes,
        log_filter = text(&logging.filter),
        min_base = disclosure.min_base,
        flag_base = disclosure.flag_base,
        min_count = disclosure.min_count,
    )
}
