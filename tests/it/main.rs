//! Integration tests over real gRPC on loopback, one binary for all of them.
//!
//! Modules:
//! - `adversarial`: a lying member's attacks refused and counted; the honest nodes keep serving.
//! - `artefacts`: policy documents published, replicated, verified, superseded, withdrawn.
//! - `bundles`: proof bundles of metropolitan answers, verified offline, and tampering named.
//! - `catch_up`: several logs in one `GetManyRecords` call, and one per call from older peers;
//!   a bad record midway through a catch-up of many calls.
//! - `dashboard`: the HTTP API, tokens and audit, and the dashboard in headless Chromium.
//! - `federation`: founding, replication, relaying, membership changes, handshake refusals.
//! - `grpc`: health, reflection, and the log read and verified from the client side.
//! - `indicators`: ingest, releases, dry runs, failures and the privacy budget.
//! - `linked_disclosure`: an independent linear attacker on whole releases (property test), and
//!   the reported recoveries across series and nested scopes replayed over HTTP.
//! - `operations`: /metrics, the Grafana dashboard and the alert rules, checked against each other.
//! - `privacy_attacks`: differencing, margins across cities, averaging past the budget, raw
//!   values on the wire, disk and logs; records dated far from now.
//! - `reading`: gaps read by each indicator's polarity; noisy shares kept in their valid range.
//! - `same_cells`: every cell of every dataset equals DuckDB's, computed from SQL generated from
//!   the catalogue, with and without missing items.
//! - `scripted`: a federation member whose answers follow a script (lies, held or slow replies).
//! - `slow_peers`: a member whose answers are held or trickled: timeouts, backoff, staleness.
//! - `transparency`: the C2SP checkpoint and tiles, verified with Go's sumdb/note and tlog.
//! - `tidy`: house rules checked on the source tree.

mod adversarial;
mod artefacts;
mod bundles;
mod catch_up;
mod dashboard;
mod federation;
mod grpc;
mod indicators;
mod linked_disclosure;
mod operations;
mod privacy_attacks;
mod reading;
mod same_cells;
mod scripted;
mod slow_peers;
mod tidy;
mod transparency;
