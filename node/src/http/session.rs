//! Browser sign-in: an analyst types a token once at `/sign-in` and gets a session cookie, since a
//! browser cannot send a bearer header. Sessions live in memory (a restart signs everyone out),
//! are kept by the SHA-256 of their id, expire after `SESSION_TTL_MS`, and end as soon as their
//! token is no longer configured. Forms that change state carry a double-submit CSRF token and
//! must come from the node's own origin.

use std::{collections::HashMap, sync::Mutex};

use axum::http::{HeaderMap, HeaderValue, header};
use rand_core::RngCore;
use sha2::{Digest, Sha256};

use crate::config::TokenConfig;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "metronode_session";
/// The CSRF cookie's name (its value is also a hidden field of every form that changes state).
pub const CSRF_COOKIE: &str = "metronode_csrf";
/// How long a session lasts from sign-in.
pub const SESSION_TTL_MS: u64 = 8 * 3600 * 1000;
/// The most sessions held; beyond, the one closest to expiring is dropped.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    /// The token's configured SHA-256: the session ends when no configured token has it.
    token_sha256: String,
    /// The token's name, written to the audit log.
    name: String,
    expires_ms: u64,
}

/// The open sessions, by the SHA-256 of their id.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for a token; returns its id (the cookie's value).
    pub fn open(&self, token: &TokenConfig, now_ms: u64) -> String {
        let id = random_hex();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| s.expires_ms > now_ms);
        if open.len() >= MAX_SESSIONS
            && let Some(k) = open.iter().min_by_key(|(_, s)| s.expires_ms).map(|(k, _)| k.clone())
        {
            open.remove(&k);
        }
        let session = Session {
            token_sha256: token.sha256.to_ascii_lowercase(),
            name: token.name.clone(),
            expires_ms: now_ms + SESSION_TTL_MS,
        };
        open.insert(digest(&id), session);
        id
    }

    /// The token name of a live session whose token is still configured.
    pub fn check(&self, id: &str, tokens: &[TokenConfig], now_ms: u64) -> Option<String> {
        let key = digest(id);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let s = open.get(&key)?;
        let configured = tokens.iter().any(|t| t.sha256.eq_ignore_ascii_case(&s.token_sha256));
        if s.expires_ms <= now_ms || !configured {
            open.remove(&key);
            return None;
        }
        Some(s.name.clone())
    }

    /// Ends a session.
    pub fn close(&self, id: &str) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).remove(&digest(id));
    }
}

fn digest(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// 32 random bytes from the OS, in hex.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The value of cookie `name` in the request, if it is 64 hex digits (as this node makes them).
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the browser reached the node over TLS: a TLS-terminating proxy or ingress in front of
/// it says so in `X-Forwarded-Proto`. Cookies are then `Secure`.
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for the whole site, lasting `max_age_s`
/// (0 clears it), Secure over TLS.
pub fn set_cookie(name: &str, value: &str, max_age_s: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    // Unwrap safety: names are constants and values hex digits.
    HeaderValue::from_str(&text).expect("a cookie of ASCII")
}

/// Whether a state-changing request comes from the node's own pages: its `Origin` (sent by
/// browsers on every POST), when present, names the host the request was sent to, and
/// `Sec-Fetch-Site`, when present, says same-origin.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |h| headers.get(h).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    match (text("origin"), text("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
        }
        (Some(_), None) => false,
    }
}

/// Whether a state-changing form may be acted on: from the node's own origin, with the CSRF
/// field matching the cookie.
pub fn form_ok(headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers) && csrf_ok(headers, csrf)
}

/// Whether the form's CSRF field matches the CSRF cookie (compared as digests, so the time taken
/// tells nothing of the cookie).
pub fn csrf_ok(headers: &HeaderMap, field: &str) -> bool {
    cookie(headers, CSRF_COOKIE).is_some_and(|c| digest(c) == digest(field))
}

/// Where to go after signing in: a path on this site, never another host.
pub fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if ok && next.bytes().all(|b| b.is_ascii_graphic()) { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, secret: &str) -> TokenConfig {
        TokenConfig { name: name.into(), sha256: digest(secret) }
    }

    #[test]
    fn a_session_ends_when_it_expires_is_closed_or_its_token_goes() {
        let sessions = Sessions::default();
        let t = token("analyst", "secret");
        let tokens = vec![t.clone()];
        let id = sessions.open(&t, 1_000);
        assert_eq!(sessions.check(&id, &tokens, 2_000).as_deref(), Some("analyst"));
        assert_eq!(sessions.check(&random_hex(), &tokens, 2_000), None);
        assert_eq!(sessions.check(&id, &tokens, 1_000 + SESSION_TTL_MS), None, "expired");
        let id = sessions.open(&t, 1_000);
        assert_eq!(sessions.check(&id, &[token("other", "x")], 2_000), None, "token revoked");
        assert_eq!(sessions.check(&id, &tokens, 2_000), None, "and it stays ended");
        let id = sessions.open(&t, 1_000);
        sessions.close(&id);
        assert_eq!(sessions.check(&id, &tokens, 2_000), None, "signed out");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/?indicator=DRI-USE-01&by=sex"), "/?indicator=DRI-USE-01&by=sex");
        assert_eq!(local_path("/artefacts"), "/artefacts");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", "", "/a b"] {
            assert_eq!(local_path(bad), "/", "{bad}");
        }
    }

    #[test]
    fn cross_site_posts_are_told_apart() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("city.example:7480"));
        assert!(same_origin(&h), "no Origin: not a browser's cross-site form");
        h.insert("origin", HeaderValue::from_static("https://city.example:7480"));
        assert!(same_origin(&h));
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&h));
        h.insert("origin", HeaderValue::from_static("https://city.example:7480"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn cookies_are_read_only_as_this_node_writes_them() {
        let id = random_hex();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {SESSION_COOKIE}={id}")).unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some(id.as_str()));
        h.insert(header::COOKIE, HeaderValue::from_static("metronode_session=short"));
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
        let c = set_cookie(SESSION_COOKIE, &id, 60, true);
        let c = c.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Secure", "Max-Age=60", "Path=/"] {
            assert!(c.contains(part), "{c}");
        }
    }
}
