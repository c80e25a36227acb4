//! Compiles `proto/metronode/v1` with the vendored protoc, so a fresh machine needs no protoc.

use std::{env, error::Error, path::PathBuf};

const PROTOS: &[&str] = &[
    "../proto/metronode/v1/artefacts.proto",
    "../proto/metronode/v1/indicators.proto",
    "../proto/metronode/v1/log.proto",
    "../proto/metronode/v1/federation.proto",
    "../proto/metronode/v1/publisher.proto",
    "../proto/metronode/v1/analytics.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // A signed record's body and signature are shared slices of the buffer they were read into
    // (a peer's reply, a chunk of a record file): replication moves them without copying.
    config.bytes([".metronode.v1.SignedRecord"]);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("metronode_descriptor.bin"))
        .compile_with_config(config, PROTOS, &["../proto"])?;
    Ok(())
}
