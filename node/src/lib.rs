//! metronode: a city's node in a federation that shares signed, anonymised digital-inclusion
//! indicators and policy artefacts, without raw data leaving the city.
//!
//! The pure core (catalogue, ingest, linalg, anonymise, aggregate, artefact, merkle, synth, geo
//! and member ids) is the `metronode-core` crate, re-exported here under the same paths.
//!
//! Modules in reading order:
//! - `identity`: member ids, signing and TLS keys, key files.
//! - `merkle`: RFC 6962 tree hashes and proofs (pure).
//! - `record`: sealing and opening signed log records.
//! - `store`: sled behind a narrow, versioned, durable API.
//! - `log`: the verified, hash-chained log with signed tree heads.
//! - `catalogue`: the indicator catalogue and microdata schema (versioned data files).
//! - `ingest`: streaming CSV to cell sums in bounded memory (pure).
//! - `linalg`: exact linear algebra modulo a prime, for linked disclosure control (pure).
//! - `anonymise`: disclosure control and discrete differential-privacy noise (pure).
//! - `release`: the ingest pipeline from a CSV stream to signed releases in the log.
//! - `synth`: seeded synthetic microdata of the pilot cities.
//! - `federation`: membership manifests, proposals and approvals (pure).
//! - `aggregate`: metropolitan answers from verified releases (pure); `analysis` feeds it.
//! - `read_model`: the release index and the answer cache over the log (the node holds them).
//! - `artefact`, `blobs`: policy artefacts: metadata rules, and bodies stored by hash.
//! - `bundle`: proof bundles: one answer with the records, proofs, tree heads and membership it rests on, made by a node and verified offline.
//! - `config`, `node`: the data directory, opened in a checked order.
//! - `peers`: mTLS pinned to members, and the anti-entropy sync worker.
//! - `metrics`: Prometheus counters.
//! - `http`: dashboard, `/api/v1`, metrics and probes.
//! - `service`, `server`: the gRPC services and their wiring.
//! - `cli`: the `metronode` command line.

pub use metronode_core::aggregate;
pub mod analysis;
pub use metronode_core::anonymise;
pub use metronode_core::artefact;
pub use metronode_core::budget;
pub mod blobs;
pub mod bundle;
pub use metronode_core::catalogue;
pub mod checkpoint;
pub mod cli;
pub mod clock;
pub mod config;
pub mod export;
pub mod federation;
pub use metronode_core::geo;
pub mod http;
pub mod i18n;
pub mod identity;
pub use metronode_core::ingest;
pub use metronode_core::linalg;
pub mod log;
pub use metronode_core::merkle;
pub mod metrics;
pub mod node;
pub mod pb;
pub mod peers;
pub mod read_model;
pub mod record;
pub mod release;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod store;
pub use metronode_core::synth;
pub mod telemetry;

/// The crate version, reported at start-up and by `GetNodeInfo`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Shared fixtures for tests in this and other crates.
#[cfg(any(test, feature = "test-util"))]
pub mod test_util {
    pub use crate::telemetry::{LogCapture, capture_logs, install_test_trace_subscriber};
}
