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
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("metronode_descriptor.bin"))
        .compile_with_config(config, PROTOS, &["../proto"])?;
    Ok(())
}
