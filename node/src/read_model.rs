//! Read models over the log, which know the log and not the node: the index of the releases
//! held (the latest per city, indicator and period, read on from where it stopped) and the
//! cache of answers with the inputs each was computed from; `documents`: the artefact
//! versions published. `Node` holds one of each; `analysis`, the services and the syncer read
//! through them.

use std::sync::{Arc, Mutex};

mod documents;

pub use documents::{Document, DocumentIndex};

use crate::{
    aggregate::{self, Answer, CityRelease, Sym, Unanswered},
    identity::{MemberId, NodeId},
    log::Log,
    pb,
};

/// The log sizes an index was built at, and the latest release per (city, indicator, period),
/// sorted by those three.
type Snapshot = (Vec<(MemberId, u64)>, Arc<Vec<CityRelease>>);

/// Releases held, brought up to date when any log grew: logs only grow, so only the records
/// after the sizes of the last build are read. Each release is held once: the list readers get
/// is the index itself, updated in place unless a reader still holds it.
#[derive(Debug, Default)]
pub struct ReleaseIndex {
    cache: Mutex<Option<Snapshot>>,
}

/// What a release is the latest of: its city, indicator and period.
fn key(r: &CityRelease) -> (&str, &str, &str) {
    (&r.city, &r.indicator, &r.period)
}

impl ReleaseIndex {
    /// The latest release per city, indicator and period among the records held.
    pub fn releases(
        &self,
        log: &Log,
        keys_of: impl Fn(&MemberId) -> Vec<NodeId>,
    ) -> Arc<Vec<CityRelease>> {
        let sizes: Vec<(MemberId, u64)> =
            log.origins().into_iter().map(|(o, s, _)| (o, s)).collect();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, r)) = cache.as_ref()
            && *s == sizes
        {
            return r.clone();
        }
        let (before, mut releases) = cache.take().unwrap_or_default();
        // The releases read since, the latest per key; nothing changes unless every log reads.
        let mut fresh: Vec<CityRelease> = Vec::new();
        let mut at: std::collections::HashMap<(Sym, Sym, Sym), usize> =
            std::collections::HashMap::new();
        for (origin, _) in &sizes {
            let from = before.iter().find(|(o, _)| o == origin).map_or(0, |(_, n)| *n);
            let signer = keys_of(origin).first().map(|k| k.to_string()).unwrap_or_default();
            for item in log.read(origin, from) {
                let held = match item {
                    Ok(held) => held,
                    Err(e) => {
                        // Answer from the releases read before rather than from part of a log;
                        // the next query reads on from the same sizes (re-reading a release
                        // replaces it with itself).
                        tracing::warn!(%origin, error = %e, "couldn't read the releases held");
                        *cache = Some((before, releases.clone()));
                        return releases;
                    }
                };
                let pb::record_body::Payload::IndicatorRelease(r) = held.payload else { continue };
                let release = city_release(origin, held.seq, &held.body, &signer, r);
                let k = (release.city.clone(), release.indicator.clone(), release.period.clone());
                match at.get(&k) {
                    Some(&i) => fresh[i] = release,
                    None => {
                        at.insert(k, fresh.len());
                        fresh.push(release);
                    }
                }
            }
        }
        let list = Arc::make_mut(&mut releases);
        let sorted = list.len();
        for release in fresh {
            match list[..sorted].binary_search_by(|r| key(r).cmp(&key(&release))) {
                Ok(i) => list[i] = release,
                Err(_) => list.push(release),
            }
        }
        if list.len() > sorted {
            list.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        *cache = Some((sizes, releases.clone()));
        releases
    }
}

/// One release as the aggregate reads it, with its provenance.
pub fn city_release(
    origin: &MemberId,
    seq: u64,
    body: &[u8],
    signer: &str,
    r: pb::IndicatorRelease,
) -> CityRelease {
    let method = r.method.clone().unwrap_or_default();
    let noise = method.noise.as_ref();
    let method_text = match noise {
        Some(n) => format!(
            "{}; {} noise (sd {:.0}), {} {} spent",
            method.sdc_method.split(':').next().unwrap_or_default(),
            n.mechanism,
            n.noise_sd,
            n.budget_spent,
            n.budget_unit
        ),
        None => method.sdc_method.split(':').next().unwrap_or_default().to_owned(),
    };
    CityRelease {
        city: Sym::new(origin.as_str()),
        indicator: Sym::new(&r.indicator_id),
        period: Sym::new(&r.period),
        unit: Sym::new(&r.unit),
        noise_sd: noise.map(|n| n.noise_sd),
        cells: r
            .cells
            .iter()
            .map(|c| {
                aggregate::Cell::new(
                    &c.series,
                    &c.dimension,
                    &c.value,
                    c.status == pb::CellStatus::Published as i32,
                    &c.flag,
                    c.numerator as f64,
                    c.denominator as f64,
                )
            })
            .collect(),
        provenance: aggregate::Provenance {
            origin: Sym::new(origin.as_str()),
            seq,
            record_hash: hex::encode(crate::merkle::leaf_hash(body)),
            signer: Sym::new(signer),
            catalogue_version: Sym::new(&r.catalogue_version),
            method: Sym::new(&method_text),
        },
    }
}

/// An answer as served: the answer, and its JSON and gRPC forms made once each, on first use
/// (the HTTP API and `QueryIndicator` serve cached answers without converting them again).
#[derive(Debug)]
pub struct Answered {
    /// The answer.
    pub answer: Answer,
    json: std::sync::OnceLock<String>,
    reply: std::sync::OnceLock<pb::QueryResponse>,
}

impl Answered {
    /// An answer not yet serialised.
    pub fn new(answer: Answer) -> Self {
        Self { answer, json: Default::default(), reply: Default::default() }
    }

    /// The answer as the gRPC reply, made once (`QueryIndicator` serves cached answers without
    /// converting them again).
    pub fn reply(&self) -> &pb::QueryResponse {
        self.reply.get_or_init(|| (&self.answer).into())
    }

    /// The answer in JSON.
    pub fn json(&self) -> &str {
        self.json.get_or_init(|| {
            // Unwrap safety: an `Answer` is plain data (strings, numbers, lists) and always
            // serialises.
            serde_json::to_string(&self.answer).expect("answers serialise")
        })
    }
}

/// An answer, or why there is none.
pub type Outcome = Result<Arc<Answered>, Unanswered>;

/// What a query asked: indicator, period, breakdown, series.
pub type QueryKey = (String, String, String, String);

/// What an answer depends on besides the query: the size of every log held (new releases), and
/// each member with whether it is stale and since when (coverage).
pub type Inputs =
    (Vec<(MemberId, u64)>, Vec<(String, String, bool, Option<Option<i64>>, Vec<String>)>);

/// Answers by query, each with the inputs it was computed from. Bounded: when full, it starts
/// over (dashboards ask a few dozen distinct questions; a scan of odd queries cannot grow it).
#[derive(Debug, Default)]
pub struct AnswerCache {
    entries: Mutex<std::collections::HashMap<QueryKey, Cached>>,
}

/// An answer (or the lack of one) and the inputs it was computed from.
type Cached = (Inputs, Outcome);

/// Distinct queries kept before the cache starts over.
const ANSWER_CACHE_ENTRIES: usize = 512;

impl AnswerCache {
    /// The answer to `key` if it was computed from exactly `inputs`.
    pub fn get(&self, key: &QueryKey, inputs: &Inputs) -> Option<Outcome> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|(i, _)| i == inputs).map(|(_, a)| a.clone())
    }

    /// Keeps `answer` to `key`, computed from `inputs`.
    pub fn put(&self, key: QueryKey, inputs: Inputs, answer: Outcome) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= ANSWER_CACHE_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (inputs, answer));
    }
}
