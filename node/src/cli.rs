//! The `metronode` command line: `init`, `card`, `serve`, `verify`, `ingest`, `budget`.
//!
//! Command output goes to stdout; logs go to stderr; a failure is one line on stderr and a
//! non-zero exit code that says what kind of failure it was.

use std::{fs, io::Write, net::SocketAddr, path::Path, process::ExitCode, sync::Arc};

mod args;
pub mod artefacts;
pub mod demo;
pub mod federation;
pub mod ingest;
pub mod query;

pub use args::Cli;
use args::{Command, DemoAction, FederationAction};

use anyhow::Context;
use clap::Parser;
use tracing::info;

use crate::{
    clock,
    identity::MemberId,
    node::{self, Identity, Node, OpenError},
    server, shutdown, store, telemetry,
};

/// Exit code for a bad configuration or key file (sysexits EX_CONFIG).
pub const EXIT_CONFIG: u8 = 78;
/// Exit code for stored data that does not verify (sysexits EX_DATAERR).
pub const EXIT_DATA: u8 = 65;
/// Exit code when the data directory is held by another process (sysexits EX_TEMPFAIL).
pub const EXIT_LOCKED: u8 = 75;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "error: {}", message(&err));
            ExitCode::from(exit_code(&err))
        }
    }
}

/// An error and its causes on one line, each cause once: an error whose message already quotes
/// its cause (`path: cause`) is not followed by the cause again.
fn message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<OpenError>() {
        Some(OpenError::Config(_) | OpenError::Key(_)) => EXIT_CONFIG,
        Some(OpenError::Store(store::Error::Locked { .. })) => EXIT_LOCKED,
        Some(OpenError::Log(_) | OpenError::Store(store::Error::Damaged { .. })) => EXIT_DATA,
        _ => 1,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init { id, name, dir, listen, federation_listen, endpoint } => {
            init(&id, &name, &dir, listen, federation_listen, endpoint)
        }
        Command::Card { dir } => card(&dir),
        Command::TlsRotate { dir, out } => tls_rotate(&dir, out.as_deref()),
        Command::Serve { dir, listen, federation_listen, http_listen } => {
            serve(&dir, listen, federation_listen, http_listen)
        }
        Command::Health { http } => health(http),
        Command::Verify { dir } => verify(&dir),
        Command::Ingest { dir, dataset, period, dry_run, format, file } => {
            ingest::ingest(&dir, &dataset, &period, dry_run, format, &file)
        }
        Command::Budget { dir } => ingest::budget(&dir),
        Command::Peers { dir } => federation::peers(&dir),
        Command::Query { dir, indicator, by, period, series, format, bundle } => {
            query::query(&dir, &indicator, &by, &period, &series, format)?;
            match bundle {
                Some(file) => query::bundle(&dir, &indicator, &by, &period, &series, &file),
                None => Ok(()),
            }
        }
        Command::VerifyBundle { file, cards } => query::verify_bundle(&file, &cards),
        Command::Token { name, dir } => query::token(&name, dir.as_deref()),
        Command::Publish { template: Some(ty), .. } => artefacts::template(&ty),
        Command::Publish { dir, artefact_type, title, metadata, file, template: None } => {
            // clap requires all four without --template.
            let (Some(dir), Some(ty), Some(title), Some(file)) = (dir, artefact_type, title, file)
            else {
                anyhow::bail!("publish needs --dir, --type, --title and the document");
            };
            artefacts::publish(&dir, &ty, &title, metadata.as_deref(), &file)
        }
        Command::Withdraw { dir, artefact, reason } => {
            artefacts::withdraw(&dir, &artefact, &reason)
        }
        Command::Federation { action } => match action {
            FederationAction::Create { dir, federation_id, threshold, cards } => {
                federation::create(&dir, &federation_id, threshold, &cards)
            }
            FederationAction::Propose { dir, add, remove, threshold, note, out } => {
                federation::propose_change(&dir, &add, &remove, threshold, &note, out.as_deref())
            }
            FederationAction::Approve { dir, hash, manifest } => {
                federation::approve(&dir, hash.as_deref(), manifest.as_deref())
            }
            FederationAction::Show { dir, export, out } => {
                federation::show(&dir, export.as_deref().zip(out.as_deref()))
            }
        },
        Command::Demo {
            action: Some(DemoAction::Generate { city, dataset, rows, seed, out }),
            ..
        } => generate(&city, &dataset, rows, seed, out.as_deref()),
        Command::Demo {
            action: Some(DemoAction::City { id, dir, cards, endpoint, rows, seed }),
            ..
        } => demo::city::run(&id, &dir, &cards, &endpoint, rows, seed),
        Command::Demo { action: None, dir, rows, http, seed } => demo::run(&dir, rows, http, seed),
    }
}

fn init(
    id: &str,
    name: &str,
    dir: &Path,
    listen: SocketAddr,
    federation_listen: SocketAddr,
    endpoint: Option<String>,
) -> anyhow::Result<()> {
    let id: MemberId = id.parse()?;
    let key = node::init_dir(dir, &id, name, listen, federation_listen, endpoint)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "initialised {id} ({name}) in {}", dir.display())?;
    writeln!(out, "signing key {key}")?;
    writeln!(out, "next: metronode serve --dir {}", dir.display())?;
    Ok(())
}

fn card(dir: &Path) -> anyhow::Result<()> {
    let identity = Identity::load(dir)?;
    write!(std::io::stdout().lock(), "{}", card_toml(identity.card())?)?;
    Ok(())
}

fn tls_rotate(dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let identity = Identity::load(dir)?;
    let card = card_toml(identity.rotate_tls()?)?;
    let (key, _) = identity.next_tls_paths();
    match out {
        Some(path) => std::fs::write(path, &card)
            .with_context(|| format!("couldn't write {}", path.display()))?,
        None => write!(std::io::stdout().lock(), "{card}")?,
    }
    writeln!(
        std::io::stderr(),
        "the next TLS key is {}: propose the card with `metronode federation propose --dir {} --add {}`; \
         once the change is in effect, restart the node and it switches to the new key",
        key.display(),
        dir.display(),
        out.map_or("CARD".into(), |p| p.display().to_string())
    )?;
    Ok(())
}

/// A member card as `metronode card` prints it and `federation create` reads it.
pub(crate) fn card_toml(card: crate::pb::MemberCard) -> anyhow::Result<String> {
    let mut t = toml::Table::new();
    t.insert("id".into(), card.id.into());
    t.insert("name".into(), card.name.into());
    t.insert("country".into(), card.country.into());
    t.insert("signing_public_key".into(), hex::encode(card.signing_public_key).into());
    t.insert("tls_key_fingerprint".into(), hex::encode(card.tls_key_fingerprint).into());
    t.insert("endpoint".into(), card.endpoint.into());
    Ok(format!(
        "# metronode member card: public, share it with the federation\n{}",
        toml::to_string(&t).context("couldn't encode the card")?
    ))
}

fn health(http: SocketAddr) -> anyhow::Result<()> {
    use std::io::Read;
    // A wildcard listen address is probed on loopback.
    let addr = if http.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], http.port()))
    } else {
        http
    };
    let timeout = std::time::Duration::from_secs(3);
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("couldn't reach {addr}"))?;
    s.set_read_timeout(Some(timeout))?;
    write!(s, "GET /healthz HTTP/1.1\r\nHost: metronode\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    if reply.starts_with("HTTP/1.1 200") {
        writeln!(std::io::stdout(), "healthy")?;
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {}", reply.lines().next().unwrap_or("no answer"))
    }
}

fn serve(
    dir: &Path,
    listen: Option<SocketAddr>,
    federation_listen: Option<SocketAddr>,
    http_listen: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let mut identity = Identity::load(dir)?;
    if let Some(listen) = listen {
        identity.config.grpc.listen = listen;
    }
    if let Some(listen) = federation_listen {
        identity.config.federation.listen = listen;
    }
    if let Some(listen) = http_listen {
        identity.config.http.listen = listen;
    }
    run_node(identity, |_| async { Ok(()) })
}

/// Runs a node until SIGTERM or SIGINT: opens it, binds its three listeners, writes
/// `grpc.addr` and `http.addr`, serves, and tears down in order. `after_start` runs beside the
/// node once it serves (the container demo founds the federation and publishes there); its
/// failure is logged and does not stop the node.
pub(crate) fn run_node<F, Fut>(identity: Identity, after_start: F) -> anyhow::Result<()>
where
    F: FnOnce(Arc<Node>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    telemetry::init(&identity.config.logging);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("metronode")
        .build()
        .context("couldn't start the async runtime")?;
    let node = Node::open(identity)?;
    if node.log.refresh_own_head(clock::now_unix_ms())? {
        info!("re-signed the tree head of the own log after an interrupted append");
    }
    let node = Arc::new(node);
    runtime.block_on(async move {
        let signal = shutdown::install();
        let addr = node.config.grpc.listen;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("couldn't listen on {addr} (grpc.listen)"))?;
        let fed_addr = node.config.federation.listen;
        let fed_listener = tokio::net::TcpListener::bind(fed_addr)
            .await
            .with_context(|| format!("couldn't listen on {fed_addr} (federation.listen)"))?;
        let http_addr = node.config.http.listen;
        let http_listener = tokio::net::TcpListener::bind(http_addr)
            .await
            .with_context(|| format!("couldn't listen on {http_addr} (http.listen)"))?;
        let bound = listener.local_addr().context("couldn't read the bound address")?;
        let http_bound = http_listener.local_addr().context("couldn't read the bound address")?;
        let addr_file = node.dir.join("grpc.addr");
        let http_file = node.dir.join("http.addr");
        fs::write(&http_file, http_bound.to_string())
            .with_context(|| format!("couldn't write {}", http_file.display()))?;
        fs::write(&addr_file, bound.to_string())
            .with_context(|| format!("couldn't write {}", addr_file.display()))?;
        info!(
            version = crate::VERSION,
            member = %node.card.id,
            node_id = %hex::encode(&node.card.signing_public_key),
            grpc = %bound,
            http = %http_bound,
            federation = %fed_listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            log_size = node.log.size(node.log.own()),
            config = ?node.config,
            "metronode starting"
        );
        let extra = after_start(node.clone());
        let extra = tokio::spawn(async move {
            if let Err(err) = extra.await {
                tracing::error!(err = format!("{err:#}"), "start-up task failed");
            }
        });
        let listeners =
            server::Listeners { local: listener, federation: fed_listener, http: http_listener };
        let result = server::run(node.clone(), listeners, async {
            let why = signal.await;
            info!(signal = why, "shutdown requested");
        })
        .await;
        extra.abort();
        let _ = fs::remove_file(&addr_file);
        let _ = fs::remove_file(&http_file);
        result
    })
}

fn generate(
    city: &str,
    dataset: &str,
    rows: u64,
    seed: u64,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let Some(c) = crate::synth::city(city) else {
        anyhow::bail!("unknown pilot city `{city}`; use BEBRU, IEDUB, BGSOF or ALTIA");
    };
    if !crate::synth::DATASETS.contains(&dataset) {
        anyhow::bail!("unknown dataset `{dataset}`; use {}", crate::synth::DATASETS.join(", "));
    }
    match out {
        Some(path) => {
            let mut f = fs::File::create(path)
                .with_context(|| format!("couldn't create {}", path.display()))?;
            crate::synth::generate(&c, dataset, rows, seed, &mut f)?;
        }
        None => crate::synth::generate(&c, dataset, rows, seed, &mut std::io::stdout().lock())?,
    }
    Ok(())
}

fn verify(dir: &Path) -> anyhow::Result<()> {
    let identity = Identity::load(dir)?;
    let node = Node::open_verifying(identity, crate::log::Verify::EverySignature)?;
    let mut out = std::io::stdout().lock();
    for (origin, size, root) in node.log.origins() {
        write!(
            out,
            "{origin}: {size} records, chain and signatures ok, root {}",
            hex::encode(root)
        )?;
        match node.log.tree_head(&origin) {
            Ok(head) if head.size == size => writeln!(out, ", tree head verified at size {size}")?,
            Ok(head) => writeln!(
                out,
                ", tree head verified at size {} (the node re-signs it at the next start)",
                head.size
            )?,
            Err(_) => writeln!(out, ", no tree head yet")?,
        }
    }
    writeln!(out, "ok: {} verified", node.dir.display())?;
    Ok(())
}
