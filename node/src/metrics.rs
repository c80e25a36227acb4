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
struct OriginKind {
    origin: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerReason {
    peer: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerCode {
    peer: String,
    code: String,
}

struct Metrics {
    registry: Registry,
    peer_refused: Family<Reason, Counter>,
    records_replicated: Counter,
    records_rejected: Family<PeerReason, Counter>,
    heads_refused: Family<PeerReason, Counter>,
    evidence: Family<OriginKind, Counter>,
    sync_failures: Family<PeerCode, Counter>,
    clock_skew: Family<OriginKind, Counter>,
}

fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| {
        let mut registry = Registry::with_prefix("metronode");
        let peer_refused = Family::<Reason, Counter>::default();
        registry.register(
            "peer_refused",
            "Peers refused at the TLS handshake or at a call, by reason",
            peer_refused.clone(),
        );
        let records_replicated = Counter::default();
        registry.register(
            "records_replicated",
            "Records of other members verified and stored",
            records_replicated.clone(),
        );
        let records_rejected = Family::<PeerReason, Counter>::default();
        registry.register(
            "records_rejected",
            "Records (and documents) received from peers and refused, by peer and reason",
            records_rejected.clone(),
        );
        let heads_refused = Family::<PeerReason, Counter>::default();
        registry.register(
            "tree_heads_refused",
            "Tree heads received from peers and refused, by peer and reason",
            heads_refused.clone(),
        );
        let evidence = Family::<OriginKind, Counter>::default();
        registry.register(
            "equivocation_evidence",
            "Pieces of equivocation evidence kept, by origin and kind",
            evidence.clone(),
        );
        let sync_failures = Family::<PeerCode, Counter>::default();
        registry.register(
            "sync_failures",
            "Failed synchronisation attempts with peers, by peer and gRPC status code",
            sync_failures.clone(),
        );
        let clock_skew = Family::<OriginKind, Counter>::default();
        registry.register(
            "clock_skew_records",
            "Records of other members kept although dated far ahead of this node's clock \
             (kind=\"ahead\") or before the record they follow (kind=\"backwards\"), by origin",
            clock_skew.clone(),
        );
        Metrics {
            registry,
            peer_refused,
            records_replicated,
            records_rejected,
            heads_refused,
            evidence,
            sync_failures,
            clock_skew,
        }
    })
}

/// Counts a peer refused at the handshake or at a call.
pub fn peer_refused(reason: &str) {
    metrics().peer_refused.get_or_create(&Reason { reason: reason.into() }).inc();
}

/// Counts records of other members verified and stored.
pub fn replicated(accepted: u64) {
    metrics().records_replicated.inc_by(accepted);
}

/// Counts a record or document from `peer` refused for `reason`.
pub fn record_rejected(peer: &str, reason: &str) {
    let labels = PeerReason { peer: peer.into(), reason: reason.into() };
    metrics().records_rejected.get_or_create(&labels).inc();
}

/// Counts a tree head from `peer` refused for `reason`.
pub fn head_refused(peer: &str, reason: &str) {
    let labels = PeerReason { peer: peer.into(), reason: reason.into() };
    metrics().heads_refused.get_or_create(&labels).inc();
}

/// Counts a new piece of evidence against `origin`.
pub fn evidence(origin: &str, kind: &str) {
    let labels = OriginKind { origin: origin.into(), kind: kind.into() };
    metrics().evidence.get_or_create(&labels).inc();
}

/// Counts a failed sync attempt with `peer`, by the gRPC status code it ended with.
pub fn sync_failed(peer: &str, code: &str) {
    let labels = PeerCode { peer: peer.into(), code: code.into() };
    metrics().sync_failures.get_or_create(&labels).inc();
}

/// Counts `n` records of `origin` kept with a skewed date: `kind` is "ahead" or "backwards".
pub fn clock_skew(origin: &str, kind: &str, n: u64) {
    let labels = OriginKind { origin: origin.into(), kind: kind.into() };
    metrics().clock_skew.get_or_create(&labels).inc_by(n);
}

/// The registry in the Prometheus text format.
pub fn render() -> String {
    let mut out = String::new();
    // Encoding into a String cannot fail.
    let _ = encode(&mut out, &metrics().registry);
    out
}
