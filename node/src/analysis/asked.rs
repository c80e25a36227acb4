//! What an analyst may ask: a query checked against the catalogue (ids matched without regard
//! to case, a did-you-mean for a near miss, the valid choices listed), and why an answer could
//! not be given. One check for every surface: HTTP API, dashboard, gRPC and so the CLI.

use crate::{
    aggregate::{Query, Unanswered},
    catalogue::Catalogue,
};

/// A query that cannot be answered, for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// An indicator, breakdown or series not in the catalogue (HTTP 400).
    #[error("{}", unknown_words(.what, .given, .of.as_deref(), .suggestion.as_deref(), .choices))]
    Unknown {
        /// `indicator`, `breakdown` or `series`.
        what: &'static str,
        /// What was asked (at most 40 characters of it).
        given: String,
        /// The indicator it was asked of, for a breakdown or series.
        of: Option<String>,
        /// The closest valid choice, if one is close.
        suggestion: Option<String>,
        /// Every valid choice.
        choices: Vec<String>,
    },
    /// No city has published the indicator yet (HTTP 404).
    #[error("no city has published {indicator} yet")]
    NoRelease {
        /// The indicator.
        indicator: String,
    },
    /// No city has published the indicator for the period asked (HTTP 404).
    #[error("no city has published {indicator} for {period} yet; periods with releases: {}", .periods.join(", "))]
    NoPeriod {
        /// The indicator.
        indicator: String,
        /// The period asked.
        period: String,
        /// Periods that have releases.
        periods: Vec<String>,
    },
    /// The computation failed inside the node (HTTP 500); the details are in its log only.
    #[error("the query failed inside the node; its log says why")]
    Internal,
}

fn unknown_words(
    what: &str,
    given: &str,
    of: Option<&str>,
    suggestion: Option<&str>,
    choices: &[String],
) -> String {
    let of = of.map(|i| format!(" for {i}")).unwrap_or_default();
    let end = suggestion.map_or_else(|| ".".to_owned(), |s| format!("; did you mean `{s}`?"));
    let plural = match what {
        "indicator" => "indicators",
        "breakdown" => "breakdowns",
        _ => "series",
    };
    format!("unknown {what} `{given}`{of}{end} The {plural}: {}", choices.join(", "))
}

impl QueryError {
    /// Why an answer was not given, for `q`.
    pub fn unanswered(q: &Query, why: Unanswered) -> Self {
        match why {
            Unanswered::NoRelease => QueryError::NoRelease { indicator: q.indicator.clone() },
            Unanswered::NoPeriod(periods) => QueryError::NoPeriod {
                indicator: q.indicator.clone(),
                period: q.period.chars().take(40).collect(),
                periods,
            },
        }
    }
}

/// The valid choice `given` names, without regard to case; or the error, with the closest
/// choice when one is near (an edit or two, or a third of its length).
fn pick(
    what: &'static str,
    given: &str,
    of: Option<&str>,
    choices: Vec<String>,
) -> Result<String, QueryError> {
    if let Some(c) = choices.iter().find(|c| c.eq_ignore_ascii_case(given)) {
        return Ok(c.clone());
    }
    let lower = given.to_lowercase();
    let suggestion = choices
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone());
    Err(QueryError::Unknown {
        what,
        given: given.chars().take(40).collect(),
        of: of.map(str::to_owned),
        suggestion,
        choices,
    })
}

/// Checks `q` against the catalogue and gives it with the catalogue's spelling of every id.
/// An empty breakdown is `city`'s; an empty series the headline; an empty period the latest.
pub fn check(catalogue: &Catalogue, q: &Query) -> Result<Query, QueryError> {
    let ids = catalogue.indicators.iter().map(|i| i.id.clone()).collect();
    let indicator = pick("indicator", q.indicator.trim(), None, ids)?;
    // Unwrap safety: `pick` gave one of the catalogue's ids.
    let spec = catalogue.indicator(&indicator).expect("a catalogue id");
    let by = match q.by.trim() {
        "" => String::new(),
        by => {
            let choices =
                std::iter::once("city".to_owned()).chain(spec.disaggregations.iter().cloned());
            pick("breakdown", by, Some(&indicator), choices.collect())?
        }
    };
    let series = match q.series.trim() {
        "" => String::new(),
        series => {
            let choices = spec.series.iter().map(|s| s.code.clone()).collect();
            pick("series", series, Some(&indicator), choices)?
        }
    };
    Ok(Query { indicator, period: q.period.trim().to_owned(), by, series })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(indicator: &str, by: &str, series: &str) -> Query {
        Query {
            indicator: indicator.into(),
            period: String::new(),
            by: by.into(),
            series: series.into(),
        }
    }

    #[test]
    fn ids_match_without_case_and_near_misses_are_suggested() {
        let c = Catalogue::builtin();
        let ok = check(&c, &q("dri-use-01", "Age_Band", "")).unwrap();
        assert_eq!((ok.indicator.as_str(), ok.by.as_str()), ("DRI-USE-01", "age_band"));
        let e = check(&c, &q("DRI-USE-0l", "", "")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("unknown indicator `DRI-USE-0l`; did you mean `DRI-USE-01`?"),
            "{text}"
        );
        assert!(text.contains("The indicators: DRI-ACC-01, DRI-ACC-02"), "{text}");
        let e = check(&c, &q("DRI-USE-01", "shoe_size", "")).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "unknown breakdown `shoe_size` for DRI-USE-01. The breakdowns: city, age_band"
            ),
            "{e}"
        );
        let e = check(&c, &q("DRI-USE-01", "age_bnd", "")).unwrap_err().to_string();
        assert!(e.contains("did you mean `age_band`?"), "{e}");
        let e = check(&c, &q("DRI-SKL-02", "", "copy_move_file")).unwrap_err().to_string();
        assert!(
            e.contains(
                "unknown series `copy_move_file` for DRI-SKL-02; did you mean `copy_move_files`?"
            ),
            "{e}"
        );
        let e = check(&c, &q("weather", "", "")).unwrap_err();
        assert!(matches!(e, QueryError::Unknown { suggestion: None, .. }), "{e}");
    }
}
