//! Proof bundles: one metropolitan answer with everything needed to check it offline, with
//! nothing but the file (and, to anchor trust, the member cards one already holds).
//!
//! A bundle (JSON, `FORMAT`) holds the query; the answer as computed; for every log the node
//! holds, its signed tree head and, each with its inclusion proof against that head, every
//! membership record (proposals and approvals, from the founding on) and every release of the
//! queried indicator; and the members as the serving node saw them (names, last sync, evidence
//! against their logs), with the time of the answer and the node's staleness and evidence
//! settings. [`verify`] replays the membership from the founding manifest (each founding
//! proposal verified under the key that manifest lists for its proposer, every later record
//! under the keys the membership in effect gives), checks every record's signature, its
//! position and its inclusion under a signed tree head, recomputes the answer from the
//! releases (the latest of each city and period) with the same code the node answers with, and
//! compares it with the bundle's whole. What it cannot check is what the serving node says of
//! freshness and evidence, which decides coverage and who is left out: those are its claims,
//! named in the report.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::{
    aggregate::{self, Member, Query},
    analysis,
    catalogue::Catalogue,
    federation::Membership,
    identity::MemberId,
    log, merkle,
    node::Node,
    pb::{self, record_body::Payload},
    record,
};

/// The format tag of a bundle.
pub const FORMAT: &str = "metronode-proof-bundle/v1";

/// One answer and its proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    /// `FORMAT`.
    pub format: String,
    /// What was asked (checked, in the catalogue's spelling).
    pub query: BundleQuery,
    /// When the answer was computed (dates staleness).
    pub answered_at_unix_ms: i64,
    /// The serving node's `[federation] stale_after_ms`.
    pub stale_after_ms: i64,
    /// The serving node's `[federation] include_members_with_evidence`.
    pub include_members_with_evidence: bool,
    /// The members as the serving node saw them: its claims.
    pub members: Vec<BundleMember>,
    /// Every log held: its signed tree head and the records the answer rests on.
    pub logs: Vec<BundleLog>,
    /// The answer, as the API serves it in JSON.
    pub answer: serde_json::Value,
}

/// The query of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleQuery {
    /// Indicator id.
    pub indicator: String,
    /// Period (empty: the default period).
    pub period: String,
    /// Breakdown (empty: by city).
    pub by: String,
    /// Series (empty: the headline).
    pub series: String,
}

/// A member as the serving node saw it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleMember {
    /// Member id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Last successful sync with it (Unix ms), if any.
    pub last_sync_unix_ms: Option<i64>,
    /// Whether it is the serving node.
    pub is_self: bool,
    /// Kinds of evidence the serving node holds against its log.
    pub evidence: Vec<String>,
}

/// One log's part of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleLog {
    /// Member id of the log's origin.
    pub origin: String,
    /// The origin's signed tree head (`pb::SignedTreeHead`, base64).
    pub tree_head: String,
    /// The records, in log order.
    pub records: Vec<BundleRecord>,
    /// Other members' witness statements of exactly this tree head, each with its C2SP
    /// cosignature of the checkpoint (`pb::SignedWitnessStatement`, base64).
    #[serde(default)]
    pub witnesses: Vec<String>,
}

/// One record with its inclusion proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleRecord {
    /// Position in the log.
    pub seq: u64,
    /// The signed record (`pb::SignedRecord`, base64), as the origin signed it.
    pub envelope: String,
    /// Audit path against the tree head (base64 hashes, leaf upwards).
    pub proof: Vec<String>,
}

/// What a verified bundle says.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Manifest version in effect (0: no federation, the pinned cards gave the keys).
    pub version: u64,
    /// Members of that version.
    pub members: Vec<String>,
    /// Records checked (signature, position, inclusion).
    pub records: usize,
    /// Releases the answer was recomputed from.
    pub releases: usize,
    /// Members the serving node said were stale or held evidence against: its claims.
    pub claimed: Vec<String>,
    /// Per log, the members whose cosignature of its tree head verified.
    pub witnessed: BTreeMap<String, Vec<String>>,
}

/// Makes the bundle of a checked query at `node`, from the records its tree heads cover.
pub fn make(node: &Node, q: &Query) -> Result<Bundle, String> {
    let mut logs = Vec::new();
    for (origin, _, _) in node.log.origins() {
        let Ok(head) = node.log.tree_head(&origin) else { continue };
        let mut records = Vec::new();
        for item in node.log.stored(&origin, 0).take(head.size as usize) {
            let (seq, envelope) = item.map_err(|e| format!("reading {origin}'s log: {e}"))?;
            if !wanted(&envelope, &q.indicator) {
                continue;
            }
            let (_, path) = node
                .log
                .inclusion_proof(&origin, seq, head.size)
                .map_err(|e| format!("proving {origin}/{seq}: {e}"))?;
            records.push(BundleRecord {
                seq,
                envelope: B64.encode(&envelope),
                proof: path.iter().map(|h| B64.encode(h)).collect(),
            });
        }
        let witnesses = node
            .log
            .cosigning_statements(&origin, head.size, &head.root)
            .into_iter()
            .map(|(bytes, _, _)| B64.encode(bytes))
            .collect();
        logs.push(BundleLog {
            origin: origin.to_string(),
            tree_head: B64.encode(&head.signed),
            records,
            witnesses,
        });
    }
    let members = analysis::members(node)
        .into_iter()
        .map(|m| BundleMember {
            id: m.id,
            name: m.name,
            last_sync_unix_ms: m.last_sync_unix_ms,
            is_self: m.is_self,
            evidence: m.evidence,
        })
        .collect();
    let mut bundle = Bundle {
        format: FORMAT.into(),
        query: BundleQuery {
            indicator: q.indicator.clone(),
            period: q.period.clone(),
            by: q.by.clone(),
            series: q.series.clone(),
        },
        answered_at_unix_ms: crate::clock::now_unix_ms(),
        stale_after_ms: node.config.federation.stale_after_ms as i64,
        include_members_with_evidence: node.config.federation.include_members_with_evidence,
        members,
        logs,
        answer: serde_json::Value::Null,
    };
    // The answer from exactly what the bundle holds, by the code `verify` runs.
    // A node outside any federation vouches for its own key, as its card does.
    let own = match node.membership().active() {
        Some(_) => Vec::new(),
        None => vec![node.card.clone()],
    };
    let (answer, _) = replay(&bundle, &node.catalogue, &own)?;
    bundle.answer = answer;
    Ok(bundle)
}

/// Whether a stored record goes into a bundle about `indicator`: membership records, and
/// releases of the indicator.
fn wanted(envelope: &[u8], indicator: &str) -> bool {
    let Ok(signed) = pb::SignedRecord::decode(envelope) else { return false };
    let Ok(body) = pb::RecordBody::decode(&signed.body[..]) else { return false };
    match body.payload {
        Some(Payload::ManifestProposal(_) | Payload::ManifestApproval(_)) => true,
        Some(Payload::IndicatorRelease(r)) => r.indicator_id == indicator,
        _ => false,
    }
}

/// Verifies a bundle offline; with `pinned` member cards, the founding manifest must list
/// each pinned member with the pinned signing key. The error names the first thing that does
/// not hold.
pub fn verify(
    bundle: &Bundle,
    catalogue: &Catalogue,
    pinned: &[pb::MemberCard],
) -> Result<Verified, String> {
    if bundle.format != FORMAT {
        return Err(format!("format `{}` is not {FORMAT}", bundle.format));
    }
    let (answer, verified) = replay(bundle, catalogue, pinned)?;
    if answer != bundle.answer {
        return Err(difference(&bundle.answer, &answer, "answer"));
    }
    Ok(verified)
}

/// Where two answers first differ, as `answer.field[i]...: bundle says X, the releases give Y`.
fn difference(said: &serde_json::Value, got: &serde_json::Value, at: &str) -> String {
    use serde_json::Value;
    match (said, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return difference(v, w, &format!("{at}.{k}")),
                    None => return format!("{at}.{k}: the releases give no such field"),
                }
            }
            match b.keys().find(|k| !a.contains_key(*k)) {
                Some(k) => format!("{at}.{k}: missing from the bundle's answer"),
                None => format!("{at}: differs"),
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            match a.iter().zip(b).enumerate().find(|(_, (v, w))| v != w) {
                Some((i, (v, w))) => difference(v, w, &format!("{at}[{i}]")),
                None => format!("{at}: differs"),
            }
        }
        _ => format!("{at}: the bundle says {said}, its releases give {got}"),
    }
}

/// A record of a bundle, decoded but not yet verified.
struct Pending<'b> {
    origin: MemberId,
    seq: u64,
    envelope: Vec<u8>,
    /// The signed body (its leaf hash is the record hash).
    body: prost::bytes::Bytes,
    proof: &'b [String],
    payload: Payload,
}

/// Checks every record and recomputes the answer from them.
fn replay(
    bundle: &Bundle,
    catalogue: &Catalogue,
    pinned: &[pb::MemberCard],
) -> Result<(serde_json::Value, Verified), String> {
    let b64 = |what: &str, s: &str| B64.decode(s).map_err(|_| format!("{what}: not base64"));
    let logs = bundle
        .logs
        .iter()
        .map(|l| l.origin.parse().map(|o: MemberId| (o, l)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("a log's origin: {e}"))?;
    let mut pending = Vec::new();
    for (origin, l) in &logs {
        for r in &l.records {
            let at = format!("record {origin}/{}", r.seq);
            let envelope = b64(&at, &r.envelope)?;
            let signed = pb::SignedRecord::decode(envelope.as_slice())
                .map_err(|_| format!("{at}: not a signed record"))?;
            let payload = pb::RecordBody::decode(&signed.body[..])
                .ok()
                .and_then(|b| b.payload)
                .ok_or_else(|| format!("{at}: no payload this version reads"))?;
            pending.push(Pending {
                origin: origin.clone(),
                seq: r.seq,
                envelope,
                body: signed.body,
                proof: &r.proof,
                payload,
            });
        }
    }
    // The membership, from the founding on: a founding proposal under the key its own manifest
    // lists for the proposer, every other record under the keys the membership gives.
    let mut membership = Membership::default();
    // Each record verified once: the membership's here, the rest below.
    let mut opened: Vec<Option<record::Record>> = pending.iter().map(|_| None).collect();
    loop {
        let mut progress = false;
        for (i, p) in pending.iter().enumerate() {
            if opened[i].is_some()
                || !matches!(p.payload, Payload::ManifestProposal(_) | Payload::ManifestApproval(_))
            {
                continue;
            }
            let mut keys = membership.keys_of(&p.origin);
            if keys.is_empty()
                && let Payload::ManifestProposal(m) = &p.payload
                && let Ok(m) = crate::federation::Manifest::decode(&m.manifest)
                && m.body.version == 1
            {
                keys = m
                    .member(&p.origin)
                    .and_then(|c| crate::identity::NodeId::from_bytes(&c.signing_public_key))
                    .into_iter()
                    .collect();
            }
            if keys.is_empty() {
                continue;
            }
            opened[i] = Some(open(p, &keys)?);
            membership.observe(&p.origin, &p.payload);
            progress = true;
        }
        if !progress {
            break;
        }
    }
    // A city outside any federation has no manifest: its pinned card gives its key.
    let active = membership.active().cloned();
    if active.is_none() && pinned.is_empty() {
        return Err("the bundle puts no federation manifest into effect; pin the city's card \
                    (--cards) to verify its releases"
            .into());
    }
    let keys_of = |origin: &MemberId| match membership.keys_of(origin) {
        keys if !keys.is_empty() || active.is_some() => keys,
        _ => pinned
            .iter()
            .filter(|c| c.id == origin.as_str())
            .filter_map(|c| crate::identity::NodeId::from_bytes(&c.signing_public_key))
            .collect(),
    };
    if let Some(founding) = membership.history().first() {
        for card in pinned {
            let listed = founding.body.members.iter().find(|c| c.id == card.id);
            if listed.map(|c| &c.signing_public_key) != Some(&card.signing_public_key) {
                return Err(format!(
                    "the founding manifest does not list {} with the pinned card's signing key",
                    card.id
                ));
            }
        }
    }
    // Every record: signature, position, inclusion under its log's signed tree head.
    let mut heads = BTreeMap::new();
    for (origin, l) in &logs {
        let keys = keys_of(origin);
        let bytes = b64(&format!("tree head of {origin}"), &l.tree_head)?;
        let head = log::decode_tree_head(&bytes, origin, &keys)
            .map_err(|e| format!("tree head of {origin}: {e}"))?;
        heads.insert(origin, head);
    }
    // Witnesses: members' statements of exactly these heads, signed and cosigned.
    let mut witnessed = BTreeMap::new();
    for (origin, l) in &logs {
        let head = &heads[&origin];
        let mut by = Vec::new();
        for (i, w) in l.witnesses.iter().enumerate() {
            let at = format!("witness statement {i} of {origin}");
            let signed = pb::SignedWitnessStatement::decode(b64(&at, w)?.as_slice())
                .map_err(|_| format!("{at}: not a witness statement"))?;
            let body = pb::WitnessStatement::decode(&signed.body[..])
                .map_err(|_| format!("{at}: not a witness statement"))?;
            let witness: MemberId = body.witness.parse().map_err(|e| format!("{at}: {e}"))?;
            let same = body.origin == origin.as_str()
                && body.size == head.size
                && body.root_hash == head.root.as_slice();
            let signed_ok = keys_of(&witness).iter().any(|k| {
                k.verify(crate::identity::Domain::Witness, &signed.body, &signed.signature).is_ok()
                    && crate::checkpoint::cosignature_ok(
                        origin,
                        head.size,
                        &head.root,
                        k,
                        &signed.cosignature,
                    )
            });
            if !same || !signed_ok {
                return Err(format!("{at} ({witness}): not a valid cosignature of this tree head"));
            }
            by.push(witness.to_string());
        }
        by.sort();
        by.dedup();
        witnessed.insert(origin.to_string(), by);
    }
    let mut releases = BTreeMap::new();
    for (p, rec) in pending.iter().zip(opened) {
        let keys = keys_of(&p.origin);
        let rec = match rec {
            Some(rec) => rec,
            None => open(p, &keys)?,
        };
        let head = &heads[&p.origin];
        let at = format!("record {}/{}", p.origin, p.seq);
        let path = p.proof.iter().map(|h| b64(&at, h)).collect::<Result<Vec<_>, _>>()?;
        merkle::verify_inclusion(&rec.hash, p.seq, head.size, &path, &head.root)
            .map_err(|e| format!("{at}: not included under the tree head at {}: {e}", head.size))?;
        if let Payload::IndicatorRelease(r) = &p.payload {
            let signer = keys.first().map(|k| k.to_string()).unwrap_or_default();
            let release = analysis::city_release(&p.origin, p.seq, &p.body, &signer, r.clone());
            let key = (release.city.clone(), release.indicator.clone(), release.period.clone());
            // The latest of each city, indicator and period, as the node's index keeps it.
            if releases.get(&key).is_none_or(|(seq, _)| *seq < p.seq) {
                releases.insert(key, (p.seq, release));
            }
        }
    }
    let releases: Vec<aggregate::CityRelease> = releases.into_values().map(|(_, r)| r).collect();
    let trusted = membership.trusted();
    let members: Vec<Member> = bundle
        .members
        .iter()
        .filter(|m| {
            m.is_self
                || m.id.parse().is_ok_and(|id: MemberId| trusted.contains_key(&id))
                || (active.is_none() && pinned.iter().any(|c| c.id == m.id))
        })
        .map(|m| Member {
            id: m.id.clone(),
            name: m.name.clone(),
            last_sync_unix_ms: m.last_sync_unix_ms,
            is_self: m.is_self,
            evidence: m.evidence.clone(),
        })
        .collect();
    let q = Query {
        indicator: bundle.query.indicator.clone(),
        period: bundle.query.period.clone(),
        by: bundle.query.by.clone(),
        series: bundle.query.series.clone(),
    };
    let answer = aggregate::answer(
        &q,
        analysis::reading_in(catalogue, &q),
        &releases,
        &members,
        bundle.answered_at_unix_ms,
        bundle.stale_after_ms,
        bundle.include_members_with_evidence,
    )
    .map_err(|why| format!("the releases give no answer: {why:?}"))?;
    // Through text, as the bundle's answer came: both then read their numbers alike.
    let text = serde_json::to_string(&answer).map_err(|e| e.to_string())?;
    let answer = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let claimed = members
        .iter()
        .filter(|m| {
            !m.is_self
                && (!m.evidence.is_empty()
                    || m.last_sync_unix_ms
                        .is_none_or(|t| bundle.answered_at_unix_ms - t > bundle.stale_after_ms))
        })
        .map(|m| m.id.clone())
        .collect();
    let verified = Verified {
        version: active.as_ref().map_or(0, |a| a.body.version),
        members: match &active {
            Some(a) => a.body.members.iter().map(|c| c.id.clone()).collect(),
            None => pinned.iter().map(|c| c.id.clone()).collect(),
        },
        records: pending.len(),
        releases: releases.len(),
        claimed,
        witnessed,
    };
    Ok((answer, verified))
}

/// Verifies one record's signature under `keys` and that it sits where the bundle says.
fn open(p: &Pending<'_>, keys: &[crate::identity::NodeId]) -> Result<record::Record, String> {
    let at = format!("record {}/{}", p.origin, p.seq);
    let rec = record::open_any(&p.envelope, &p.origin, keys).map_err(|e| format!("{at}: {e}"))?;
    if rec.seq != p.seq {
        return Err(format!("{at}: the record says it is at {}", rec.seq));
    }
    Ok(rec)
}
