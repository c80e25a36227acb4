//! Generated protobuf types and gRPC stubs for `metronode.v1`, and the descriptor set for reflection.
//!
//! Generated types stay qualified as `pb::…` and do not travel past `record`, `service` and the
//! CLI's client code.

#![allow(clippy::all, clippy::pedantic, unreachable_pub, rust_2018_idioms, missing_docs)]

tonic::include_proto!("metronode.v1");

/// The encoded `FileDescriptorSet` of every `metronode.v1` file, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("metronode_descriptor");
