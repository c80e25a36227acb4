//! The Analytics service: what analysts and dashboards read from a node.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::instrument;

use super::Error;
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

    #[instrument(skip_all)]
    async fn list_peers(
        &self,
        _req: Request<pb::ListPeersRequest>,
    ) -> Result<Response<pb::ListPeersResponse>, Status> {
        let own = self.node.log.own().clone();
        let mut peers = Vec::new();
        for (id, card) in self.node.trusted().iter() {
            let state = self.node.peers.status(id);
            peers.push(pb::PeerView {
                card: Some(card.clone()),
                is_self: *id == own,
                reachable: *id == own || state.reachable,
                last_sync_unix_ms: state.last_sync_unix_ms,
                last_error: state.last_error.clone(),
                records_held: self.node.log.size(id),
                records_seen: self.node.peers.seen(id).max(self.node.log.size(id)),
                flags: self.node.log.flags(id),
            });
        }
        Ok(Response::new(pb::ListPeersResponse { peers }))
    }

    #[instrument(skip_all)]
    async fn get_membership(
        &self,
        _req: Request<pb::GetMembershipRequest>,
    ) -> Result<Response<pb::Membership>, Status> {
        let m = self.node.membership();
        let (eligible, needed) = match m.active() {
            Some(a) => (Some(a.member_ids()), a.body.threshold),
            None => (None, 0),
        };
        let pending = m
            .pending()
            .map(|p| pb::PendingProposal {
                manifest: p.manifest.bytes.clone(),
                manifest_hash: p.manifest.hash.to_vec(),
                approvals: p
                    .approvers
                    .iter()
                    .filter(|a| eligible.as_ref().is_none_or(|e| e.contains(*a)))
                    .map(ToString::to_string)
                    .collect(),
                needed: if eligible.is_some() {
                    needed
                } else {
                    p.manifest.body.members.len() as u32
                },
            })
            .collect();
        Ok(Response::new(pb::Membership {
            active: m.active().map(|a| a.bytes.clone()).unwrap_or_default(),
            pending,
        }))
    }

    #[instrument(skip_all)]
    async fn list_indicators(
        &self,
        _req: Request<pb::ListIndicatorsRequest>,
    ) -> Result<Response<pb::ListIndicatorsResponse>, Status> {
        Ok(Response::new(pb::ListIndicatorsResponse {
            indicators: crate::analysis::indicators(&self.node),
        }))
    }

    #[instrument(skip_all, fields(indicator = %req.get_ref().indicator_id))]
    async fn query_indicator(
        &self,
        req: Request<pb::QueryRequest>,
    ) -> Result<Response<pb::QueryResponse>, Status> {
        let r = req.into_inner();
        let q = crate::aggregate::Query {
            indicator: r.indicator_id,
            period: r.period,
            by: r.by,
            series: r.series,
        };
        let a = crate::analysis::answer(&self.node, &q).await.map_err(Error::from)?;
        Ok(Response::new(a.reply().clone()))
    }

    #[instrument(skip_all)]
    async fn list_artefacts(
        &self,
        req: Request<pb::ListArtefactsRequest>,
    ) -> Result<Response<pb::ListArtefactsResponse>, Status> {
        let filter = req.into_inner();
        let node = self.node.clone();
        let artefacts = tokio::task::spawn_blocking(move || {
            crate::analysis::artefacts(&node)
                .into_iter()
                .filter(|a| crate::analysis::artefact_matches(a, &filter))
                .collect()
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("listing artefacts: {e}")))?;
        Ok(Response::new(pb::ListArtefactsResponse { artefacts }))
    }
}
