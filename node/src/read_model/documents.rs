//! The documents index: every artefact version the logs held publish, with the events that
//! decide its state, read on from where it stopped. The publisher, the sync's list of bodies
//! still wanted, the HTTP and gRPC listings all read this one index.

use std::{collections::BTreeMap, sync::Mutex};

use crate::{
    artefact::{Event, State},
    identity::MemberId,
    log::{Log, kind},
    merkle, pb,
};

/// One artefact version as a log published it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The member whose log published it.
    pub origin: MemberId,
    /// Its record's position in that log.
    pub seq: u64,
    /// The record's hash (hex), which names this version.
    pub record_hash: String,
    /// What the record says.
    pub publication: pb::ArtefactPublication,
    /// Its state after every record of its origin read so far (`None` only for a version that
    /// no rule could place, which the states of `artefact::states` never leave out).
    pub state: Option<State>,
}

impl Document {
    /// The body's SHA-256, when the publication carries a well-formed one.
    pub fn body_sha256(&self) -> Option<[u8; 32]> {
        <[u8; 32]>::try_from(self.publication.body_sha256.as_slice()).ok()
    }

    /// Whether a later record of its origin withdrew it.
    pub fn withdrawn(&self) -> bool {
        matches!(self.state, Some(State::Withdrawn(_)))
    }
}

/// One origin's publications and withdrawals, read up to `next`.
#[derive(Debug, Default)]
struct Origin {
    next: u64,
    events: Vec<Event>,
    /// Position, record hash and publication of each version.
    publications: Vec<(u64, String, pb::ArtefactPublication)>,
}

/// The documents of every log held, brought up to date at each reading: logs only grow, so
/// only the records appended since the last reading are decoded, once each.
#[derive(Debug, Default)]
pub struct DocumentIndex(Mutex<BTreeMap<MemberId, Origin>>);

impl DocumentIndex {
    /// Every artefact version held, by origin then position, each with its state.
    pub fn documents(&self, log: &Log) -> Vec<Document> {
        let mut index = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for (origin, size, _) in log.origins() {
            let docs = index.entry(origin.clone()).or_default();
            if docs.next < size {
                read_on(log, &origin, docs);
            }
            if docs.publications.is_empty() {
                continue;
            }
            let states = crate::artefact::states(&docs.events);
            out.extend(docs.publications.iter().map(|(seq, record_hash, p)| Document {
                origin: origin.clone(),
                seq: *seq,
                record_hash: record_hash.clone(),
                publication: p.clone(),
                state: states.get(seq).cloned(),
            }));
        }
        out
    }
}

/// Reads `origin`'s publications and withdrawals after `docs.next` (the other records are not
/// decoded). A reading that fails changes nothing; the next one starts again from the same place.
fn read_on(log: &Log, origin: &MemberId, docs: &mut Origin) {
    let kinds = [kind::ARTEFACT_PUBLICATION, kind::ARTEFACT_WITHDRAWAL];
    let (held, next) = match log.read_kinds(origin, docs.next, &kinds) {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(%origin, error = %e, "couldn't read the documents held");
            return;
        }
    };
    docs.next = next;
    for held in held {
        let seq = held.seq;
        match held.payload {
            pb::record_body::Payload::ArtefactPublication(p) => {
                let id = p.artefact_id.clone();
                docs.events.push(Event::Published { seq, id, supersedes: p.supersedes_seq });
                docs.publications.push((seq, hex::encode(merkle::leaf_hash(&held.body)), p));
            }
            pb::record_body::Payload::ArtefactWithdrawal(w) => {
                docs.events.push(Event::Withdrawn { id: w.artefact_id, reason: w.reason });
            }
            _ => {}
        }
    }
}
