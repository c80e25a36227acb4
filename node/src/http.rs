//! The HTTP side: the dashboard for people at `/`, the analyst API under `/api/v1` (JSON, CSV
//! and SDMX-CSV), Prometheus `/metrics`, and the `/healthz` and `/readyz` probes.
//!
//! Open on loopback by default; elsewhere a bearer token whose SHA-256 is configured, sent as a
//! header or, from a browser, typed once at `/sign-in` for a session cookie. Every query is
//! recorded in the audit log (`DIR/audit.jsonl`): who, what, when.

mod api;
mod artefacts;
mod caller;
pub mod dashboard;
mod map;
mod monitoring;
pub mod session;
mod sign_in;
pub mod transparency;

pub use api::{answer, status_of};
use api::{indicators, members, query};
pub use artefacts::{ArtefactFilter, artefact_json, list_artefacts};
use artefacts::{artefacts, artefacts_page, download};
use caller::Reader;
use monitoring::{metrics, ready};
pub use sign_in::{Next, SignInForm, SignOutForm};
use sign_in::{sign_in, sign_in_page, sign_out};

use std::{
    io::Write as _,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use crate::{
    clock,
    i18n::{Arg, Lang},
    node::Node,
};

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    node: Arc<Node>,
    audit: Arc<Mutex<Option<std::fs::File>>>,
    sessions: Arc<session::Sessions>,
}

/// The router, ready to serve with `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn router(node: Arc<Node>) -> Router {
    let audit = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(node.dir.join("audit.jsonl"))
        .ok();
    let state = AppState {
        node: node.clone(),
        audit: Arc::new(Mutex::new(audit)),
        sessions: Arc::default(),
    };
    Router::new()
        .route("/", get(dashboard_page))
        .route("/api/v1/indicators", get(indicators))
        .route("/api/v1/query", get(query))
        .route("/api/v1/members", get(members))
        .route("/api/v1/artefacts", get(artefacts))
        .route("/api/v1/artefacts/{origin}/{seq}/download", get(download))
        .route("/artefacts", get(artefacts_page))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(state)
        .merge(transparency::router(node))
}

/// The query parameters of the dashboard and `/api/v1/query`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueryParams {
    /// Indicator id.
    #[serde(default)]
    pub indicator: String,
    /// Period; latest when empty.
    #[serde(default)]
    pub period: String,
    /// Breakdown: city (default) or a disaggregation.
    #[serde(default)]
    pub by: String,
    /// Series; headline when empty.
    #[serde(default)]
    pub series: String,
    /// json (default), csv or sdmx-csv.
    #[serde(default)]
    pub format: String,
    /// The dashboard's language, chosen by link (`en`, `fr`, `nl`, `ga`, `bg`, `sq`);
    /// `Accept-Language` decides when empty.
    #[serde(default)]
    pub lang: String,
}

impl AppState {
    fn audit(&self, who: &str, what: &str, status: u16) {
        let json = serde_json::json!({ "at_unix_ms": clock::now_unix_ms(), "who": who, "what": what, "status": status });
        // Formatted first, then written whole: one write per line, and lines never interleave.
        let mut line = json.to_string();
        line.push('\n');
        let mut file = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = file.as_mut()
            && f.write_all(line.as_bytes()).is_err()
        {
            tracing::warn!("couldn't write the audit log");
        }
    }
}

/// A 303 to `location`.
fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A page seen through a browser session says who is signed in, with the way to sign out.
fn with_account(page: String, headers: &HeaderMap, who: &str, lang: Lang) -> String {
    if session::cookie(headers, session::SESSION_COOKIE).is_none()
        || who == "loopback"
        || who.starts_with("public ")
    {
        return page;
    }
    let text = lang.t("account", &[("name", Arg::Text(who))]);
    let link = format!(
        r#"<p class="account"><a href="/sign-in" style="color:#fff">{}</a></p></header>"#,
        dashboard::esc(&text)
    );
    page.replacen("</header>", &link, 1)
}

/// A page's language: `?lang=` when it names one, else the browser's `Accept-Language`.
fn page_language(param: &str, headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::negotiate(Some(param).filter(|p| !p.is_empty()), accept)
}

/// A page in a language says so, and caches keep one copy per language asked.
fn language_headers(r: &mut Response, lang: Lang) {
    r.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    r.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-language"));
}

fn now_ms() -> u64 {
    clock::now_unix_ms().max(0) as u64
}

fn what(path: &str, q: &QueryParams) -> String {
    format!(
        "{path}?indicator={}&period={}&by={}&series={}&format={}",
        q.indicator, q.period, q.by, q.series, q.format
    )
}

async fn dashboard_page(
    State(s): State<AppState>,
    Reader(who): Reader,
    headers: HeaderMap,
    Query(q): Query<QueryParams>,
) -> Response {
    let lang = page_language(&q.lang, &headers);
    let (status, page) = dashboard::render(&s.node, q.clone(), lang).await;
    let page = with_account(page, &headers, &who, lang);
    s.audit(&who, &what("/", &q), status.as_u16());
    let mut r = (status, Html(page)).into_response();
    language_headers(&mut r, lang);
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'"),
    );
    r
}
