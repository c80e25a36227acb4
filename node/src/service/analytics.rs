//! The Analytics service: what analysts and dashboards read from a node.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{node::Node, pb};

/// Serves `metronode.v1.Analytics`.
#[derive(Debug, Clone)]
pub struct AnalyticsService {
    node: Arc<Node>,
}

impl AnalyticsService {
    /// A service over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node }
    }
}

#[tonic::async_trait]
impl pb::analytics_server::Analytics for AnalyticsService {
    #[instrument(skip_all)]
    async fn get_node_info(
        &self,
        _req: Request<pb::GetNodeInfoRequest>,
    ) -> Result<Response<pb::NodeInfo>, Status> {
        Ok(Response::new(pb::NodeInfo {
            card: Some(self.node.card.clone()),
            version: crate::VERSION.to_owned(),
            log_size: self.node.log.size(self.node.log.own()),
        }))
    }
}
