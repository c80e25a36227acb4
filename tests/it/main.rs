//! Integration tests over real gRPC on loopback, one binary for all of them.
//!
//! Modules:
//! - `adversarial`: a lying member's attacks refused and counted; the honest nodes keep serving.
//! - `artefacts`: policy documents published, replicated, verified, superseded, withdrawn.
//! - `dashboard`: the HTTP API, tokens and audit, and the dashboard in headless Chromium.
//! - `federation`: founding, replication, relaying, membership changes, handshake refusals.
//! - `grpc`: health, reflection, and the log read and verified from the client side.
//! - `indicators`: ingest, releases, dry runs, failures and the privacy budget.
//! - `tidy`: house rules checked on the source tree.

mod adversarial;
mod artefacts;
mod dashboard;
mod federation;
mod grpc;
mod indicators;
mod tidy;
