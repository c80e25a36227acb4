//! The analyst API: `/api/v1/query` (JSON, CSV, SDMX-CSV or a proof bundle),
//! `/api/v1/indicators` and `/api/v1/members`.

use super::*;

use axum::Json;

use super::caller::Caller;

use crate::{
    aggregate::Answer,
    analysis,
    export::{self, to_csv_in, to_sdmx_csv},
};

pub(super) async fn indicators(State(s): State<AppState>, Caller(who): Caller) -> Response {
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

pub(super) async fn members(State(s): State<AppState>, Caller(who): Caller) -> Response {
    s.audit(&who, "/api/v1/members", 200);
    Json(serde_json::json!({ "members": dashboard::peer_rows(&s.node) })).into_response()
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

pub(super) async fn query(
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
