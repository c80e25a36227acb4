//! Process tests of the real `metronode` binary: init, card, serve, signals, crashes, bad input.
//!
//! Modules:
//! - `artefacts`: metadata templates, and publishing from one.
//! - `demo`: the embedded default, four cities and the dashboard.
//! - `federation`: two real nodes federated from the command line.
//! - `full_disk`: the data directory on a small file system filled during appends.
//! - `harness`: running the binary, waiting for its gRPC port, a small client.
//! - `lifecycle`: init, card, SIGTERM, SIGKILL mid-stream and restart, verify.
//! - `bad_input`: configuration, key files and the data directory lock.
//! - `crash`: SIGKILL at seeded points of ingest, upload, replication and manifest changes.
//! - `privacy`: canary values from a microdata file never leave the node.
//! - `secrets`: private keys and bearer tokens never leave their files.

mod artefacts;
mod bad_input;
mod crash;
mod demo;
mod federation;
mod full_disk;
mod harness;
mod lifecycle;
mod privacy;
mod secrets;
