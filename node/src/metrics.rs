//! Prometheus metrics of the node (`metronode_*`), in one process-wide registry, encoded in the
//! text exposition format for `/metrics`.

use std::sync::OnceLock;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: String,
}

struct Metrics {
    registry: Registry,
    peer_refused: Family<Reason, Counter>,
    records_replicated: Counter,
    records_rejected: Counter,
    evidence: Family<Kind, Counter>,
    sync_failures: Counter,
}

fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| {
        let mut registry = Registry::with_prefix("metronode");
        let peer_refused = Family::<Reason, Counter>::default();
        registry.register(
            "peer_refused",
            "Peers refused at the TLS handshake, by reason",
            peer_refused.clone(),
        );
        let records_replicated = Counter::default();
        registry.register(
            "records_replicated",
            "Records of other members verified and stored",
            records_replicated.clone(),
        );
        let records_rejected = Counter::default();
        registry.register(
            "records_rejected",
            "Records received from peers that failed verification",
            records_rejected.clone(),
        );
        let evidence = Family::<Kind, Counter>::default();
        registry.register(
            "equivocation_evidence",
            "Pieces of equivocation evidence kept, by kind",
            evidence.clone(),
        );
        let sync_failures = Counter::default();
        registry.register(
            "sync_failures",
            "Failed synchronisation attempts with peers",
            sync_failures.clone(),
        );
        Metrics {
            registry,
            peer_refused,
            records_replicated,
            records_rejected,
            evidence,
            sync_failures,
        }
    })
}

/// Counts a peer refused at the handshake.
pub fn peer_refused(reason: &str) {
    metrics().peer_refused.get_or_create(&Reason { reason: reason.into() }).inc();
}

/// Counts replicated and rejected records.
pub fn records(accepted: u64, rejected: u64) {
    metrics().records_replicated.inc_by(accepted);
    metrics().records_rejected.inc_by(rejected);
}

/// Counts a new piece of evidence.
pub fn evidence(kind: &str) {
    metrics().evidence.get_or_create(&Kind { kind: kind.into() }).inc();
}

/// Counts a failed sync attempt.
pub fn sync_failed() {
    metrics().sync_failures.inc();
}

/// The registry in the Prometheus text format.
pub fn render() -> String {
    let mut out = String::new();
    // Encoding into a String cannot fail.
    let _ = encode(&mut out, &metrics().registry);
    out
}
