//! The gRPC services (thin adapters over `log`), and the one place errors become `tonic::Status`.

pub mod analytics;
pub mod federation;
pub mod publisher;

use tonic::Status;

use crate::{identity::MemberId, log, release};

/// A request that could not be served.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request names something malformed or out of range.
    #[error("{0}")]
    InvalidArgument(String),
    /// The request names something this node does not hold.
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the node's state refuses it (budget spent, noise too large).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The disk is full: the write was refused or ran out of space; reads go on.
    #[error("{0}")]
    DiskFull(String),
    /// A peer's call on the federation port came without a client certificate.
    #[error("{0}")]
    Unauthenticated(String),
    /// A peer's certificate is not (or no longer) a current member's.
    #[error("{0}")]
    PermissionDenied(String),
    /// A member has more calls in progress than it may.
    #[error("{0}")]
    TooManyCalls(String),
    /// The node failed; details are logged, not sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<log::Error> for Error {
    fn from(e: log::Error) -> Self {
        match e {
            log::Error::NoSuchOrigin(_) => Error::NotFound(e.to_string()),
            log::Error::Proof(_) => Error::InvalidArgument(e.to_string()),
            log::Error::Store(ref s) if s.is_disk_full() => Error::DiskFull(e.to_string()),
            log::Error::Store(ref s) if s.refuses_writes() => {
                Error::FailedPrecondition(e.to_string())
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<release::Error> for Error {
    fn from(e: release::Error) -> Self {
        match e {
            release::Error::Input(_) | release::Error::Request(_) => {
                Error::InvalidArgument(e.to_string())
            }
            release::Error::Audit(ref leak) => {
                tracing::error!(cell = %leak.cell, "linked disclosure audit refused a release set");
                Error::FailedPrecondition(e.to_string())
            }
            release::Error::Anonymise(_)
            | release::Error::Released(_)
            | release::Error::Log(log::Error::BudgetExceeded(_)) => {
                Error::FailedPrecondition(e.to_string())
            }
            release::Error::Log(inner) => inner.into(),
        }
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidArgument(m) => Status::invalid_argument(m),
            Error::NotFound(m) => Status::not_found(m),
            Error::FailedPrecondition(m) => Status::failed_precondition(m),
            Error::DiskFull(m) => {
                tracing::warn!(error = %m, "write refused");
                Status::resource_exhausted(m)
            }
            Error::Unauthenticated(m) => Status::unauthenticated(m),
            Error::PermissionDenied(m) => Status::permission_denied(m),
            Error::TooManyCalls(m) => Status::resource_exhausted(m),
            Error::Internal(err) => {
                tracing::error!(err = format!("{err:#}"), "request failed");
                Status::internal("internal error; see the node's log")
            }
        }
    }
}

impl From<crate::analysis::QueryError> for Error {
    fn from(e: crate::analysis::QueryError) -> Self {
        use crate::analysis::QueryError;
        match e {
            QueryError::Unknown { .. } => Error::InvalidArgument(e.to_string()),
            QueryError::Internal => Error::Internal(anyhow::anyhow!("answering a query failed")),
            _ => Error::NotFound(e.to_string()),
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
