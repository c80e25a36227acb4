//! Peers: the mTLS transport between member nodes (an accepting listener and an outgoing
//! connector, both pinned to the membership), and what this node knows of each peer.

pub mod sync;
pub mod tls;

use std::{
    collections::BTreeMap,
    io,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, server::TlsStream};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint, Uri};
use tracing::{debug, warn};

use crate::{identity::MemberId, shutdown::Stopper};

/// How long a TLS handshake may take before the connection is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TCP connections and completes the mTLS handshake off the accept loop; only
/// connections from current members come out. Stops with `stopper`.
pub fn tls_incoming(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    metrics: Arc<crate::metrics::Metrics>,
    stopper: Stopper,
) -> ReceiverStream<Result<TlsStream<TcpStream>, io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Some(accepted) = stopper.run_until_stopped(listener.accept()).await {
            let (tcp, addr) = match accepted {
                Ok(c) => {
                    // Small responses must not wait for Nagle and delayed ACKs.
                    let _ = c.0.set_nodelay(true);
                    c
                }
                Err(e) => {
                    debug!(error = %e, "accept failed");
                    continue;
                }
            };
            let (acceptor, tx, metrics) = (acceptor.clone(), tx.clone(), metrics.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => {
                        let _ = tx.send(Ok(tls)).await;
                    }
                    // Each refusal once, with the peer's address and its own reason.
                    Ok(Err(e)) => match tls::refusal(&e) {
                        Some(r) => {
                            warn!(peer_addr = %addr, reason = %r, "refused peer at the TLS handshake");
                            metrics.peer_refused(r.label());
                        }
                        None => debug!(%addr, error = %e, "tls handshake failed"),
                    },
                    Err(_) => debug!(%addr, "tls handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// Opens a lazily connecting gRPC channel to a member's federation endpoint over mTLS.
/// `endpoint` is the member card's `https://host:port`.
pub fn connect(
    endpoint: &str,
    member: &MemberId,
    config: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<Channel, String> {
    let uri: Uri = endpoint.parse().map_err(|_| format!("endpoint `{endpoint}` is not a URL"))?;
    let host = uri.host().ok_or("endpoint has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(443);
    // The connector does TLS itself, so tonic sees a plain URI.
    let plain = Endpoint::from_shared(format!("http://{host}:{port}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(timeout)
        .timeout(timeout)
        .tcp_nodelay(true);
    let name = ServerName::try_from(crate::identity::tls_server_name(member))
        .map_err(|e| e.to_string())?;
    Ok(plain.connect_with_connector_lazy(TlsConnector {
        config,
        addr: format!("{host}:{port}"),
        name,
    }))
}

#[derive(Clone)]
struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
    addr: String,
    name: ServerName<'static>,
}

type ConnectFuture = Pin<
    Box<
        dyn Future<Output = io::Result<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>>> + Send,
    >,
>;

impl tonic::codegen::Service<Uri> for TlsConnector {
    type Response = TokioIo<tokio_rustls::client::TlsStream<TcpStream>>;
    type Error = io::Error;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let tcp = TcpStream::connect(&this.addr).await?;
            tcp.set_nodelay(true)?;
            let tls = tokio_rustls::TlsConnector::from(this.config).connect(this.name, tcp).await?;
            Ok(TokioIo::new(tls))
        })
    }
}

/// What this node knows of one peer.
#[derive(Debug, Clone, Default)]
pub struct PeerState {
    /// The last attempt succeeded.
    pub reachable: bool,
    /// Unix ms of the last successful sync.
    pub last_sync_unix_ms: i64,
    /// The last failure, if the last attempt failed.
    pub last_error: String,
    /// Consecutive failures, for backoff.
    pub failures: u32,
    /// Records of each origin the peer said it holds.
    pub sizes: BTreeMap<MemberId, u64>,
    /// Per origin, the size and root the peer reported when its records and tree head were last
    /// pulled and checked: an origin reported the same again needs no calls.
    pub checked: BTreeMap<MemberId, (u64, Vec<u8>)>,
    /// Successful syncs with the peer, to re-read its witness statements now and then.
    pub syncs: u64,
    /// Not before this instant again (exponential backoff).
    pub retry_at: Option<tokio::time::Instant>,
}

/// A peer's health as the dashboard, the metrics and `ListPeers` show it.
#[derive(Debug, Clone, Default)]
pub struct PeerStatus {
    /// The last attempt succeeded.
    pub reachable: bool,
    /// Unix ms of the last successful sync (0 for never).
    pub last_sync_unix_ms: i64,
    /// The last failure, if the last attempt failed.
    pub last_error: String,
}

/// Every peer's state.
#[derive(Debug, Default)]
pub struct Registry(Mutex<BTreeMap<MemberId, PeerState>>);

impl Registry {
    /// A copy of one peer's state.
    pub fn get(&self, id: &MemberId) -> PeerState {
        self.lock().get(id).cloned().unwrap_or_default()
    }

    /// What the health views show of a peer, without copying its sync state (which holds a
    /// size and a root per origin: a member list would copy members² of them).
    pub fn status(&self, id: &MemberId) -> PeerStatus {
        self.lock().get(id).map_or_else(PeerStatus::default, |s| PeerStatus {
            reachable: s.reachable,
            last_sync_unix_ms: s.last_sync_unix_ms,
            last_error: s.last_error.clone(),
        })
    }

    /// Unix ms of the last successful sync with a peer (0 for never): what every answer's
    /// coverage reads of each member, without copying its state (which holds a size and a root
    /// per origin).
    pub fn last_sync_unix_ms(&self, id: &MemberId) -> i64 {
        self.lock().get(id).map_or(0, |s| s.last_sync_unix_ms)
    }

    /// Updates one peer's state.
    pub fn update(&self, id: &MemberId, f: impl FnOnce(&mut PeerState)) {
        f(self.lock().entry(id.clone()).or_default());
    }

    /// The most records of `origin` any peer said it holds.
    pub fn seen(&self, origin: &MemberId) -> u64 {
        self.lock().values().filter_map(|p| p.sizes.get(origin).copied()).max().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<MemberId, PeerState>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
