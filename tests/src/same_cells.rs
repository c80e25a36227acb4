//! The same cells in DuckDB: every cell ingest computes for a dataset's indicators (each series,
//! the total and every value of every disaggregation: weighted numerator and denominator and
//! both respondent counts), from SQL generated from the catalogue's own expressions, timed, and
//! checked cell for cell against metronode's exact sums.
//!
//! The SQL keeps the catalogue's semantics: a file read as text and typed as ingest types it
//! (booleans `1`/`true`/`0`/`false`, empty fields missing, weights exact decimals); scope,
//! numerators and denominators in SQL's three-valued logic, which is the catalogue's Kleene
//! logic; a row in scope counts in a series only when that series' numerator and the
//! denominator are known; a missing dimension value is `unknown`.

use std::collections::HashMap;

use metronode::{
    catalogue::{Catalogue, ColumnType, Dataset, Expr, Indicator},
    ingest::{Acc, Tables},
};

/// DuckDB's run of the same cells.
pub struct SameCells {
    /// Rows per second, median of the runs (reading, typing and every aggregate).
    pub rows_per_s: f64,
    /// Peak resident memory of the DuckDB process (MiB), the largest of the runs.
    pub peak_mib: f64,
    /// Cells compared, all equal.
    pub cells: usize,
    /// The share of DuckDB's time spent reading and typing the file (the rest: the queries).
    pub load_share: f64,
}

/// A column typed as ingest types it.
fn typed(name: &str, ty: &ColumnType) -> Option<String> {
    let c = format!("\"{name}\"");
    Some(match ty {
        ColumnType::Weight => format!("CAST({c} AS DECIMAL(18,6)) AS {c}"),
        ColumnType::Count => format!("TRY_CAST(NULLIF({c}, '') AS BIGINT) AS {c}"),
        ColumnType::Bool => format!(
            "CASE WHEN {c} IN ('1','true','TRUE','True') THEN TRUE WHEN {c} IN ('0','false','FALSE','False') THEN FALSE END AS {c}"
        ),
        ColumnType::Enum(_) | ColumnType::District => format!("NULLIF({c}, '') AS {c}"),
        ColumnType::Id | ColumnType::Date => return None,
    })
}

fn quoted(values: &[String]) -> String {
    values.iter().map(|v| format!("'{}'", v.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
}

/// An expression as an SQL condition.
fn condition(e: &Expr) -> String {
    match e {
        Expr::True | Expr::One => "TRUE".into(),
        Expr::Col(c) => format!("\"{c}\""),
        Expr::In { col, values, negate } => {
            let test = format!("\"{col}\" IN ({})", quoted(values));
            if *negate { format!("NOT ({test})") } else { test }
        }
        Expr::Not(e) => format!("NOT ({})", condition(e)),
        Expr::And(a, b) => format!("(({}) AND ({}))", condition(a), condition(b)),
        Expr::Or(a, b) => format!("(({}) OR ({}))", condition(a), condition(b)),
    }
}

/// An expression as an SQL measure: 1 for every row, a count column's value, or a condition
/// counted 1 or 0 (NULL when unknown).
fn measure(e: &Expr, dataset: &Dataset) -> String {
    match e {
        Expr::One => "1".into(),
        Expr::Col(c)
            if dataset.columns.iter().any(|k| k.name == *c && k.ty == ColumnType::Count) =>
        {
            format!("\"{c}\"")
        }
        e => format!("CAST(({}) AS BIGINT)", condition(e)),
    }
}

/// One query for an indicator: every series' sums over the total and each disaggregation.
fn query(ind: &Indicator, dataset: &Dataset) -> String {
    let w = ind.weight.as_ref().map_or("1".to_owned(), |w| format!("\"{w}\""));
    let mut inner =
        vec![format!("{w} AS __w"), format!("{} AS __den", measure(&ind.denominator, dataset))];
    for (i, s) in ind.series.iter().enumerate() {
        inner.push(format!("{} AS __n{i}", measure(&s.numerator, dataset)));
    }
    for (j, d) in ind.disaggregations.iter().enumerate() {
        inner.push(format!("COALESCE(CAST(\"{d}\" AS VARCHAR), 'unknown') AS __d{j}"));
    }
    let dims: Vec<String> = (0..ind.disaggregations.len()).map(|j| format!("__d{j}")).collect();
    let mut aggregates = Vec::new();
    for i in 0..ind.series.len() {
        let known = format!("__n{i} IS NOT NULL");
        aggregates.push(format!(
            "CAST(COALESCE(SUM(__w * __den) FILTER (WHERE {known}), 0) * 1000000 AS HUGEINT)"
        ));
        aggregates.push(format!(
            "CAST(COALESCE(SUM(__w * __n{i}) FILTER (WHERE {known}), 0) * 1000000 AS HUGEINT)"
        ));
        aggregates.push(format!("COUNT(*) FILTER (WHERE {known} AND __den > 0)"));
        aggregates.push(format!("COUNT(*) FILTER (WHERE __n{i} > 0)"));
    }
    let sets: Vec<String> =
        std::iter::once("()".to_owned()).chain(dims.iter().map(|d| format!("({d})"))).collect();
    let select: Vec<String> = dims.iter().cloned().chain(aggregates).collect();
    format!(
        "SELECT {} FROM (SELECT {} FROM t WHERE ({}) IS TRUE) WHERE __den IS NOT NULL GROUP BY GROUPING SETS ({})",
        select.join(", "),
        inner.join(", "),
        condition(&ind.scope),
        sets.join(", ")
    )
}

/// The Python script: reads and types the file, runs every indicator's query, prints the time,
/// the peak resident memory and each result row (indicator id, then the row's fields).
fn script(catalogue: &Catalogue, dataset: &Dataset, path: &std::path::Path) -> String {
    // The columns the file has (a dataset's optional columns may be absent).
    let header = std::io::BufRead::lines(std::io::BufReader::new(
        std::fs::File::open(path).expect("the file just written"),
    ))
    .next()
    .and_then(Result::ok)
    .unwrap_or_default();
    let present: Vec<&str> = header.split(',').map(str::trim).collect();
    let columns: Vec<String> = (dataset.columns.iter())
        .filter(|c| present.contains(&c.name.as_str()))
        .filter_map(|c| typed(&c.name, &c.ty))
        .collect();
    let load = format!(
        "CREATE TABLE t AS SELECT {} FROM read_csv('{}', header=true, all_varchar=true)",
        columns.join(", "),
        path.display()
    );
    let queries: Vec<(String, String)> =
        catalogue.indicators_of(&dataset.name).map(|i| (i.id.clone(), query(i, dataset))).collect();
    let mut py = String::from(
        "import duckdb,time,resource,sys\ncon=duckdb.connect()\ncon.execute(\"set enable_progress_bar=false\")\nout=[]\nt=time.perf_counter()\n",
    );
    py.push_str(&format!("con.execute({load:?})\nloaded=time.perf_counter()-t\n"));
    for (id, q) in &queries {
        py.push_str(&format!("out.append(({id:?}, con.execute({q:?}).fetchall()))\n"));
    }
    py.push_str("secs=time.perf_counter()-t\nprint('TIME', secs)\nprint('LOAD', loaded)\nprint('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nfor i,rows in out:\n  for r in rows:\n    print(i + '\\t' + '\\t'.join('' if v is None else str(v) for v in r))\n");
    py
}

/// Where DuckDB's Python package is: the directory CI installs it into (`tests/duckdb/duckdb.sh`,
/// `METRONODE_DUCKDB`), else whatever `python3` imports.
fn python() -> std::process::Command {
    let mut c = std::process::Command::new("python3");
    if let Some(site) = std::env::var_os("METRONODE_DUCKDB") {
        c.env("PYTHONPATH", site);
    }
    c
}

/// Whether DuckDB's Python package can be imported (asserted when `METRONODE_REQUIRE_DUCKDB` is
/// set, as CI sets it).
pub fn installed() -> bool {
    let ok = python().args(["-c", "import duckdb"]).output().is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("METRONODE_REQUIRE_DUCKDB").is_none(),
        "DuckDB is required but its Python package does not import (METRONODE_DUCKDB)"
    );
    ok
}

/// Runs the same cells in DuckDB `runs` times and checks the last run's cells against
/// `tables`; an error says why there is no comparison (not installed, a failed run, a cell that
/// differs).
pub fn duckdb(
    catalogue: &Catalogue,
    dataset: &str,
    path: &std::path::Path,
    tables: &Tables,
    runs: usize,
) -> Result<SameCells, String> {
    if !installed() {
        return Err("not installed".into());
    }
    let ds = catalogue.dataset(dataset).ok_or("no such dataset")?;
    let py = script(catalogue, ds, path);
    let mut times = Vec::new();
    let mut peak_kib = 0.0f64;
    let mut load_share = 0.0;
    let mut last = String::new();
    for _ in 0..runs {
        let out = python().args(["-c", &py]).output().map_err(|e| format!("failed: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no message");
            return Err(format!("failed: {}", line.chars().take(120).collect::<String>()));
        }
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |key: &str| {
            last.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| format!("failed: no {key}"))
        };
        let secs = field("TIME ")?;
        times.push(tables.rows_read as f64 / secs);
        load_share = field("LOAD ")? / secs;
        peak_kib = peak_kib.max(field("RSS ")?);
    }
    let cells = compare(catalogue, tables, &last)?;
    Ok(SameCells {
        rows_per_s: {
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        },
        peak_mib: peak_kib / 1024.0,
        cells,
        load_share,
    })
}

/// Compares DuckDB's rows with metronode's cells: every cell DuckDB computed equals
/// metronode's, and every cell metronode has that DuckDB has not (a value no row holds) is
/// zero. Returns the cells compared.
fn compare(catalogue: &Catalogue, tables: &Tables, out: &str) -> Result<usize, String> {
    let mut ours: HashMap<(String, String, String, String), Acc> = HashMap::new();
    for t in &tables.tables {
        for c in &t.cells {
            let dim = c.dimension.clone().unwrap_or_default();
            ours.insert((t.indicator_id.clone(), c.series.clone(), dim, c.value.clone()), c.acc);
        }
    }
    let mut seen = 0;
    let summary = ["TIME ", "LOAD ", "RSS "];
    for line in out.lines().filter(|l| !summary.iter().any(|s| l.starts_with(s))) {
        let mut fields = line.split('\t');
        let id = fields.next().unwrap_or_default();
        let ind = catalogue.indicator(id).ok_or_else(|| format!("unknown indicator {id}"))?;
        let fields: Vec<&str> = fields.collect();
        let dims = ind.disaggregations.len();
        let (dimension, value) = match (0..dims).find(|&j| !fields[j].is_empty()) {
            Some(j) => (ind.disaggregations[j].clone(), fields[j].to_owned()),
            None => (String::new(), String::new()),
        };
        for (i, s) in ind.series.iter().enumerate() {
            let n = |k: usize| -> Result<i128, String> {
                fields[dims + 4 * i + k].parse().map_err(|_| format!("{id}: not a number"))
            };
            let theirs = Acc { den: n(0)?, num: n(1)?, n_den: n(2)? as u64, n_num: n(3)? as u64 };
            let key = (id.to_owned(), s.code.clone(), dimension.clone(), value.clone());
            match ours.remove(&key) {
                Some(acc) if acc == theirs => seen += 1,
                Some(acc) => {
                    return Err(format!(
                        "differs at {key:?}: metronode {acc:?}, DuckDB {theirs:?}"
                    ));
                }
                None if theirs == Acc::default() => {}
                None => return Err(format!("metronode has no cell {key:?}, DuckDB {theirs:?}")),
            }
        }
    }
    if let Some((key, acc)) = ours.iter().find(|(_, acc)| **acc != Acc::default()) {
        return Err(format!("DuckDB has no cell {key:?}, metronode {acc:?}"));
    }
    Ok(seen + ours.len())
}
