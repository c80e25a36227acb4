//! The operator's routes: Prometheus `/metrics` with the node's gauges, and the `/readyz` probe.

use super::*;

use crate::analysis;

/// Ready while the store works. A full disk leaves the node ready to serve reads (it says it is
/// read-only); a store that failed a write is not ready until the node restarts.
pub(super) async fn ready(State(s): State<AppState>) -> Response {
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

/// This node's metrics: its counters and histograms, and its own gauges.
pub(super) async fn metrics(State(s): State<AppState>) -> Response {
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
            let state = node.peers.status(&id);
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
