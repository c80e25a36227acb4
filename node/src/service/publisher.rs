//! The Publisher service: what the city's own data officers sign into its log.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};
use tracing::{info, instrument};

use super::{Error, blocking};
use crate::{clock, node::Node, pb};

/// Longest notice title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest notice text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Serves `metronode.v1.Publisher`.
#[derive(Debug, Clone)]
pub struct PublisherService {
    node: Arc<Node>,
}

impl PublisherService {
    /// A service over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node }
    }
}

#[tonic::async_trait]
impl pb::publisher_server::Publisher for PublisherService {
    #[instrument(skip_all)]
    async fn publish_notice(
        &self,
        req: Request<pb::PublishNoticeRequest>,
    ) -> Result<Response<pb::PublishReply>, Status> {
        let notice = req
            .into_inner()
            .notice
            .ok_or_else(|| Error::InvalidArgument("notice: missing".into()))?;
        if notice.title.trim().is_empty() {
            return Err(Error::InvalidArgument("notice.title: must not be empty".into()).into());
        }
        if notice.title.chars().count() > MAX_TITLE_CHARS {
            return Err(Error::InvalidArgument(format!(
                "notice.title: longer than {MAX_TITLE_CHARS} characters"
            ))
            .into());
        }
        if notice.text.len() > MAX_TEXT_BYTES {
            return Err(Error::InvalidArgument(format!(
                "notice.text: longer than {MAX_TEXT_BYTES} bytes"
            ))
            .into());
        }
        let node = self.node.clone();
        let appended = blocking(move || {
            Ok(node.log.append(pb::record_body::Payload::Notice(notice), clock::now_unix_ms())?)
        })
        .await?;
        info!(seq = appended.record.seq, kind = appended.record.kind(), "appended record");
        let tree_head = pb::SignedTreeHead::decode(appended.head.signed.as_slice())
            .map_err(|e| Error::Internal(e.into()))?;
        Ok(Response::new(pb::PublishReply {
            seq: appended.record.seq,
            record_hash: appended.record.hash.to_vec(),
            tree_head: Some(tree_head),
        }))
    }
}
