//! The HTTP side: the dashboard for people at `/`, the analyst API under `/api/v1` (JSON, CSV
//! and SDMX-CSV), Prometheus `/metrics`, and the `/healthz` and `/readyz` probes.
//!
//! Open on loopback by default; elsewhere a bearer token whose SHA-256 is configured, sent as a
//! header or, from a browser, typed once at `/sign-in` for a session cookie. Every query is
//! recorded in the audit log (`DIR/audit.jsonl`): who, what, when.

pub mod dashboard;
mod map;
pub mod session;
pub mod transparency;

use crate::export::{self, to_csv_in, to_sdmx_csv};

use std::{
    io::Write as _,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{ConnectInfo, Form, FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    aggregate::Answer,
    analysis, clock,
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
    /// Who is asking, or the refusal. Loopback is open unless configured otherwise.
    fn who(&self, peer: SocketAddr, headers: &HeaderMap) -> Result<String, &'static str> {
        let cfg = &self.node.config.http;
        if let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            return match configured(&cfg.tokens, token) {
                Some(t) => Ok(t.name.clone()),
                None => Err("unknown token"),
            };
        }
        if let Some(name) = self.session_name(headers) {
            return Ok(name);
        }
        if cfg.open_on_loopback && peer.ip().is_loopback() {
            return Ok("loopback".into());
        }
        if cfg.public {
            return Ok(format!("public {}", peer.ip()));
        }
        Err("a bearer token is required")
    }

    /// The token name of the browser session the request carries, if it is live.
    fn session_name(&self, headers: &HeaderMap) -> Option<String> {
        let id = session::cookie(headers, session::SESSION_COOKIE)?;
        self.sessions.check(id, &self.node.config.http.tokens, now_ms())
    }

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

/// The configured token whose SHA-256 is that of `token`.
fn configured<'t>(
    tokens: &'t [crate::config::TokenConfig],
    token: &str,
) -> Option<&'t crate::config::TokenConfig> {
    let hash = hex::encode(Sha256::digest(token.trim().as_bytes()));
    tokens.iter().find(|t| t.sha256.eq_ignore_ascii_case(&hash))
}

/// A 303 to `location`.
fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn unauthorized(why: &str) -> Response {
    let mut r = (StatusCode::UNAUTHORIZED, format!("{why}\n")).into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metronode\""));
    r
}

/// The caller of an API route, as the audit log names it (a token's name, `loopback`, or
/// `public …`); a request without a valid token or session is answered 401 before the handler
/// runs.
struct Caller(String);

/// The caller of a page: as [`Caller`], but a browser without a token or session is sent to
/// sign in, and back to the page after.
struct Reader(String);

/// The address a request came from; none (never seen over a socket) counts as remote, so a
/// token is required.
fn peer_of(parts: &axum::http::request::Parts) -> SocketAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Response> {
        s.who(peer_of(parts), &parts.headers).map(Caller).map_err(unauthorized)
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Response> {
        let caller = Caller::from_request_parts(parts, s).await;
        caller.map(|Caller(who)| Reader(who)).map_err(|_| sign_in_first(&parts.uri))
    }
}

/// A page asked for without a token: the browser is sent to sign in, and back here after.
fn sign_in_first(uri: &axum::http::Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    see_other(&format!("/sign-in?{query}"))
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

/// Ready while the store works. A full disk leaves the node ready to serve reads (it says it is
/// read-only); a store that failed a write is not ready until the node restarts.
async fn ready(State(s): State<AppState>) -> Response {
    let store = s.node.log.store();
    if let Some((cause, _)) = store.failed() {
        let text = format!("store read-only since a write failed ({cause}); restart the node\n");
        return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    }
    if let Err(e) = store.writable() {
        return format!("ready, read-only: {e}\n").into_response();
    }
    match store.sync() {
        Ok(()) => "ready\n".into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response(),
    }
}

async fn indicators(State(s): State<AppState>, Caller(who): Caller) -> Response {
    s.audit(&who, "/api/v1/indicators", 200);
    let list: Vec<_> = s
        .node
        .catalogue
        .indicators
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i.id, "name": i.name, "definition": i.definition, "standard": i.standard,
                "unit": i.unit, "aggregation": i.aggregation.as_str(), "dataset": i.dataset,
                "disaggregations": i.disaggregations, "series": i.series.iter().map(|s| &s.code).collect::<Vec<_>>(),
                "rights_areas": i.rights_areas,
            })
        })
        .collect();
    Json(serde_json::json!({ "catalogue_version": s.node.catalogue.version, "indicators": list }))
        .into_response()
}

async fn members(State(s): State<AppState>, Caller(who): Caller) -> Response {
    s.audit(&who, "/api/v1/members", 200);
    Json(serde_json::json!({ "members": dashboard::peer_rows(&s.node) })).into_response()
}

/// This node's metrics: its counters and histograms, and its own gauges.
async fn metrics(State(s): State<AppState>) -> Response {
    let node = s.node.clone();
    let text = tokio::task::spawn_blocking(move || node.log.metrics().render_node(&gauges(&node)))
        .await
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

/// The gauges of `node`'s state now.
fn gauges(node: &Node) -> crate::metrics::NodeGauges {
    let own = node.log.own().clone();
    let now = crate::clock::now_unix_ms();
    let peers = analysis::members(node)
        .into_iter()
        .filter(|m| !m.is_self)
        .filter_map(|m| {
            let id: crate::identity::MemberId = m.id.parse().ok()?;
            let state = node.peers.get(&id);
            Some(crate::metrics::PeerGauge {
                peer: m.id,
                reachable: state.reachable,
                since_sync_seconds: m.last_sync_unix_ms.map(|t| (now - t).max(0) as f64 / 1000.0),
                lag: node.peers.seen(&id).saturating_sub(node.log.size(&id)),
            })
        })
        .collect();
    let records = node.log.origins().into_iter().map(|(o, n, _)| (o.to_string(), n)).collect();
    let budgets = node
        .log
        .store()
        .ledger_entries()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(dataset, period, spent)| {
            let total = node.config.budget_total(&dataset)?;
            Some((dataset, period, total.as_f64(), total.saturating_sub(spent).as_f64()))
        })
        .collect();
    crate::metrics::NodeGauges {
        member: own.to_string(),
        peers,
        records,
        budgets,
        disk_free_bytes: fs2::available_space(&node.dir).ok(),
    }
}

/// Answers a query (off the async executor), or says why not, with its HTTP status: 400 for
/// what the catalogue does not have, 404 for what nobody has published yet.
pub async fn answer(
    node: &Arc<Node>,
    q: &QueryParams,
) -> Result<Arc<analysis::Answered>, (StatusCode, analysis::QueryError)> {
    let query = crate::aggregate::Query {
        indicator: q.indicator.clone(),
        period: q.period.clone(),
        by: q.by.clone(),
        series: q.series.clone(),
    };
    analysis::answer(node, &query).await.map_err(|e| (status_of(&e), e))
}

/// The HTTP status of a query that has no answer.
pub fn status_of(e: &analysis::QueryError) -> StatusCode {
    match e {
        analysis::QueryError::Unknown { .. } => StatusCode::BAD_REQUEST,
        analysis::QueryError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::NOT_FOUND,
    }
}

/// A query error in JSON: the message, and the valid choices where there are some.
fn error_json(e: &analysis::QueryError) -> serde_json::Value {
    match e {
        analysis::QueryError::Unknown { suggestion, choices, .. } => serde_json::json!({
            "error": e.to_string(), "did_you_mean": suggestion, "choices": choices,
        }),
        analysis::QueryError::NoPeriod { periods, .. } => {
            serde_json::json!({ "error": e.to_string(), "periods": periods })
        }
        _ => serde_json::json!({ "error": e.to_string() }),
    }
}

async fn query(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    Query(q): Query<QueryParams>,
) -> Response {
    let result = answer(&s.node, &q).await;
    let status = result.as_ref().map_or_else(|e| e.0.as_u16(), |_| 200);
    s.audit(&who, &what("/api/v1/query", &q), status);
    match result {
        Err((code, e)) => (code, Json(error_json(&e))).into_response(),
        Ok(a) => match format_of(&q.format, &headers) {
            "json" => {
                ([(header::CONTENT_TYPE, "application/json")], a.json().to_owned()).into_response()
            }
            "csv" => {
                let a = &a.answer;
                // Column names in the language asked for (the dashboard's link asks its own).
                let body = to_csv_in(a, Lang::parse(&q.lang));
                file_response(body, &file_name(a, "csv"), "text/csv; charset=utf-8")
            }
            "sdmx-csv" | "sdmx" => {
                let a = &a.answer;
                file_response(to_sdmx_csv(a), &file_name(a, "sdmx.csv"), export::SDMX_CSV)
            }
            "bundle" => bundle_response(&s.node, &q, &a.answer).await,
            other => (
                StatusCode::BAD_REQUEST,
                format!(
                    "unknown format `{}`; use json, csv, sdmx-csv or bundle\n",
                    other.chars().take(20).collect::<String>()
                ),
            )
                .into_response(),
        },
    }
}

/// The proof bundle of an answered query (`crate::bundle`), as a file to keep.
async fn bundle_response(node: &Arc<Node>, q: &QueryParams, a: &Answer) -> Response {
    let query = crate::aggregate::Query {
        indicator: q.indicator.clone(),
        period: q.period.clone(),
        by: q.by.clone(),
        series: q.series.clone(),
    };
    let Ok(query) = analysis::check(&node.catalogue, &query) else {
        return (StatusCode::BAD_REQUEST, "the query does not check\n").into_response();
    };
    let n = node.clone();
    let made = tokio::task::spawn_blocking(move || crate::bundle::make(&n, &query)).await;
    match made {
        Ok(Ok(bundle)) => match serde_json::to_string_pretty(&bundle) {
            Ok(body) => file_response(body, &file_name(a, "bundle.json"), "application/json"),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        other => {
            tracing::error!(error = ?other.map(|r| r.err()), "couldn't make a proof bundle");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the node's log\n")
                .into_response()
        }
    }
}

/// The format asked for: `format=` when given, else by `Accept` (the SDMX-CSV media type,
/// `text/csv`), else JSON.
fn format_of<'a>(format: &'a str, headers: &HeaderMap) -> &'a str {
    if !format.is_empty() {
        return format;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if accept.contains("application/vnd.sdmx.data+csv") {
        "sdmx-csv"
    } else if accept.contains("text/csv") {
        "csv"
    } else {
        "json"
    }
}

/// An export's file name: indicator, period, breakdown and series.
fn file_name(a: &Answer, extension: &str) -> String {
    let by = crate::aggregate::Breakdown::of(&a.by).name();
    format!("{}-{}-by-{by}-{}.{extension}", a.indicator, a.period, a.series)
}

fn file_response(body: String, name: &str, content_type: &'static str) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '/'], "_"));
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
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

/// Filters of the artefact library.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ArtefactFilter {
    /// Member id.
    #[serde(default)]
    pub city: String,
    /// Type (CLI name or code).
    #[serde(default, rename = "type")]
    pub artefact_type: String,
    /// Rights area.
    #[serde(default)]
    pub rights_area: String,
    /// ISO 639-1 language.
    #[serde(default)]
    pub language: String,
    /// The page's language, as for the dashboard.
    #[serde(default)]
    pub lang: String,
}

impl ArtefactFilter {
    fn request(&self) -> crate::pb::ListArtefactsRequest {
        crate::pb::ListArtefactsRequest {
            city: self.city.clone(),
            artefact_type: self.artefact_type.clone(),
            rights_area: self.rights_area.clone(),
            language: self.language.clone(),
        }
    }
}

/// The artefacts held that pass a filter.
pub async fn list_artefacts(node: &Arc<Node>, f: &ArtefactFilter) -> Vec<crate::pb::ArtefactView> {
    let node = node.clone();
    let req = f.request();
    tokio::task::spawn_blocking(move || {
        analysis::artefacts(&node)
            .into_iter()
            .filter(|a| analysis::artefact_matches(a, &req))
            .collect()
    })
    .await
    .unwrap_or_default()
}

/// An artefact view as JSON.
pub fn artefact_json(a: &crate::pb::ArtefactView) -> serde_json::Value {
    let p = a.publication.clone().unwrap_or_default();
    let metadata: serde_json::Value = serde_json::from_str(&p.metadata_json).unwrap_or_default();
    serde_json::json!({
        "origin": a.origin,
        "seq": a.seq,
        "record_hash": a.record_hash,
        "artefact_id": p.artefact_id,
        "type": p.artefact_type,
        "title": p.title,
        "languages": p.languages,
        "rights_areas": p.rights_areas,
        "cc4dr_principles": p.cc4dr_principles,
        "related_indicators": p.related_indicators,
        "sha256": hex::encode(&p.body_sha256),
        "size": p.body_size,
        "media_type": p.media_type,
        "file_name": p.file_name,
        "supersedes_seq": p.supersedes_seq,
        "state": a.state,
        "withdrawal_reason": if a.withdrawal_reason.is_empty() { None } else { Some(&a.withdrawal_reason) },
        "body_verified": a.body_verified,
        "download": format!("/api/v1/artefacts/{}/{}/download", a.origin, a.seq),
        "metadata": metadata,
    })
}

async fn artefacts(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(f): Query<ArtefactFilter>,
) -> Response {
    s.audit(
        &who,
        &format!(
            "/api/v1/artefacts?city={}&type={}&rights_area={}&language={}",
            f.city, f.artefact_type, f.rights_area, f.language
        ),
        200,
    );
    let list: Vec<_> = list_artefacts(&s.node, &f).await.iter().map(artefact_json).collect();
    Json(serde_json::json!({ "artefacts": list })).into_response()
}

async fn download(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((origin, seq)): Path<(String, u64)>,
) -> Response {
    let what =
        format!("/api/v1/artefacts/{}/{seq}/download", origin.chars().take(8).collect::<String>());
    let found = list_artefacts(&s.node, &ArtefactFilter::default())
        .await
        .into_iter()
        .find(|a| a.origin == origin && a.seq == seq);
    let Some(view) = found else {
        s.audit(&who, &what, 404);
        return (StatusCode::NOT_FOUND, "no such artefact\n").into_response();
    };
    let p = view.publication.unwrap_or_default();
    let Ok(hash) = <[u8; 32]>::try_from(p.body_sha256.as_slice()) else {
        return (StatusCode::NOT_FOUND, "no such artefact\n").into_response();
    };
    let node = s.node.clone();
    // Verified again on the way out: a body altered on disk is not served.
    let body = tokio::task::spawn_blocking(move || {
        node.blobs.verify(&hash).then(|| std::fs::read(node.blobs.path(&hash)).ok()).flatten()
    })
    .await
    .ok()
    .flatten();
    let Some(body) = body else {
        s.audit(&who, &what, 404);
        return (
            StatusCode::NOT_FOUND,
            "the document body is not held here (yet) or failed verification\n",
        )
            .into_response();
    };
    s.audit(&who, &what, 200);
    let name: String = p
        .file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' })
        .collect();
    let mut r = body.into_response();
    let h = r.headers_mut();
    // The recorded, sniffed type; never rendered inline, never executed.
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&p.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&hex::encode(hash)) {
        h.insert("x-metronode-sha256", v);
    }
    r
}

async fn artefacts_page(
    State(s): State<AppState>,
    Reader(who): Reader,
    headers: HeaderMap,
    Query(f): Query<ArtefactFilter>,
) -> Response {
    s.audit(&who, "/artefacts", 200);
    let lang = page_language(&f.lang, &headers);
    let page =
        with_account(dashboard::artefacts_page(&s.node, &f, lang).await, &headers, &who, lang);
    let mut r = Html(page).into_response();
    language_headers(&mut r, lang);
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    );
    r
}

/// Where `/sign-in` sends the browser back to.
#[derive(Debug, Default, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// The sign-out form's field.
#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// The sign-in page (or, with a live session, who is signed in and a sign-out button). Sets the
/// CSRF cookie its forms echo.
async fn sign_in_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(n): Query<Next>,
) -> Response {
    let signed_in = s.session_name(&headers);
    sign_in_response(&s, &headers, StatusCode::OK, session::local_path(&n.next), signed_in, "")
}

/// The sign-in page's answer, in the language of the page it leads back to; `message_id` names
/// the message of a refusal, if any.
fn sign_in_response(
    s: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    signed_in: Option<String>,
    message_id: &str,
) -> Response {
    use dashboard::{STYLE, esc};
    // The language of the page the browser is going back to, else of the browser.
    let back: Vec<(String, String)> = next
        .split_once('?')
        .and_then(|(_, q)| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let chosen = back.iter().find(|(k, _)| k == "lang").map_or("", |(_, v)| v.as_str());
    let lang = page_language(chosen, headers);
    let t = |id: &str| esc(&lang.t(id, &[]));
    let csrf = session::cookie(headers, session::CSRF_COOKIE)
        .map_or_else(session::random_hex, str::to_owned);
    let mut page = format!(
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · metronode</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p>{} · {}</p></header><main><section>"#,
        lang.code(),
        t("sign-in"),
        t("sign-in"),
        esc(&s.node.card.name),
        esc(&s.node.card.id)
    );
    if !message_id.is_empty() {
        page.push_str(&format!(r#"<p id="error" role="alert">{}</p>"#, t(message_id)));
    }
    match signed_in {
        Some(name) => page.push_str(&format!(
            r#"<p id="signed-in">{} <a href="{}">{}</a></p><form method="post" action="/sign-out"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">{}</button></form>"#,
            esc(&lang.t("signed-in-as", &[("name", Arg::Text(&name))])),
            esc(next),
            t("continue"),
            t("sign-out")
        )),
        None => {
            let hours = lang.integer((session::SESSION_TTL_MS / 3_600_000) as i64);
            page.push_str(&format!(
                r#"<h2>{}</h2><p>{}</p><form method="post" action="/sign-in"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{}"><label for="token">{}<input id="token" name="token" type="password" autocomplete="current-password" required></label> <button type="submit">{}</button></form>"#,
                t("sign-in-heading"),
                esc(&lang.t("sign-in-intro", &[("hours", Arg::Text(&hours))])),
                esc(next),
                t("token"),
                t("sign-in")
            ))
        }
    }
    page.push_str("</section></main></body></html>");
    let mut r = (status, Html(page)).into_response();
    language_headers(&mut r, lang);
    let h = r.headers_mut();
    h.insert(
        header::SET_COOKIE,
        session::set_cookie(session::CSRF_COOKIE, &csrf, 86_400, session::over_tls(headers)),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Takes a token once and sets the session cookie; the audit log names the token.
async fn sign_in(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let next = session::local_path(&f.next).to_owned();
    if !session::form_ok(&headers, &f.csrf) {
        s.audit(&format!("sign-in from {}", peer.ip()), "/sign-in", 403);
        return sign_in_response(&s, &headers, StatusCode::FORBIDDEN, &next, None, "form-expired");
    }
    let Some(token) = configured(&s.node.config.http.tokens, &f.token) else {
        s.audit(&format!("sign-in from {}", peer.ip()), "/sign-in", 401);
        return sign_in_response(
            &s,
            &headers,
            StatusCode::UNAUTHORIZED,
            &next,
            None,
            "token-unknown",
        );
    };
    let id = s.sessions.open(token, now_ms());
    s.audit(&token.name, "/sign-in", 303);
    let mut r = see_other(&next);
    let (secure, max_age) = (session::over_tls(&headers), session::SESSION_TTL_MS / 1000);
    let cookie = session::set_cookie(session::SESSION_COOKIE, &id, max_age, secure);
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}

/// Ends the browser's session and clears its cookie.
async fn sign_out(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SignOutForm>,
) -> Response {
    if !session::form_ok(&headers, &f.csrf) {
        s.audit(&format!("sign-out from {}", peer.ip()), "/sign-out", 403);
        return (StatusCode::FORBIDDEN, "the form had expired or came from another site\n")
            .into_response();
    }
    if let Some(name) = s.session_name(&headers) {
        s.audit(&name, "/sign-out", 303);
    }
    if let Some(id) = session::cookie(&headers, session::SESSION_COOKIE) {
        s.sessions.close(id);
    }
    let mut r = see_other("/sign-in");
    let cookie = session::set_cookie(session::SESSION_COOKIE, "", 0, session::over_tls(&headers));
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}
