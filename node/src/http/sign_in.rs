//! Browser sign-in: `/sign-in` takes a token once for a session cookie, `/sign-out` ends it.

use super::*;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form};

use super::caller::configured;

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
pub(super) async fn sign_in_page(
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
pub(super) async fn sign_in(
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
pub(super) async fn sign_out(
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
