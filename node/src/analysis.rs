//! The bridge between the log and `aggregate`: reads the verified indicator releases held
//! (latest per city, indicator and period), the members and their freshness, and answers
//! queries; the answer's gRPC form lives here too.

use std::sync::Arc;

mod asked;

pub use crate::read_model::{AnswerCache, Answered, Outcome, ReleaseIndex, city_release};
use crate::read_model::{Inputs, QueryKey};
pub use asked::{QueryError, check};

use crate::{
    aggregate::{self, Answer, Member, Query, Sym},
    catalogue::Polarity,
    clock,
    node::Node,
    pb,
};

/// The members as coverage sees them: the federation's trusted members, or this node alone.
pub fn members(node: &Node) -> Vec<Member> {
    let own = node.log.own().clone();
    let trusted = node.trusted();
    let mut out: Vec<Member> = trusted
        .iter()
        .map(|(id, card)| {
            let last_sync = node.peers.last_sync_unix_ms(id);
            Member {
                id: id.to_string(),
                name: card.name.clone(),
                last_sync_unix_ms: (last_sync > 0).then_some(last_sync),
                is_self: *id == own,
                evidence: if *id == own { Vec::new() } else { node.log.flags(id) },
            }
        })
        .collect();
    if !trusted.contains_key(&own) {
        out.push(Member {
            id: own.to_string(),
            name: node.card.name.clone(),
            last_sync_unix_ms: None,
            is_self: true,
            evidence: Vec::new(),
        });
    }
    out
}

/// How this node's catalogue reads the values asked for: the series' polarity, and whether
/// the groups are people. An indicator this catalogue lacks is read as neutral.
fn reading(node: &Node, q: &Query) -> aggregate::Reading {
    reading_in(&node.catalogue, q)
}

/// How `catalogue` reads the values `q` asks for.
pub fn reading_in(catalogue: &crate::catalogue::Catalogue, q: &Query) -> aggregate::Reading {
    match catalogue.indicators.iter().find(|i| i.id == q.indicator) {
        Some(i) => aggregate::Reading {
            polarity: i.polarity_of(if q.series.is_empty() { "_T" } else { &q.series }),
            people: i.about_people(),
        },
        None => aggregate::Reading::default(),
    }
}

/// Answers a checked query at this node, from the cache when nothing the answer depends on
/// changed.
pub fn query(node: &Node, q: &Query) -> Outcome {
    let (key, inputs, members) = cache_key(node, q);
    if let Some(hit) = node.answers.get(&key, &inputs) {
        return hit;
    }
    let releases = node.releases();
    let answer = aggregate::answer(
        q,
        reading(node, q),
        &releases,
        &members,
        clock::now_unix_ms(),
        node.config.federation.stale_after_ms as i64,
        node.config.federation.include_members_with_evidence,
    )
    .map(|a| Arc::new(Answered::new(a)));
    node.answers.put(key, inputs, answer.clone());
    answer
}

/// The cached answer to `q`, if any is still current: cheap, so callers on the async runtime
/// try it before moving the computation to a blocking thread.
pub fn cached(node: &Node, q: &Query) -> Option<Outcome> {
    let (key, inputs, _) = cache_key(node, q);
    node.answers.get(&key, &inputs)
}

/// The one way in for every surface: checks the query against the catalogue, then answers it
/// from the cache or on a blocking thread.
pub async fn answer(node: &Arc<Node>, q: &Query) -> Result<Arc<Answered>, QueryError> {
    let started = std::time::Instant::now();
    let answered = answer_checked(node, q).await;
    node.log.metrics().query_took(started.elapsed().as_secs_f64());
    answered
}

async fn answer_checked(node: &Arc<Node>, q: &Query) -> Result<Arc<Answered>, QueryError> {
    let q = check(&node.catalogue, q)?;
    let outcome = match cached(node, &q) {
        Some(hit) => hit,
        None => {
            let (node, q) = (node.clone(), q.clone());
            tokio::task::spawn_blocking(move || query(&node, &q)).await.map_err(|e| {
                tracing::error!(error = %e, "a query's computation failed");
                QueryError::Internal
            })?
        }
    };
    outcome.map_err(|why| QueryError::unanswered(&q, why))
}

fn cache_key(node: &Node, q: &Query) -> (QueryKey, Inputs, Vec<Member>) {
    let key = (q.indicator.clone(), q.period.clone(), q.by.clone(), q.series.clone());
    let sizes = node.log.origins().into_iter().map(|(o, s, _)| (o, s)).collect();
    let now = clock::now_unix_ms();
    let stale_after = node.config.federation.stale_after_ms as i64;
    let members = members(node);
    let freshness = members
        .iter()
        .map(|m| {
            let stale = match m.last_sync_unix_ms {
                _ if m.is_self => None,
                Some(t) if now - t <= stale_after => None,
                other => Some(other),
            };
            (m.id.clone(), m.name.clone(), m.is_self, stale, m.evidence.clone())
        })
        .collect();
    (key, (sizes, freshness), members)
}

fn estimate(e: &aggregate::Estimate) -> pb::Estimate {
    pb::Estimate {
        published: e.published,
        numerator: e.numerator,
        denominator: e.denominator,
        value: e.value,
        margin_of_error: e.margin_of_error,
        note: e.note.clone(),
        interval_low: e.interval.map(|i| i.0),
        interval_high: e.interval.map(|i| i.1),
        clipped: e.clipped,
    }
}

fn provenance(p: &aggregate::Provenance) -> pb::Provenance {
    pb::Provenance {
        origin: p.origin.to_string(),
        seq: p.seq,
        record_hash: p.record_hash.clone(),
        signer: p.signer.to_string(),
        catalogue_version: p.catalogue_version.to_string(),
        method: p.method.to_string(),
    }
}

impl From<&Answer> for pb::QueryResponse {
    fn from(a: &Answer) -> Self {
        pb::QueryResponse {
            indicator_id: a.indicator.clone(),
            period: a.period.clone(),
            periods: a.periods.clone(),
            unit: a.unit.clone(),
            series: a.series.clone(),
            by: a.by.clone(),
            metro: Some(estimate(&a.metro)),
            cities: a
                .cities
                .iter()
                .map(|c| pb::CityEstimate {
                    city: c.city.clone(),
                    name: c.name.clone(),
                    estimate: Some(estimate(&c.estimate)),
                    provenance: Some(provenance(&c.provenance)),
                })
                .collect(),
            groups: a
                .groups
                .iter()
                .map(|g| pb::GroupEstimate {
                    value: g.value.clone(),
                    estimate: Some(estimate(&g.estimate)),
                    cities: g.cities.clone(),
                    suppressed_in: g.suppressed_in.clone(),
                })
                .collect(),
            gap: a.gap.as_ref().map(|g| pb::Gap {
                best: g.best.clone(),
                worst: g.worst.clone(),
                highest_value: g.highest_value,
                lowest_value: g.lowest_value,
                absolute: g.absolute,
                ratio: g.ratio,
                highest: g.highest.clone(),
                lowest: g.lowest.clone(),
                polarity: g.polarity.as_str().into(),
                margin_of_difference: g.margin_of_difference,
                distinguishable: g.distinguishable,
                statement: g.statement.clone(),
            }),
            trend: a
                .trend
                .iter()
                .map(|t| pb::TrendPoint {
                    period: t.period.clone(),
                    estimate: Some(estimate(&t.estimate)),
                    cities: t.cities as u32,
                    coverage: t.coverage.clone(),
                    same_coverage: t.same_coverage,
                })
                .collect(),
            period_coverage: a
                .period_coverage
                .iter()
                .map(|p| pb::PeriodCoverage {
                    period: p.period.clone(),
                    cities: p.cities.clone(),
                    comparable: p.comparable,
                })
                .collect(),
            coverage: Some(pb::Coverage {
                included: a.coverage.included.clone(),
                missing: a.coverage.missing.clone(),
                stale: a
                    .coverage
                    .stale
                    .iter()
                    .map(|s| pb::StaleMember {
                        city: s.city.clone(),
                        reason: s.reason.clone(),
                        since_unix_ms: s.since_unix_ms.unwrap_or(0),
                    })
                    .collect(),
                suppressed_cells: a.coverage.suppressed_cells as u32,
                not_yet_published: a
                    .coverage
                    .not_yet_published
                    .iter()
                    .map(|n| pb::NotYetPublished { city: n.city.clone(), latest: n.latest.clone() })
                    .collect(),
                flagged: a
                    .coverage
                    .flagged
                    .iter()
                    .map(|f| pb::FlaggedMember {
                        city: f.city.clone(),
                        evidence: f.evidence.clone(),
                        included: f.included,
                    })
                    .collect(),
            }),
        }
    }
}

/// The catalogue in its gRPC form.
pub fn indicators(node: &Node) -> Vec<pb::IndicatorInfo> {
    node.catalogue
        .indicators
        .iter()
        .map(|i| pb::IndicatorInfo {
            id: i.id.clone(),
            name: i.name.clone(),
            definition: i.definition.clone(),
            unit: i.unit.clone(),
            aggregation: i.aggregation.as_str().into(),
            disaggregations: i.disaggregations.clone(),
            series: i.series.iter().map(|s| s.code.clone()).collect(),
            dataset: i.dataset.clone(),
        })
        .collect()
}

fn estimate_back(e: Option<&pb::Estimate>) -> aggregate::Estimate {
    let e = e.cloned().unwrap_or_default();
    aggregate::Estimate {
        published: e.published,
        numerator: e.numerator,
        denominator: e.denominator,
        value: e.value,
        margin_of_error: e.margin_of_error,
        interval: e.interval_low.zip(e.interval_high),
        clipped: e.clipped,
        note: e.note,
    }
}

impl From<&pb::QueryResponse> for Answer {
    /// The gRPC answer read back into the domain form (for the CLI's JSON and CSV output).
    fn from(r: &pb::QueryResponse) -> Self {
        let cov = r.coverage.clone().unwrap_or_default();
        Answer {
            indicator: r.indicator_id.clone(),
            period: r.period.clone(),
            periods: r.periods.clone(),
            unit: r.unit.clone(),
            series: r.series.clone(),
            by: r.by.clone(),
            metro: estimate_back(r.metro.as_ref()),
            cities: r
                .cities
                .iter()
                .map(|c| {
                    let p = c.provenance.clone().unwrap_or_default();
                    aggregate::CityFigure {
                        city: c.city.clone(),
                        name: c.name.clone(),
                        estimate: estimate_back(c.estimate.as_ref()),
                        provenance: aggregate::Provenance {
                            origin: Sym::new(&p.origin),
                            seq: p.seq,
                            record_hash: p.record_hash,
                            signer: Sym::new(&p.signer),
                            catalogue_version: Sym::new(&p.catalogue_version),
                            method: Sym::new(&p.method),
                        },
                    }
                })
                .collect(),
            groups: r
                .groups
                .iter()
                .map(|g| aggregate::GroupFigure {
                    value: g.value.clone(),
                    estimate: estimate_back(g.estimate.as_ref()),
                    cities: g.cities.clone(),
                    suppressed_in: g.suppressed_in.clone(),
                })
                .collect(),
            gap: r.gap.as_ref().map(|g| aggregate::Gap {
                polarity: Polarity::parse(&g.polarity).unwrap_or(Polarity::Neutral),
                best: g.best.clone(),
                worst: g.worst.clone(),
                highest: g.highest.clone(),
                lowest: g.lowest.clone(),
                highest_value: g.highest_value,
                lowest_value: g.lowest_value,
                absolute: g.absolute,
                ratio: g.ratio,
                margin_of_difference: g.margin_of_difference,
                distinguishable: g.distinguishable,
                statement: g.statement.clone(),
            }),
            trend: r
                .trend
                .iter()
                .map(|t| aggregate::TrendPoint {
                    period: t.period.clone(),
                    estimate: estimate_back(t.estimate.as_ref()),
                    cities: t.cities as usize,
                    coverage: t.coverage.clone(),
                    same_coverage: t.same_coverage,
                })
                .collect(),
            period_coverage: r
                .period_coverage
                .iter()
                .map(|p| aggregate::PeriodCoverage {
                    period: p.period.clone(),
                    cities: p.cities.clone(),
                    comparable: p.comparable,
                })
                .collect(),
            coverage: aggregate::Coverage {
                included: cov.included,
                missing: cov.missing,
                stale: cov
                    .stale
                    .into_iter()
                    .map(|s| aggregate::Stale {
                        city: s.city,
                        reason: s.reason,
                        since_unix_ms: (s.since_unix_ms != 0).then_some(s.since_unix_ms),
                    })
                    .collect(),
                suppressed_cells: cov.suppressed_cells as usize,
                not_yet_published: cov
                    .not_yet_published
                    .into_iter()
                    .map(|n| aggregate::NotYet { city: n.city, latest: n.latest })
                    .collect(),
                flagged: cov
                    .flagged
                    .into_iter()
                    .map(|f| aggregate::Flagged {
                        city: f.city,
                        evidence: f.evidence,
                        included: f.included,
                    })
                    .collect(),
            },
        }
    }
}

/// The district codes this city's own releases name, sorted.
pub fn own_districts(node: &Node) -> Vec<String> {
    let own = node.log.own().as_str();
    let mut out: Vec<String> = node
        .releases()
        .iter()
        .filter(|r| r.city == own)
        .flat_map(|r| r.cells.iter())
        .filter(|c| c.dimension == "district_code" && c.value != "unknown")
        .map(|c| c.value.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every artefact version held, across the federation, with its state and whether its body is
/// held (bodies are stored only after their hash was verified).
pub fn artefacts(node: &Node) -> Vec<pb::ArtefactView> {
    node.documents()
        .into_iter()
        .map(|d| {
            let body_verified = d.body_sha256().is_some_and(|h| node.blobs.has(&h));
            let (state, reason) = d
                .state
                .as_ref()
                .map_or((String::new(), String::new()), |s| (s.label().into(), s.reason().into()));
            pb::ArtefactView {
                origin: d.origin.to_string(),
                seq: d.seq,
                record_hash: d.record_hash,
                publication: Some(d.publication),
                state,
                body_verified,
                withdrawal_reason: reason,
            }
        })
        .collect()
}

/// Whether an artefact view passes the filters (empty filters match all).
pub fn artefact_matches(a: &pb::ArtefactView, f: &pb::ListArtefactsRequest) -> bool {
    let p = a.publication.clone().unwrap_or_default();
    (f.city.is_empty() || a.origin == f.city)
        && (f.artefact_type.is_empty()
            || crate::artefact::type_code(&f.artefact_type) == Some(p.artefact_type.as_str()))
        && (f.rights_area.is_empty() || p.rights_areas.contains(&f.rights_area))
        && (f.language.is_empty() || p.languages.contains(&f.language))
}

/// The signed payload of an artefact version: its checked metadata and its stored body.
pub fn publication(
    meta: crate::artefact::Metadata,
    stored: crate::blobs::Stored,
    media_type: &str,
    file_name: String,
    supersedes_seq: Option<u64>,
) -> pb::ArtefactPublication {
    pb::ArtefactPublication {
        artefact_id: meta.id,
        artefact_type: meta.artefact_type,
        title: meta.title,
        languages: meta.languages,
        rights_areas: meta.rights_areas,
        cc4dr_principles: meta.cc4dr_principles,
        related_indicators: meta.related_indicators,
        metadata_json: meta.json,
        body_sha256: stored.sha256.to_vec(),
        body_size: stored.size,
        media_type: media_type.into(),
        file_name,
        supersedes_seq,
    }
}
