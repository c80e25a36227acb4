//! Who is asking: the bearer token or browser session of a request, checked before a handler
//! runs ([`Caller`] for the API, [`Reader`] for pages, which sends a browser to sign in).

use super::*;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use sha2::{Digest, Sha256};

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
    pub(super) fn session_name(&self, headers: &HeaderMap) -> Option<String> {
        let id = session::cookie(headers, session::SESSION_COOKIE)?;
        self.sessions.check(id, &self.node.config.http.tokens, now_ms())
    }
}

/// The configured token whose SHA-256 is that of `token`.
pub(super) fn configured<'t>(
    tokens: &'t [crate::config::TokenConfig],
    token: &str,
) -> Option<&'t crate::config::TokenConfig> {
    let hash = hex::encode(Sha256::digest(token.trim().as_bytes()));
    tokens.iter().find(|t| t.sha256.eq_ignore_ascii_case(&hash))
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
pub(super) struct Caller(pub(super) String);

/// The caller of a page: as [`Caller`], but a browser without a token or session is sent to
/// sign in, and back to the page after.
pub(super) struct Reader(pub(super) String);

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
