//! metronode's pure core: what a city's node computes, apart from how it stores, signs, serves
//! and replicates it. Nothing here depends on tokio, tonic, prost or sled (Cargo enforces it:
//! they are not dependencies of this crate), and nothing here does network or disk IO beyond
//! the readers and writers it is handed.
//!
//! Modules in reading order:
//! - `ids`: member ids (UN/LOCODE).
//! - `merkle`: RFC 6962 tree hashes and proofs.
//! - `catalogue`: the indicator catalogue and microdata schema (versioned data files).
//! - `ingest`: streaming CSV to cell sums in bounded memory.
//! - `linalg`: exact linear algebra modulo a prime, for linked disclosure control.
//! - `anonymise`: disclosure control and discrete differential-privacy noise.
//! - `budget`: privacy-budget amounts in exact thousandths (`Milli`).
//! - `aggregate`: metropolitan answers from verified releases.
//! - `artefact`: policy artefacts' metadata rules.
//! - `geo`: district boundaries, checked and simplified.
//! - `synth`: seeded synthetic microdata of the pilot cities.

pub mod aggregate;
pub mod anonymise;
pub mod artefact;
pub mod budget;
pub mod catalogue;
pub mod geo;
pub mod ids;
pub mod ingest;
pub mod linalg;
pub mod merkle;
pub mod synth;
