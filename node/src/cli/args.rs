//! The command line's clap definitions: the `metronode` command, its subcommands and their
//! arguments.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand};

use super::{ingest, query};

/// A city's node in a federation of signed, anonymised digital-inclusion indicators.
#[derive(Debug, Parser)]
#[command(name = "metronode", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Create a data directory: configuration, signing key, TLS key and certificate.
    Init {
        /// Member id: the city's UN/LOCODE, for example BEBRU.
        #[arg(long)]
        id: String,
        /// The city's name, for example Brussels.
        #[arg(long)]
        name: String,
        /// The data directory to create.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Local gRPC listen address (data officers, dashboards) written to the configuration.
        #[arg(long, default_value = "127.0.0.1:7400")]
        listen: SocketAddr,
        /// Federation (mutual TLS) listen address written to the configuration.
        #[arg(long, default_value = "127.0.0.1:7401")]
        federation_listen: SocketAddr,
        /// https:// address peers use to reach the federation listener; defaults to
        /// https://FEDERATION_LISTEN.
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Print the public member card other cities need to federate with this one.
    Card {
        /// The data directory.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
    },
    /// Run the node until SIGTERM or SIGINT.
    Serve {
        /// The data directory.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Override the configured local gRPC listen address.
        #[arg(long, env = "METRONODE_GRPC_LISTEN")]
        listen: Option<SocketAddr>,
        /// Override the configured federation (mTLS) listen address.
        #[arg(long, env = "METRONODE_FEDERATION_LISTEN")]
        federation_listen: Option<SocketAddr>,
        /// Override the configured HTTP listen address.
        #[arg(long, env = "METRONODE_HTTP_LISTEN")]
        http_listen: Option<SocketAddr>,
    },
    /// Probe a node's /healthz (for container health checks): exit 0 when healthy.
    Health {
        /// The node's HTTP address.
        #[arg(long, env = "METRONODE_HTTP_LISTEN", default_value = "127.0.0.1:7480")]
        http: SocketAddr,
    },
    /// Stream a microdata CSV to the running node: compute, anonymise and publish its releases.
    Ingest {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Dataset of the microdata schema: survey, household, district_admin, ...
        #[arg(long)]
        dataset: String,
        /// Reference period: a year (2025) or an ISO 8601 interval.
        #[arg(long)]
        period: String,
        /// Show what would be published and suppressed, without publishing or spending budget.
        #[arg(long)]
        dry_run: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ingest::Format,
        /// The CSV file.
        file: PathBuf,
    },
    /// Show the privacy budget ledger of the running node: spent and left per dataset and period.
    Budget {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
    },
    /// Publish a policy document (digital-rights charter, policy, algorithm-register entry,
    /// DPIA, procurement clause set, open-data policy, capacity-building module) with its
    /// metadata; or, with `--template TYPE`, print the commented metadata template of a type.
    Publish {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR", required_unless_present = "template")]
        dir: Option<PathBuf>,
        /// digital-rights-charter, policy, algorithm-register-entry, dpia,
        /// procurement-clause-set, open-data-policy or capacity-building-module.
        #[arg(long = "type", required_unless_present = "template")]
        artefact_type: Option<String>,
        /// Title.
        #[arg(long, required_unless_present = "template")]
        title: Option<String>,
        /// Metadata (TOML): DCAT-AP core fields, rights areas, and the type's own under
        /// [details]; `--template TYPE` prints one to fill in.
        #[arg(long)]
        metadata: Option<PathBuf>,
        /// Print the metadata template of this type (every field, what it means, its allowed
        /// values) and publish nothing.
        #[arg(long, value_name = "TYPE", conflicts_with_all = ["artefact_type", "title", "metadata", "file"])]
        template: Option<String>,
        /// The document.
        #[arg(required_unless_present = "template")]
        file: Option<PathBuf>,
    },
    /// Withdraw a published artefact (the history stays verifiable).
    Withdraw {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// The artefact id.
        #[arg(long)]
        artefact: String,
        /// Why, for people.
        #[arg(long)]
        reason: String,
    },
    /// A metropolitan answer: value, cities, breakdown and gap, coverage.
    Query {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Indicator id, for example DRI-USE-01.
        #[arg(long)]
        indicator: String,
        /// city, or a disaggregation such as age_band or district_code.
        #[arg(long, default_value = "city")]
        by: String,
        /// Period; the latest when absent.
        #[arg(long, default_value = "")]
        period: String,
        /// Series; the headline when absent.
        #[arg(long, default_value = "")]
        series: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: query::Format,
        /// Also write the answer's proof bundle to this file (`metronode verify-bundle` checks
        /// it offline).
        #[arg(long)]
        bundle: Option<PathBuf>,
    },
    /// Verify a proof bundle offline: the membership from the founding manifest, every
    /// record's signature and inclusion under a signed tree head, and the answer recomputed
    /// from the releases. Exits non-zero naming the first thing that does not hold.
    VerifyBundle {
        /// The bundle file.
        file: PathBuf,
        /// Member cards to pin (the output of `metronode card`): the founding manifest must
        /// list each with its signing key.
        #[arg(long)]
        cards: Vec<PathBuf>,
    },
    /// Rotate this node's TLS key: writes the next key and certificate (ECDSA P-256) beside
    /// the current ones and prints the card that pins them; propose it with `federation propose
    /// --add`, and the node switches at its first start after the change is in effect.
    TlsRotate {
        /// The data directory.
        #[arg(long)]
        dir: PathBuf,
        /// Write the card here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Make a bearer token for an analyst (printed once; node.toml keeps only its hash).
    Token {
        /// Who it is for; written to the audit log with every query.
        #[arg(long)]
        name: String,
        /// Add the hashed entry to this data directory's node.toml (restart the node to use it)
        /// instead of printing it.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Federation membership: create, propose, approve, show.
    Federation {
        #[command(subcommand)]
        action: FederationAction,
    },
    /// Each member as this node sees it: reachability, last sync, records, lag, flags.
    Peers {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
    },
    /// The embedded default: a local federation of the four pilot cities with synthetic data
    /// and the dashboard (`demo generate` writes synthetic files).
    #[command(args_conflicts_with_subcommands = true)]
    Demo {
        #[command(subcommand)]
        action: Option<DemoAction>,
        /// Where the four cities keep their data directories (kept between runs).
        #[arg(long, default_value = "metronode-demo")]
        dir: PathBuf,
        /// Survey rows per city and period.
        #[arg(long, default_value_t = 4000)]
        rows: u64,
        /// Dashboard address (Brussels's node); without it, the address an earlier run in the
        /// same directory used, or 127.0.0.1:7480.
        #[arg(long)]
        http: Option<SocketAddr>,
        /// Seed of the synthetic data.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
    },
    /// Re-verify every stored record, hash link and tree head; exit non-zero on the first fault.
    Verify {
        /// The data directory (the node must be stopped).
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum FederationAction {
    /// Propose version 1 from the founders' member cards (this node's own is added).
    Create {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// The federation's name.
        #[arg(long)]
        federation_id: String,
        /// Approvals of current members a later version needs.
        #[arg(long)]
        threshold: u32,
        /// Member cards (as printed by `metronode card`).
        cards: Vec<PathBuf>,
    },
    /// Propose the next version: add or replace members (by card), remove members, change the
    /// threshold.
    Propose {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// A member card to add, or to replace the member with the same id (key rotation).
        #[arg(long)]
        add: Vec<PathBuf>,
        /// A member id to remove (leave or revocation).
        #[arg(long)]
        remove: Vec<String>,
        /// A new threshold.
        #[arg(long)]
        threshold: Option<u32>,
        /// What changes, for people.
        #[arg(long, default_value = "membership change")]
        note: String,
        /// Also write the proposed manifest to this file (for a joining member).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Approve a pending proposal by its hash, or (joining) a manifest file.
    Approve {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Hash of the pending proposal, as `federation show` prints it.
        #[arg(long)]
        hash: Option<String>,
        /// A manifest file written by `federation propose --out`.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Show the version in effect and pending proposals (or export one with --export and --out).
    Show {
        /// The data directory of the running node.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Hash of a pending proposal to export.
        #[arg(long, requires = "out")]
        export: Option<String>,
        /// File to export to.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum DemoAction {
    /// Run one pilot city of the demo federation as its own node (one container each in
    /// deploy/compose.yaml): create its data directory on first start, put its member card in
    /// the shared cards directory, found the federation once every pilot's card is there, publish
    /// synthetic releases and documents once, and serve until SIGTERM.
    City {
        /// Pilot city: BEBRU, IEDUB, BGSOF or ALTIA.
        #[arg(long)]
        id: String,
        /// The data directory.
        #[arg(long, env = "METRONODE_DIR")]
        dir: PathBuf,
        /// Directory shared by the pilots where each writes its member card (the trust root of
        /// this demo federation).
        #[arg(long, default_value = "/cards")]
        cards: PathBuf,
        /// https:// address the other cities reach this one's federation port at.
        #[arg(long)]
        endpoint: String,
        /// Survey rows per period.
        #[arg(long, default_value_t = 4000)]
        rows: u64,
        /// Seed of the synthetic data.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
    },
    /// Write seeded synthetic microdata of a pilot city as CSV (stdout or --out).
    Generate {
        /// Pilot city: BEBRU, IEDUB, BGSOF or ALTIA.
        #[arg(long)]
        city: String,
        /// Dataset: survey, household, district_admin, open_data_inventory, algorithm_register.
        #[arg(long, default_value = "survey")]
        dataset: String,
        /// Rows to write (district_admin writes one per district).
        #[arg(long, default_value_t = 5000)]
        rows: u64,
        /// Seed: the same seed gives the same file.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
        /// Output file; stdout when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}
