//! Wiring: serves the local gRPC port and the federation (mTLS) port, runs the peer syncer, and
//! tears down in order: stop accepting, drain in-flight calls with a deadline, stop the syncer,
//! flush the store.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tracing::{info, warn};

use crate::{
    node::Node,
    pb,
    peers::{self, sync::PeerSyncer, tls},
    service::{
        analytics::AnalyticsService, federation::FederationService, publisher::PublisherService,
    },
    shutdown::Stopper,
};

/// HTTP/2 streams one peer connection may have open on the federation port at once.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 64;

/// The node's listening sockets, bound by the caller (ports may be 0).
#[derive(Debug)]
pub struct Listeners {
    /// Everything gRPC (Publisher, Analytics, Federation, health, reflection), for the city's own
    /// operators: loopback or a private network.
    pub local: TcpListener,
    /// Federation and health over mutual TLS, for members only.
    pub federation: TcpListener,
    /// The dashboard, API, metrics and probes.
    pub http: TcpListener,
}

/// Serves `node` until `shutdown` completes, then drains and flushes.
pub async fn run(
    node: Arc<Node>,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let Listeners { local, federation, http } = listeners;
    let http_addr = http.local_addr().context("couldn't read the listener's address")?;
    let local_addr = local.local_addr().context("couldn't read the listener's address")?;
    let fed_addr = federation.local_addr().context("couldn't read the listener's address")?;
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<pb::federation_server::FederationServer<FederationService>>().await;
    health.set_serving::<pb::publisher_server::PublisherServer<PublisherService>>().await;
    health.set_serving::<pb::analytics_server::AnalyticsServer<AnalyticsService>>().await;
    let reflection = |v1: bool| {
        let b = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        (v1, b)
    };
    let reflection_v1 =
        reflection(true).1.build_v1().context("couldn't build the reflection service")?;
    let reflection_v1alpha =
        reflection(false).1.build_v1alpha().context("couldn't build the reflection service")?;

    let stopper = Stopper::new();
    let local_stop = stopper.clone();
    let local_server = Server::builder()
        .trace_fn(|req| tracing::info_span!("metronode_rpc", path = %req.uri().path()))
        .add_service(health_service.clone())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(fed_service(&node))
        .add_service(pb::publisher_server::PublisherServer::new(PublisherService::new(
            node.clone(),
        )))
        .add_service(pb::analytics_server::AnalyticsServer::new(AnalyticsService::new(
            node.clone(),
        )))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(local).with_nodelay(Some(true)),
            async move {
                local_stop.cancelled().await;
            },
        );

    let tls_config =
        tls::server_config(&node.tls, node.pins.clone()).context("couldn't set up TLS")?;
    let fed_stop = stopper.clone();
    // Each member's calls are limited in `FederationService`; this bounds the streams one
    // connection may open at all.
    let fed_server = Server::builder()
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .trace_fn(|req| tracing::info_span!("metronode_peer_rpc", path = %req.uri().path()))
        .add_service(health_service)
        .add_service(fed_service(&node))
        .serve_with_incoming_shutdown(
            peers::tls_incoming(
                federation,
                tls_config,
                node.log.metrics().clone(),
                stopper.clone(),
            ),
            async move {
                fed_stop.cancelled().await;
            },
        );

    let node_for_http = node.clone();
    let workers = Stopper::new();
    let syncer = tokio::spawn(PeerSyncer::new(node.clone()).run(workers.clone()));
    // The release index is read as soon as the node serves, while the store is known to read:
    // a store that fails later (a full disk) then answers queries from it instead of from
    // nothing. A query before it is read waits for it.
    let indexing = node.clone();
    tokio::task::spawn_blocking(move || {
        indexing.releases();
    });
    // Opening checked stored records against their signed tree heads; every record's own
    // signature is verified again once the node serves.
    let checking = node.clone();
    tokio::task::spawn_blocking(move || {
        checking.check_every_signature();
    });
    let http_stop = stopper.clone();
    let http_server = async move {
        use axum::serve::ListenerExt;
        axum::serve(
            http.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            }),
            crate::http::router(node_for_http)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move { http_stop.cancelled().await })
        .await
        .context("http server failed")
    };
    let grpc = async {
        tokio::try_join!(local_server, fed_server).map(|_| ()).context("grpc server failed")
    };
    let serving = async { tokio::try_join!(grpc, http_server).map(|_| ()) };
    tokio::pin!(serving);
    info!(local = %local_addr, federation = %fed_addr, http = %http_addr, "serving");

    tokio::select! {
        res = &mut serving => res?,
        () = shutdown => {
            info!("shutdown: stopping accepting, draining in-flight calls");
            health.set_not_serving::<pb::federation_server::FederationServer<FederationService>>().await;
            stopper.stop();
            let drain = Duration::from_secs(node.config.grpc.drain_timeout_secs);
            match tokio::time::timeout(drain, &mut serving).await {
                Ok(res) => res.context("while draining")?,
                Err(_) => warn!(?drain, "shutdown: drain deadline passed, cutting off remaining calls"),
            }
        }
    }
    info!("shutdown: stopping peer sync");
    workers.stop();
    let _ = syncer.await;
    info!("shutdown: flushing store");
    let flush_node = node.clone();
    tokio::task::spawn_blocking(move || flush_node.log.store().sync())
        .await
        .context("store flush task failed")?
        .context("couldn't flush the store")?;
    info!("shutdown: complete");
    Ok(())
}

fn fed_service(node: &Arc<Node>) -> pb::federation_server::FederationServer<FederationService> {
    pb::federation_server::FederationServer::new(FederationService::new(node.clone()))
        .max_decoding_message_size(peers::sync::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(peers::sync::MAX_MESSAGE_BYTES)
}
