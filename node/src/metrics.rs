//! Prometheus metrics of the node (`metronode_*`): counters and latency histograms in one
//! registry per node (`Metrics`, held by its log, so nodes sharing a process, as in the demo,
//! count apart), and the gauges of the node's state (peers, logs, budget, disk, build) read at
//! each scrape; encoded in the OpenMetrics text format for `/metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// Kinds of evidence against a log, each counted from zero for every member.
pub const EVIDENCE_KINDS: &[&str] = &["equivocation", "fork", "inconsistent-head", "split-view"];

/// Why a record (or document) from a peer is refused: every reason, counted from zero per peer.
pub const REJECTION_REASONS: &[&str] = &[
    "envelope",
    "signature",
    "body",
    "origin",
    "sequence",
    "chain",
    "replayed",
    "fork",
    "document",
];

/// Why a tree head from a peer is refused, counted from zero per peer.
pub const HEAD_REFUSALS: &[&str] = &["rolled_back", "invalid"];

/// The kinds of skewed record dates, counted from zero per origin.
pub const SKEW_KINDS: &[&str] = &["ahead", "backwards"];

/// The gRPC status codes a failed sync ends with, counted from zero per peer.
pub const SYNC_CODES: &[&str] = &[
    "cancelled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// The content type of `/metrics`: OpenMetrics text, what `render` writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every reason a peer is refused for, each counted from zero at start.
pub const REFUSAL_REASONS: &[&str] = &[
    "no_certificate",
    "bad_certificate",
    "malformed",
    "not_member",
    "former_member",
    "expired",
    "not_yet_valid",
    "too_many_calls",
];

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

/// One node's counters and histograms.
pub struct Metrics {
    registry: Registry,
    peer_refused: Family<Reason, Counter>,
    records_replicated: Counter,
    records_rejected: Family<PeerReason, Counter>,
    heads_refused: Family<PeerReason, Counter>,
    evidence: Family<OriginKind, Counter>,
    sync_failures: Family<PeerCode, Counter>,
    clock_skew: Family<OriginKind, Counter>,
    ingest_seconds: Histogram,
    query_seconds: Histogram,
    logs_damaged: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    /// Every counter at zero (those keyed by a peer get their series at the first scrape that
    /// knows the peer).
    fn default() -> Self {
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
        for reason in REFUSAL_REASONS {
            let _ = peer_refused.get_or_create(&Reason { reason: (*reason).into() });
        }
        let ingest_seconds = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register(
            "ingest_duration_seconds",
            "Time to ingest a microdata file and publish its releases (dry runs included)",
            ingest_seconds.clone(),
        );
        let query_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "query_duration_seconds",
            "Time to answer a metropolitan query (HTTP, dashboard or gRPC), cached or not",
            query_seconds.clone(),
        );
        let logs_damaged = Gauge::default();
        registry.register(
            "stored_logs_damaged",
            "Stored logs whose records failed the check of every signature run after start \
             (metronode verify names the first bad record)",
            logs_damaged.clone(),
        );
        Metrics {
            registry,
            logs_damaged,
            ingest_seconds,
            query_seconds,
            peer_refused,
            records_replicated,
            records_rejected,
            heads_refused,
            evidence,
            sync_failures,
            clock_skew,
        }
    }
}

impl Metrics {
    /// Sets the number of stored logs the check of every signature after start found damaged.
    pub fn logs_damaged(&self, n: usize) {
        self.logs_damaged.set(n as i64);
    }

    /// Counts a peer refused at the handshake or at a call.
    pub fn peer_refused(&self, reason: &str) {
        self.peer_refused.get_or_create(&Reason { reason: reason.into() }).inc();
    }

    /// Counts records of other members verified and stored.
    pub fn replicated(&self, accepted: u64) {
        self.records_replicated.inc_by(accepted);
    }

    /// Counts a record or document from `peer` refused for `reason`.
    pub fn record_rejected(&self, peer: &str, reason: &str) {
        let labels = PeerReason { peer: peer.into(), reason: reason.into() };
        self.records_rejected.get_or_create(&labels).inc();
    }

    /// Counts a tree head from `peer` refused for `reason`.
    pub fn head_refused(&self, peer: &str, reason: &str) {
        let labels = PeerReason { peer: peer.into(), reason: reason.into() };
        self.heads_refused.get_or_create(&labels).inc();
    }

    /// Counts a new piece of evidence against `origin`.
    pub fn evidence(&self, origin: &str, kind: &str) {
        let labels = OriginKind { origin: origin.into(), kind: kind.into() };
        self.evidence.get_or_create(&labels).inc();
    }

    /// Counts a failed sync attempt with `peer`, by the gRPC status code it ended with.
    pub fn sync_failed(&self, peer: &str, code: &str) {
        let labels = PeerCode { peer: peer.into(), code: code.into() };
        self.sync_failures.get_or_create(&labels).inc();
    }

    /// Counts `n` records of `origin` kept with a skewed date: `kind` is "ahead" or "backwards".
    pub fn clock_skew(&self, origin: &str, kind: &str, n: u64) {
        let labels = OriginKind { origin: origin.into(), kind: kind.into() };
        self.clock_skew.get_or_create(&labels).inc_by(n);
    }

    /// Records how long an ingest took.
    pub fn ingest_took(&self, seconds: f64) {
        self.ingest_seconds.observe(seconds);
    }

    /// Records how long a query took.
    pub fn query_took(&self, seconds: f64) {
        self.query_seconds.observe(seconds);
    }

    /// This node's counters and histograms in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// One peer's state, as a scrape sees it.
#[derive(Debug, Clone, Default)]
pub struct PeerGauge {
    /// Member id.
    pub peer: String,
    /// Whether the last call to it succeeded.
    pub reachable: bool,
    /// Seconds since the last successful sync, if any.
    pub since_sync_seconds: Option<f64>,
    /// Records it reported that this node does not hold yet.
    pub lag: u64,
}

/// One node's state at a scrape: the gauges.
#[derive(Debug, Clone, Default)]
pub struct NodeGauges {
    /// This node's member id.
    pub member: String,
    /// Every other member.
    pub peers: Vec<PeerGauge>,
    /// Records held per origin.
    pub records: Vec<(String, u64)>,
    /// Privacy budget per (dataset, period): total and left, in the mechanism's unit.
    pub budgets: Vec<(String, String, f64, f64)>,
    /// Bytes free on the data directory's file system.
    pub disk_free_bytes: Option<u64>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Peer {
    peer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Origin {
    origin: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DatasetPeriod {
    dataset: String,
    period: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Build {
    version: String,
    member: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

impl Metrics {
    /// The node's counters and histograms followed by its gauges, in one exposition.
    pub fn render_node(&self, node: &NodeGauges) -> String {
        // Every series keyed by a member, from zero: a rate or an alert needs no first event.
        for p in &node.peers {
            let peer = || p.peer.clone();
            for kind in EVIDENCE_KINDS {
                let _ = self
                    .evidence
                    .get_or_create(&OriginKind { origin: peer(), kind: (*kind).into() });
            }
            for kind in SKEW_KINDS {
                let _ = self
                    .clock_skew
                    .get_or_create(&OriginKind { origin: peer(), kind: (*kind).into() });
            }
            for reason in REJECTION_REASONS {
                let labels = PeerReason { peer: peer(), reason: (*reason).into() };
                let _ = self.records_rejected.get_or_create(&labels);
            }
            for reason in HEAD_REFUSALS {
                let labels = PeerReason { peer: peer(), reason: (*reason).into() };
                let _ = self.heads_refused.get_or_create(&labels);
            }
            for code in SYNC_CODES {
                let _ = self
                    .sync_failures
                    .get_or_create(&PeerCode { peer: peer(), code: (*code).into() });
            }
        }
        let mut registry = Registry::with_prefix("metronode");
        let build = Family::<Build, Gauge>::default();
        registry.register(
            "build_info",
            "The node's version and member id (always 1)",
            build.clone(),
        );
        build
            .get_or_create(&Build {
                version: env!("CARGO_PKG_VERSION").into(),
                member: node.member.clone(),
            })
            .set(1);
        let reachable = Family::<Peer, Gauge>::default();
        registry.register(
            "peer_reachable",
            "Whether the last call to the member succeeded (1) or not (0)",
            reachable.clone(),
        );
        let since = Family::<Peer, FloatGauge>::default();
        registry.register(
            "peer_last_sync_age_seconds",
            "Seconds since the last successful sync with the member (absent: never)",
            since.clone(),
        );
        let lag = Family::<Peer, Gauge>::default();
        registry.register(
            "peer_lag_records",
            "Records the member reported that this node does not hold yet",
            lag.clone(),
        );
        for p in &node.peers {
            let label = Peer { peer: p.peer.clone() };
            reachable.get_or_create(&label).set(i64::from(p.reachable));
            if let Some(s) = p.since_sync_seconds {
                since.get_or_create(&label).set(s);
            }
            lag.get_or_create(&label).set(i64::try_from(p.lag).unwrap_or(i64::MAX));
        }
        let records = Family::<Origin, Gauge>::default();
        registry.register("log_records", "Records held of each origin's log", records.clone());
        for (origin, n) in &node.records {
            records
                .get_or_create(&Origin { origin: origin.clone() })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        let total = Family::<DatasetPeriod, FloatGauge>::default();
        registry.register(
            "privacy_budget",
            "Privacy budget of a dataset and period, in the mechanism's unit",
            total.clone(),
        );
        let left = Family::<DatasetPeriod, FloatGauge>::default();
        registry.register("privacy_budget_left", "Privacy budget not yet spent", left.clone());
        for (dataset, period, t, l) in &node.budgets {
            let label = DatasetPeriod { dataset: dataset.clone(), period: period.clone() };
            total.get_or_create(&label).set(*t);
            left.get_or_create(&label).set(*l);
        }
        let disk = FloatGauge::default();
        registry.register(
            "disk_free_bytes",
            "Bytes free on the data directory's file system",
            disk.clone(),
        );
        if let Some(free) = node.disk_free_bytes {
            disk.set(free as f64);
        }
        let mut out = self.render();
        // One exposition: the counters and histograms without its end marker, then this node's.
        if let Some(stripped) = out.strip_suffix("# EOF\n") {
            out.truncate(stripped.len());
        }
        let _ = encode(&mut out, &registry);
        out
    }
}
