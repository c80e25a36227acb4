//! The public, read-only transparency interface: every log this node holds in the C2SP
//! formats, for tools the project did not write. `GET /log/` lists the logs with their
//! checkpoint origins and verifier keys; under `/log/<member>/`: `checkpoint` (C2SP
//! tlog-checkpoint, a signed note by the member's key, with the C2SP tlog-cosignature/v1 lines
//! of the other members that witnessed that very checkpoint), `tile/<L>/<N>[.p/<W>]` (hash tiles of
//! height 8) and `tile/entries/<N>[.p/<W>]` (the leaves: each record's body, the bytes its
//! leaf hash covers), and `vkey` (the signed-note verifier key). Beside the C2SP files, for
//! the records' own signatures: `signatures/<N>[.p/<W>]` (the 64-byte ed25519 signatures of
//! entry bundle N's entries, in order, each over `metronode/v1/record\0` and the entry, by the
//! key in `vkey` or one the member held before) and `entry/<seq>` (one entry's bytes, for a
//! record too long for an entry bundle).
//!
//! Open to anyone, whatever the API's token settings: logs hold published releases and
//! documents only. Tiles never change once served, so they go out with long cache headers and
//! a static mirror or CDN can serve a city's log.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use prost::Message;

use crate::{checkpoint, identity::MemberId, node::Node, pb};

/// The transparency routes, on their own state.
pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/log/", get(logs))
        .route("/log/{origin}/checkpoint", get(checkpoint_note))
        .route("/log/{origin}/vkey", get(vkey))
        .route("/log/{origin}/tile/{*path}", get(tile))
        .route("/log/{origin}/signatures/{*path}", get(signatures))
        .route("/log/{origin}/entry/{seq}", get(entry))
        .with_state(node)
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn not_found(why: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("{why}\n")).into_response()
}

fn member(origin: &str) -> Option<MemberId> {
    origin.parse().ok()
}

async fn logs(State(node): State<Arc<Node>>) -> Response {
    let list: Vec<serde_json::Value> = node
        .log
        .origins()
        .into_iter()
        .map(|(origin, size, _)| {
            let first = node.keys_of(&origin).into_iter().next();
            let vkey = first.as_ref().map(|k| checkpoint::verifier_key(&origin, k));
            let cosigner = first.as_ref().map(|k| checkpoint::cosigner_key(&origin, k));
            serde_json::json!({
                "member": origin.as_str(),
                "checkpoint_origin": checkpoint::origin(&origin),
                "size": size,
                "verifier_key": vkey,
                "cosigner_key": cosigner,
                "checkpoint": format!("/log/{origin}/checkpoint"),
            })
        })
        .collect();
    Json(serde_json::json!({ "logs": list })).into_response()
}

async fn vkey(State(node): State<Arc<Node>>, Path(origin): Path<String>) -> Response {
    let Some(origin) = member(&origin) else { return not_found("not a member id") };
    match node.keys_of(&origin).first() {
        Some(k) => format!("{}\n", checkpoint::verifier_key(&origin, k)).into_response(),
        None => not_found("no key is known for that member"),
    }
}

/// The latest checkpoint held: the origin's signed tree head, as a signed note.
async fn checkpoint_note(State(node): State<Arc<Node>>, Path(origin): Path<String>) -> Response {
    let Some(origin) = member(&origin) else { return not_found("not a member id") };
    let Ok(head) = node.log.tree_head(&origin) else {
        return not_found("no log of that member is held here");
    };
    let Ok(signed) = pb::SignedTreeHead::decode(head.signed.as_slice()) else {
        return not_found("the held tree head does not decode");
    };
    if signed.checkpoint_signature.is_empty() {
        return not_found("the member has not signed a checkpoint yet (an earlier version)");
    }
    let text = checkpoint::body(&origin, head.size, &head.root);
    // The key that signed it (a member's earlier key, after a rotation, for an old head).
    let Some(key) = node
        .keys_of(&origin)
        .into_iter()
        .find(|k| k.verify_note(&text, &signed.checkpoint_signature).is_ok())
    else {
        return not_found("no known key of the member verifies the checkpoint");
    };
    let mut note =
        checkpoint::note(&origin, head.size, &head.root, &key, &signed.checkpoint_signature);
    for line in cosignatures(&node, &origin, head.size, &head.root) {
        note.push_str(&line);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        note,
    )
        .into_response()
}

/// The C2SP tlog-cosignature/v1 lines of the other members that witnessed exactly this
/// checkpoint (same size and root), each verified under a key the witness holds.
fn cosignatures(
    node: &Node,
    origin: &MemberId,
    size: u64,
    root: &crate::merkle::Hash,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (_, signed, body) in node.log.cosigning_statements(origin, size, root) {
        let Ok(witness) = body.witness.parse::<MemberId>() else { continue };
        let key = node
            .keys_of(&witness)
            .into_iter()
            .find(|k| checkpoint::cosignature_ok(origin, size, root, k, &signed.cosignature));
        if let Some(key) = key {
            lines.push(checkpoint::cosignature_line(&witness, &key, &signed.cosignature));
        }
    }
    lines.sort();
    lines
}

async fn tile(
    State(node): State<Arc<Node>>,
    Path((origin, path)): Path<(String, String)>,
) -> Response {
    let Some(origin) = member(&origin) else { return not_found("not a member id") };
    let tile = match checkpoint::parse_tile(&path) {
        Ok(t) => t,
        Err(why) => return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response(),
    };
    let body = match tile.level {
        Some(level) => node
            .log
            .tile_hashes(&origin, level, tile.index, tile.count())
            .map(|hashes| hashes.concat()),
        None => {
            let leaves = signed(&node, origin, tile.first(), tile.count()).await;
            let bodies = leaves.map(|l| l.into_iter().map(|r| r.body).collect::<Vec<_>>());
            match bodies.map(|b| checkpoint::entry_bundle(&b)) {
                Some(Some(bundle)) => Some(bundle),
                Some(None) => {
                    return (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "an entry of this bundle is longer than 65,535 bytes, which entry bundles cannot carry; read each entry at entry/<seq>\n",
                    )
                        .into_response();
                }
                None => None,
            }
        }
    };
    immutable(body, "that tile is not complete in the log held here")
}

/// The signed records `start..start+count` of `origin`'s log, when all are held.
async fn signed(
    node: &Arc<Node>,
    origin: MemberId,
    start: u64,
    count: u64,
) -> Option<Vec<pb::SignedRecord>> {
    let n = node.clone();
    tokio::task::spawn_blocking(move || n.log.leaves(&origin, start, count))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
}

/// Bytes that never change once served, or a 404 saying why there are none.
fn immutable(body: Option<impl Into<Body>>, missing: &str) -> Response {
    match body {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, IMMUTABLE),
            ],
            bytes.into(),
        )
            .into_response(),
        None => not_found(missing),
    }
}

/// `signatures/<N>[.p/<W>]`: the signatures of entry bundle N's entries, 64 bytes each.
async fn signatures(
    State(node): State<Arc<Node>>,
    Path((origin, path)): Path<(String, String)>,
) -> Response {
    let Some(origin) = member(&origin) else { return not_found("not a member id") };
    let tile = match checkpoint::parse_tile(&format!("entries/{path}")) {
        Ok(t) => t,
        Err(why) => return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response(),
    };
    let leaves = signed(&node, origin, tile.first(), tile.count()).await;
    let body = leaves.map(|l| l.into_iter().flat_map(|r| r.signature).collect::<Vec<u8>>());
    immutable(body, "those entries are not all in the log held here")
}

/// `entry/<seq>`: one entry's bytes, whatever their length.
async fn entry(
    State(node): State<Arc<Node>>,
    Path((origin, seq)): Path<(String, String)>,
) -> Response {
    let Some(origin) = member(&origin) else { return not_found("not a member id") };
    let Ok(seq) = seq.parse::<u64>() else {
        return (StatusCode::BAD_REQUEST, "the position is a number\n").into_response();
    };
    let leaf = signed(&node, origin, seq, 1).await;
    // A copy: the body read is a slice of a chunk of the record file, which a slow client would
    // otherwise keep alive until the reply is sent.
    let body = leaf.and_then(|l| l.into_iter().next()).map(|r| r.body.to_vec());
    immutable(body, "that entry is not in the log held here")
}
