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

/// Installs the SIGINT and SIGTERM handlers now, and returns a future that completes on the
/// first of them and says which. Install before announcing readiness: a signal that arrives
/// before its handler would otherwise kill the process instead of stopping it cleanly.
///
/// SIGTERM is what container runtimes and systemd send to stop a service; SIGINT is Ctrl-C at a
/// terminal. Both mean the same here: stop accepting, drain, flush, exit 0.
pub fn install() -> impl Future<Output = &'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        let (Ok(mut term), Ok(mut int)) = (term, int) else {
            // Without signal handlers the node can only be killed; wait forever instead of exiting.
            std::future::pending::<()>().await;
            unreachable!()
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
}
