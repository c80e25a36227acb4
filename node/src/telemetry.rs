//! Installs the tracing subscriber: an `EnvFilter` with the configured default, JSON or text to
//! stderr (stdout stays free for command output).

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{LogFormat, LoggingConfig};

/// Installs the global subscriber. `RUST_LOG`, when set, replaces the configured filter.
/// Calling it twice is harmless: the second call keeps the first subscriber.
pub fn init(cfg: &LoggingConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match cfg.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry
            .with(fmt::layer().json().flatten_event(true).with_writer(std::io::stderr))
            .try_init()
    } else {
        // Colour only on a terminal: a log redirected to a file or a pipe stays plain text.
        let ansi = std::io::stderr().is_terminal();
        registry.with(fmt::layer().with_ansi(ansi).with_writer(std::io::stderr)).try_init()
    };
}

/// A subscriber for tests that writes through the test harness's capture, and, while a
/// `LogCapture` is alive, every line of metronode's (at every level) and every other crate's at
/// info or above into memory as well.
#[cfg(any(test, feature = "test-util"))]
pub fn install_test_trace_subscriber() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        let capturing = tracing_subscriber::filter::filter_fn(|meta| {
            capture::active()
                && (meta.target().starts_with("metronode") || *meta.level() <= tracing::Level::INFO)
        });
        let _ = tracing_subscriber::registry()
            .with(fmt::layer().with_test_writer().with_filter(filter))
            .with(fmt::layer().with_writer(|| capture::Writer).with_filter(capturing))
            .try_init();
    });
}

#[cfg(any(test, feature = "test-util"))]
pub use capture::{LogCapture, capture_logs};

/// Log lines kept in memory for tests that search them (for raw values that must never appear).
#[cfg(any(test, feature = "test-util"))]
mod capture {
    use std::sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    };

    static ACTIVE: AtomicUsize = AtomicUsize::new(0);
    static LINES: Mutex<Vec<u8>> = Mutex::new(Vec::new());

    pub(super) fn active() -> bool {
        ACTIVE.load(Ordering::Relaxed) > 0
    }

    /// Keeps log lines from its creation to its drop (lines of every test running meanwhile).
    #[derive(Debug)]
    pub struct LogCapture(());

    /// Starts keeping log lines; `install_test_trace_subscriber` must have run.
    pub fn capture_logs() -> LogCapture {
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        LogCapture(())
    }

    impl LogCapture {
        /// Everything kept so far.
        pub fn bytes(&self) -> Vec<u8> {
            LINES.lock().unwrap_or_else(|p| p.into_inner()).clone()
        }
    }

    impl Drop for LogCapture {
        fn drop(&mut self) {
            if ACTIVE.fetch_sub(1, Ordering::Relaxed) == 1 {
                LINES.lock().unwrap_or_else(|p| p.into_inner()).clear();
            }
        }
    }

    pub(super) struct Writer;

    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            LINES.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
