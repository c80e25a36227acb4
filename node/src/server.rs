//! Wiring: serves the gRPC services on a listener until shutdown, then tears down in order
//! (stop accepting, drain in-flight calls with a deadline, flush the store).

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tracing::{info, warn};

use crate::{
    node::Node,
    pb,
    service::{
        analytics::AnalyticsService, federation::FederationService, publisher::PublisherService,
    },
    shutdown::Stopper,
};

/// Serves `node` on `listener` until `shutdown` completes, then drains and flushes.
pub async fn run(
    node: Arc<Node>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().context("couldn't read the listener's address")?;
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<pb::federation_server::FederationServer<FederationService>>().await;
    health.set_serving::<pb::publisher_server::PublisherServer<PublisherService>>().await;
    health.set_serving::<pb::analytics_server::AnalyticsServer<AnalyticsService>>().await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("couldn't build the reflection service")?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .context("couldn't build the reflection service")?;

    let stopper = Stopper::new();
    let stop_accepting = stopper.clone();
    let router = Server::builder()
        .trace_fn(|req| tracing::info_span!("metronode_rpc", path = %req.uri().path()))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(pb::federation_server::FederationServer::new(FederationService::new(
            node.clone(),
        )))
        .add_service(pb::publisher_server::PublisherServer::new(PublisherService::new(
            node.clone(),
        )))
        .add_service(pb::analytics_server::AnalyticsServer::new(AnalyticsService::new(
            node.clone(),
        )));
    let serve = router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
        stop_accepting.cancelled().await;
    });
    tokio::pin!(serve);
    info!(%addr, "serving grpc");

    tokio::select! {
        res = &mut serve => res.context("grpc server failed")?,
        () = shutdown => {
            info!("shutdown: stopping accepting, draining in-flight calls");
            health.set_not_serving::<pb::federation_server::FederationServer<FederationService>>().await;
            stopper.stop();
            let drain = Duration::from_secs(node.config.grpc.drain_timeout_secs);
            match tokio::time::timeout(drain, &mut serve).await {
                Ok(res) => res.context("grpc server failed while draining")?,
                Err(_) => warn!(?drain, "shutdown: drain deadline passed, cutting off remaining calls"),
            }
        }
    }
    info!("shutdown: flushing store");
    let flush_node = node.clone();
    tokio::task::spawn_blocking(move || flush_node.log.store().sync())
        .await
        .context("store flush task failed")?
        .context("couldn't flush the store")?;
    info!("shutdown: complete");
    Ok(())
}
