//! Integration tests over real gRPC on loopback, one binary for all of them.
//!
//! Modules:
//! - `grpc`: health, reflection, and the log read and verified from the client side.
//! - `indicators`: ingest, releases, dry runs, failures and the privacy budget.
//! - `tidy`: house rules checked on the source tree.

mod grpc;
mod indicators;
mod tidy;
