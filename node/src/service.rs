//! The gRPC services (thin adapters over `log`), and the one place errors become `tonic::Status`.

pub mod analytics;
pub mod federation;
pub mod publisher;

use tonic::Status;

use crate::{identity::MemberId, log};

/// A request that could not be served.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request names something malformed or out of range.
    #[error("{0}")]
    InvalidArgument(String),
    /// The request names something this node does not hold.
    #[error("{0}")]
    NotFound(String),
    /// The node failed; details are logged, not sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<log::Error> for Error {
    fn from(e: log::Error) -> Self {
        match e {
            log::Error::NoSuchOrigin(_) => Error::NotFound(e.to_string()),
            log::Error::Proof(_) => Error::InvalidArgument(e.to_string()),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidArgument(m) => Status::invalid_argument(m),
            Error::NotFound(m) => Status::not_found(m),
            Error::Internal(err) => {
                tracing::error!(err = format!("{err:#}"), "request failed");
                Status::internal("internal error; see the node's log")
            }
        }
    }
}

/// Parses a member id from a request field.
fn member_id(field: &str, value: &str) -> Result<MemberId, Error> {
    value.parse().map_err(|e| Error::InvalidArgument(format!("{field}: {e}")))
}

/// Runs blocking store work off the async executor.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(e.into()))?
}
