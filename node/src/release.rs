//! Building indicator releases: from an anonymised indicator to the signed payload
//! (`pb::IndicatorRelease`), and the whole ingest pipeline from a CSV stream to the log.

use std::io::Read;

use tracing::info;

use crate::{
    anonymise::{self, Anonymised, AnonymisedIndicator, Status},
    budget::Milli,
    catalogue::{Catalogue, Indicator},
    clock,
    ingest::{self, Tables},
    log::{self, Budget},
    node::Node,
    pb,
};

/// Why an ingest did not publish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file or request is wrong (file, line, column).
    #[error(transparent)]
    Input(#[from] ingest::IngestError),
    /// The request names an unknown dataset or a malformed period.
    #[error("{0}")]
    Request(String),
    /// Anonymisation refused (noise scale).
    #[error(transparent)]
    Anonymise(#[from] anonymise::Error),
    /// The exact audit of the release set found a suppressed cell it would disclose.
    #[error(transparent)]
    Audit(#[from] anonymise::linked::Leak),
    /// Publishing failed, or the budget would be overspent.
    #[error(transparent)]
    Log(#[from] log::Error),
    /// A second exact release of a survey dataset's period: its difference from the first would
    /// be exactly what the respondents who changed contributed.
    #[error("{0}")]
    Released(String),
}

/// What the data officer asked for.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Dataset name.
    pub dataset: String,
    /// Reference period.
    pub period: String,
    /// The file's name, for messages.
    pub file_name: String,
    /// Show, do not publish or spend.
    pub dry_run: bool,
}

/// What an ingest produced.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// One release per indicator.
    pub releases: Vec<pb::IndicatorRelease>,
    /// Log positions, empty on a dry run.
    pub seqs: Vec<u64>,
    /// The budget state after the ingest, for datasets with noise.
    pub budget: Option<pb::BudgetEntry>,
}

/// A dataset and period's budget as replies show it: spent, total and what is left, as decimals.
pub fn budget_entry(
    dataset: String,
    period: String,
    unit: &str,
    spent: Milli,
    total: Milli,
) -> pb::BudgetEntry {
    pb::BudgetEntry {
        dataset,
        period,
        unit: unit.into(),
        spent: spent.to_string(),
        total: total.to_string(),
        remaining: total.saturating_sub(spent).to_string(),
    }
}

/// Checks a period: a year, or an ISO 8601 interval of two dates.
fn check_period(period: &str) -> Result<(), String> {
    let date = |s: &str| {
        let b = s.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    };
    let year = period.len() == 4 && period.bytes().all(|c| c.is_ascii_digit());
    let interval = period.split_once('/').is_some_and(|(a, b)| date(a) && date(b) && a <= b);
    if year || interval {
        Ok(())
    } else {
        Err(format!(
            "period must be a year (2025) or an ISO 8601 interval (2025-01-01/2025-06-30), got {} characters",
            period.len()
        ))
    }
}

impl IngestRequest {
    /// The one check of a request, whichever edge made it (gRPC, the demo): a dataset the
    /// schema has and a period that is a year or an interval of dates.
    pub fn check(self, catalogue: &Catalogue) -> Result<Checked, Error> {
        check_period(&self.period).map_err(Error::Request)?;
        let Some(dataset) = catalogue.dataset(&self.dataset) else {
            let names: Vec<_> = catalogue.datasets.iter().map(|d| d.name.as_str()).collect();
            return Err(Error::Request(format!(
                "unknown dataset `{}`; the schema has {}",
                self.dataset,
                names.join(", ")
            )));
        };
        let disclosure_controlled = dataset.kind.disclosure_controlled();
        Ok(Checked { req: self, disclosure_controlled })
    }
}

/// A request `IngestRequest::check` accepted; only it makes one, so `publish` never reads a
/// file for a dataset or period it would refuse.
#[derive(Debug, Clone)]
pub struct Checked {
    req: IngestRequest,
    disclosure_controlled: bool,
}

impl Checked {
    /// The request as asked.
    pub fn request(&self) -> &IngestRequest {
        &self.req
    }
}

/// Reads, anonymises and (unless a dry run) publishes a dataset release.
/// Nothing is published and no budget is spent unless the whole file was valid.
pub fn publish(
    node: &Node,
    catalogue: &Catalogue,
    req: &Checked,
    input: impl Read,
) -> Result<IngestOutcome, Error> {
    let started = std::time::Instant::now();
    let outcome = publish_timed(node, catalogue, req, input);
    node.log.metrics().ingest_took(started.elapsed().as_secs_f64());
    outcome
}

fn publish_timed(
    node: &Node,
    catalogue: &Catalogue,
    checked: &Checked,
    input: impl Read,
) -> Result<IngestOutcome, Error> {
    let req = &checked.req;
    let policy = node.config.policy(&req.dataset);
    let exact_survey = policy.noise.is_none() && checked.disclosure_controlled;
    if exact_survey {
        first_exact_release(node, catalogue, req)?;
    }
    let clip = policy.noise.as_ref().map(|n| n.weight_clip);
    let member = node.log.own().clone();
    let max_line = node.config.ingest.max_line_bytes;
    let tables =
        ingest::run_with(catalogue, &req.dataset, &member, &req.file_name, clip, max_line, input)?;
    if tables.rows_read == 0 {
        return Err(ingest::IngestError {
            file: req.file_name.clone(),
            line: 2,
            column: None,
            message: "no data rows after the header".into(),
        }
        .into());
    }
    let anonymised = anonymise::apply(&tables, &policy, &mut rand_core::OsRng)?;
    let mut releases: Vec<pb::IndicatorRelease> = anonymised
        .indicators
        .iter()
        .map(|ind| {
            // Unwrap safety: every table comes from an indicator of this catalogue.
            let spec = catalogue.indicator(&ind.indicator_id).expect("catalogue indicator");
            build(spec, ind, &tables, &anonymised, &policy, catalogue, &req.period)
        })
        .collect();
    if tables.kind.disclosure_controlled() {
        // The final set, exactly as it would be signed, audited from scratch.
        let published: Vec<Vec<bool>> = releases
            .iter()
            .map(|r| r.cells.iter().map(|c| c.status == pb::CellStatus::Published as i32).collect())
            .collect();
        let audit = anonymise::linked::audit(&tables, &published, &policy)?;
        // Each release says which interval attacker its set was audited against.
        let level = match audit.atom_level {
            true => anonymise::AUDIT_ATOM_LEVEL,
            false => anonymise::AUDIT_PREDICATE_LEVEL,
        };
        for m in releases.iter_mut().filter_map(|r| r.method.as_mut()) {
            m.sdc_method = format!("{}; {level}", m.sdc_method);
        }
    }

    let store = node.log.store();
    let budget = match (&anonymised.noise, node.config.budget_total(&req.dataset)) {
        (Some(n), Some(total)) => Some(Budget {
            dataset: req.dataset.clone(),
            period: req.period.clone(),
            cost: n.spent,
            total,
            unit: n.mechanism.budget_unit(),
        }),
        _ => None,
    };
    let entry = |spent: Milli, b: &Budget| {
        budget_entry(b.dataset.clone(), b.period.clone(), b.unit, spent, b.total)
    };
    let suppressed: usize = releases
        .iter()
        .map(|r| r.cells.iter().filter(|c| c.status != pb::CellStatus::Published as i32).count())
        .sum();
    if req.dry_run {
        let budget = match &budget {
            Some(b) => {
                let spent = store.ledger_spent(&b.dataset, &b.period).map_err(log::Error::from)?;
                if spent.saturating_add(b.cost) > b.total {
                    return Err(b.exceeded(spent).into());
                }
                Some(entry(spent, b))
            }
            None => None,
        };
        info!(dataset = %req.dataset, period = %req.period, indicators = releases.len(), suppressed, "dry run computed");
        return Ok(IngestOutcome { releases, seqs: Vec::new(), budget });
    }
    let payloads =
        releases.iter().cloned().map(pb::record_body::Payload::IndicatorRelease).collect();
    let records = {
        // Checked again under the lock, so two ingests of one period cannot both pass.
        let _publishing = node.publishing.lock().unwrap_or_else(|p| p.into_inner());
        if exact_survey {
            first_exact_release(node, catalogue, req)?;
        }
        node.log.append_batch(payloads, clock::now_unix_ms(), budget.as_ref())?
    };
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    let budget = match &budget {
        Some(b) => {
            Some(entry(store.ledger_spent(&b.dataset, &b.period).map_err(log::Error::from)?, b))
        }
        None => None,
    };
    info!(
        dataset = %req.dataset,
        period = %req.period,
        indicators = releases.len(),
        rows = tables.rows_read,
        suppressed,
        first_seq = seqs.first().copied().unwrap_or_default(),
        "published release"
    );
    Ok(IngestOutcome { releases, seqs, budget })
}

/// Refuses an exact (noise-free) release of a survey dataset's period this node has released
/// before, with or without noise. Disclosure control protects one release; two exact releases of
/// nearly the same respondents (a correction, a respondent withdrawn) differ, in every cell both
/// publish, by exactly what the respondents who changed contributed. Under differential privacy
/// the ledger bounds such releases instead.
fn first_exact_release(
    node: &Node,
    catalogue: &Catalogue,
    req: &IngestRequest,
) -> Result<(), Error> {
    if !node.own_releases.contains(node, catalogue, &req.dataset, &req.period)? {
        return Ok(());
    }
    Err(Error::Released(format!(
        "{dataset} {period} is published already and {dataset} has no differential privacy: a \
         second exact release would differ from the first by exactly what the respondents who \
         changed contributed; publish corrections with noise ([privacy.{dataset}] in node.toml), \
         whose budget bounds them; nothing was published",
        dataset = req.dataset,
        period = req.period,
    )))
}

/// The periods and indicators this node's own log has released, kept in the store with the own
/// log's size they were read up to (`Store::released`): each check reads only the releases
/// appended since the last (by the log's index, no other record), and a node that restarts reads
/// none again, whatever the length of its log (the federation's release index would hold every
/// member's releases for a question about this node's). A store without the index (an earlier
/// version's) has it built from the own log at the first check.
#[derive(Debug, Default)]
pub struct OwnReleases(std::sync::Mutex<()>);

impl OwnReleases {
    /// Whether the own log holds a release of `dataset` for `period`.
    pub fn contains(
        &self,
        node: &Node,
        catalogue: &Catalogue,
        dataset: &str,
        period: &str,
    ) -> Result<bool, crate::log::Error> {
        let _one = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (store, own) = (node.log.store(), node.log.own());
        let mut upto = store.released_upto()?;
        let size = node.log.size(own);
        if upto > size {
            // An index ahead of the log it was read from: not this log's; read it again.
            store.clear_released()?;
            upto = 0;
        }
        if upto < size {
            let kinds = [crate::log::kind::INDICATOR_RELEASE];
            let (held, read) = node.log.read_kinds(own, upto, &kinds)?;
            let releases: Vec<(String, String, u64)> =
                held.iter().filter_map(|h| crate::log::released_entry(h.seq, &h.payload)).collect();
            store.put_released(&releases, read)?;
        }
        // Kept by indicator, and read through the catalogue asked with.
        Ok(store
            .released(period)?
            .iter()
            .any(|(id, _)| catalogue.indicator(id).is_some_and(|i| i.dataset == dataset)))
    }
}

fn build(
    spec: &Indicator,
    ind: &AnonymisedIndicator,
    tables: &Tables,
    anonymised: &Anonymised,
    policy: &anonymise::Policy,
    catalogue: &Catalogue,
    period: &str,
) -> pb::IndicatorRelease {
    pb::IndicatorRelease {
        indicator_id: spec.id.clone(),
        catalogue_version: catalogue.version.clone(),
        period: period.into(),
        dataset: spec.dataset.clone(),
        input_sha256: tables.input_sha256.to_vec(),
        unit: spec.unit.clone(),
        denominator_basis: spec.denominator_basis.clone(),
        aggregation: spec.aggregation.as_str().into(),
        method: Some(pb::ReleaseMethod {
            sdc_method: if tables.kind.disclosure_controlled() {
                anonymise::SDC_METHOD.into()
            } else {
                "none: administrative aggregates, published exactly".into()
            },
            min_base: policy.min_base as u32,
            flag_base: policy.flag_base as u32,
            min_count: policy.min_count as u32,
            noise: anonymised.noise.as_ref().map(|n| pb::NoiseMethod {
                mechanism: n.mechanism.as_str().into(),
                budget_spent: n.spent.to_string(),
                budget_unit: n.mechanism.budget_unit().into(),
                weight_clip: n.weight_clip,
                measurements: n.measurements,
                noise_sd: n.sd,
                scale_exact: format!("{}/{}", n.scale.0, n.scale.1),
            }),
        }),
        rows_read: tables.rows_read,
        rows_in_scope: ind.rows_in_scope,
        rows_missing_item: ind.rows_missing_item,
        cells: ind
            .cells
            .iter()
            .map(|c| {
                let (status, reason) = match &c.status {
                    Status::Published => (pb::CellStatus::Published, String::new()),
                    Status::Primary(r) => (pb::CellStatus::SuppressedPrimary, r.clone()),
                    Status::Secondary(r) => (pb::CellStatus::SuppressedSecondary, r.clone()),
                };
                pb::Cell {
                    series: c.series.clone(),
                    dimension: c.dimension.clone().unwrap_or_default(),
                    value: c.value.clone(),
                    status: status as i32,
                    numerator: c.numerator,
                    denominator: c.denominator,
                    base_band: c.base_band.into(),
                    flag: c.flag.into(),
                    suppression_reason: reason,
                }
            })
            .collect(),
    }
}
