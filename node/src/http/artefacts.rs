//! The artefact library over HTTP: its filter and listing, `/api/v1/artefacts` and the
//! verified download of a document's body, and the `/artefacts` page.

use super::*;

use axum::{Json, extract::Path};

use super::caller::Caller;

use crate::analysis;

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

pub(super) async fn artefacts(
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

pub(super) async fn download(
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

pub(super) async fn artefacts_page(
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
