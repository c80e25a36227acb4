//! Process tests of the real `metronode` binary: init, card, serve, signals, crashes, bad input.
//!
//! Modules:
//! - `demo`: the embedded default, four cities and the dashboard.
//! - `federation`: two real nodes federated from the command line.
//! - `harness`: running the binary, waiting for its gRPC port, a small client.
//! - `lifecycle`: init, card, SIGTERM, SIGKILL mid-stream and restart, verify.
//! - `bad_input`: configuration, key files and the data directory lock.
//! - `privacy`: canary values from a microdata file never leave the node.

mod bad_input;
mod demo;
mod federation;
mod harness;
mod lifecycle;
mod privacy;
