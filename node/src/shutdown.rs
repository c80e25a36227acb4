//! Shutdown plumbing: a `Stopper` shared by every task, and the operating-system signals that
//! trigger it.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// A cloneable stop switch: `stop()` once, and every `cancelled()` completes.
#[derive(Debug, Clone, Default)]
pub struct Stopper(CancellationToken);

impl Stopper {
    /// A new switch, not yet stopped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything to stop.
    pub fn stop(&self) {
        self.0.cancel();
    }

    /// Completes once `stop()` was called.
    pub async fn cancelled(&self) {
        self.0.cancelled().await;
    }

    /// Runs `fut` unless stopped first; `None` means stopped.
    pub async fn run_until_stopped<F: Future>(&self, fut: F) -> Option<F::Output> {
        self.0.run_until_cancelled(fut).await
    }
}

/// Completes on the first SIGINT or SIGTERM and says which.
///
/// SIGTERM is what container runtimes and systemd send to stop a service; SIGINT is Ctrl-C at a
/// terminal. Both mean the same here: stop accepting, drain, flush, exit 0.
pub async fn signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        // Without signal handlers the node can only be killed; wait forever instead of exiting.
        std::future::pending::<()>().await;
        unreachable!()
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
