//! The same cells in DuckDB and polars: every cell ingest computes for a dataset's indicators (each series,
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

/// An engine's run of the same cells.
pub struct SameCells {
    /// Rows per second, median of the runs (reading, typing and every aggregate).
    pub rows_per_s: f64,
    /// Peak resident memory of the engine's process (MiB), the largest of the runs.
    pub peak_mib: f64,
    /// Cells compared, all equal.
    pub cells: usize,
    /// The share of the engine's time spent reading and typing the file (the rest: the queries).
    pub load_share: f64,
}

fn quoted(values: &[String]) -> String {
    values.iter().map(|v| format!("'{}'", v.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
}

/// How an engine writes the catalogue's expressions: SQL or polars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sql,
    Polars,
}

impl Dialect {
    /// A column of the file (read as text) typed as ingest types it, under its own name.
    fn typed(self, name: &str, ty: &ColumnType) -> Option<String> {
        let c = self.column(name);
        let (yes, no) = ("'1','true','TRUE','True'", "'0','false','FALSE','False'");
        Some(match self {
            Dialect::Sql => match ty {
                ColumnType::Weight => format!("CAST({c} AS DECIMAL(18,6)) AS {c}"),
                ColumnType::Count => format!("TRY_CAST(NULLIF({c}, '') AS BIGINT) AS {c}"),
                ColumnType::Bool => format!(
                    "CASE WHEN {c} IN ({yes}) THEN TRUE WHEN {c} IN ({no}) THEN FALSE END AS {c}"
                ),
                ColumnType::Enum(_) | ColumnType::District => format!("NULLIF({c}, '') AS {c}"),
                ColumnType::Id | ColumnType::Date => return None,
            },
            Dialect::Polars => {
                let blank = format!("pl.when({c} == '').then(None).otherwise({c})");
                let e = match ty {
                    ColumnType::Weight => format!("{c}.cast(pl.Decimal(18, 6))"),
                    ColumnType::Count => format!("{blank}.cast(pl.Int64, strict=False)"),
                    ColumnType::Bool => format!(
                        "pl.when({c}.is_in([{yes}])).then(True).when({c}.is_in([{no}])).then(False).otherwise(None)"
                    ),
                    ColumnType::Enum(_) | ColumnType::District => blank,
                    ColumnType::Id | ColumnType::Date => return None,
                };
                format!("({e}).alias({name:?})")
            }
        })
    }

    fn column(self, c: &str) -> String {
        match self {
            Dialect::Sql => format!("\"{c}\""),
            Dialect::Polars => format!("pl.col({c:?})"),
        }
    }

    /// An expression as a condition, in three-valued logic (SQL's, and polars' `&`, `|` and
    /// `~`, are Kleene's, as the catalogue's are; a test of a missing value is missing).
    fn condition(self, e: &Expr) -> String {
        let (and, or, not) = match self {
            Dialect::Sql => ("AND", "OR", "NOT"),
            Dialect::Polars => ("&", "|", "~"),
        };
        match e {
            Expr::True | Expr::One => {
                if self == Dialect::Sql {
                    "TRUE".into()
                } else {
                    "pl.lit(True)".into()
                }
            }
            Expr::Col(c) => self.column(c),
            Expr::In { col, values, negate } => {
                let c = self.column(col);
                let test = match self {
                    Dialect::Sql => format!("{c} IN ({})", quoted(values)),
                    Dialect::Polars => {
                        let list: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                        format!(
                            "pl.when({c}.is_null()).then(None).otherwise({c}.is_in([{}]))",
                            list.join(", ")
                        )
                    }
                };
                if *negate { format!("{not} ({test})") } else { test }
            }
            Expr::Not(e) => format!("{not} ({})", self.condition(e)),
            Expr::And(a, b) => format!("(({}) {and} ({}))", self.condition(a), self.condition(b)),
            Expr::Or(a, b) => format!("(({}) {or} ({}))", self.condition(a), self.condition(b)),
        }
    }

    /// An expression as a measure: 1 for every row, a count column's value, or a condition
    /// counted 1 or 0 (missing when unknown).
    fn measure(self, e: &Expr, dataset: &Dataset) -> String {
        match e {
            Expr::One => self.one(),
            Expr::Col(c)
                if dataset.columns.iter().any(|k| k.name == *c && k.ty == ColumnType::Count) =>
            {
                self.column(c)
            }
            e => match self {
                Dialect::Sql => format!("CAST(({}) AS BIGINT)", self.condition(e)),
                Dialect::Polars => format!("({}).cast(pl.Int64)", self.condition(e)),
            },
        }
    }

    fn one(self) -> String {
        match self {
            Dialect::Sql => "1".into(),
            Dialect::Polars => "pl.lit(1, dtype=pl.Int64)".into(),
        }
    }

    /// An indicator's weight (1 when it has none).
    fn weight(self, ind: &Indicator) -> String {
        ind.weight.as_ref().map_or_else(|| self.one(), |w| self.column(w))
    }
}

/// One query for an indicator: every series' sums over the total and each disaggregation.
fn query(ind: &Indicator, dataset: &Dataset) -> String {
    let sql = Dialect::Sql;
    let w = sql.weight(ind);
    let mut inner =
        vec![format!("{w} AS __w"), format!("{} AS __den", sql.measure(&ind.denominator, dataset))];
    for (i, s) in ind.series.iter().enumerate() {
        inner.push(format!("{} AS __n{i}", sql.measure(&s.numerator, dataset)));
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
        sql.condition(&ind.scope),
        sets.join(", ")
    )
}

/// The polars code for an indicator: a function of the typed frame returning its rows in
/// `query`'s form (the dimensions, then four sums per series; weighted sums in millionths).
fn pl_query(ind: &Indicator, dataset: &Dataset) -> String {
    let pl = Dialect::Polars;
    let w = pl.weight(ind);
    let mut inner = vec![
        format!("({w}).alias('__w')"),
        format!("({}).alias('__den')", pl.measure(&ind.denominator, dataset)),
    ];
    for (i, s) in ind.series.iter().enumerate() {
        inner.push(format!("({}).alias('__n{i}')", pl.measure(&s.numerator, dataset)));
    }
    for (j, d) in ind.disaggregations.iter().enumerate() {
        inner.push(format!("pl.col({d:?}).cast(pl.String).fill_null('unknown').alias('__d{j}')"));
    }
    let mut aggregates = Vec::new();
    for i in 0..ind.series.len() {
        let known = format!("pl.col('__n{i}').is_not_null()");
        aggregates
            .push(format!("(pl.col('__w') * pl.col('__den')).filter({known}).sum().alias('a{i}')"));
        aggregates.push(format!(
            "(pl.col('__w') * pl.col('__n{i}')).filter({known}).sum().alias('b{i}')"
        ));
        aggregates.push(format!(
            "({known} & (pl.col('__den') > 0)).fill_null(False).sum().alias('c{i}')"
        ));
        aggregates.push(format!("(pl.col('__n{i}') > 0).fill_null(False).sum().alias('d{i}')"));
    }
    let dims = ind.disaggregations.len();
    format!(
        "def q(t):\n  dims_={dims}\n  s=t.filter(({}).fill_null(False)).select({}).filter(pl.col('__den').is_not_null())\n  aggs=[{}]\n  out=[[None]*{dims} + list(s.select(aggs).row(0))]\n  for j in range({dims}):\n    for r in s.group_by('__d%d' % j).agg(aggs).rows():\n      out.append([None]*j + [r[0]] + [None]*({dims}-j-1) + list(r[1:]))\n  for r in out:\n    for k in range({series}):\n      for x in (dims_+4*k, dims_+4*k+1):\n        r[x]=int(decimal.Decimal(str(r[x] or 0))*1000000)\n  return out\n",
        pl.condition(&ind.scope),
        inner.join(", "),
        aggregates.join(", "),
        series = ind.series.len(),
    )
}

/// An engine that computes the same cells: neither was written for metronode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// DuckDB's Python package: SQL, `GROUPING SETS`, exact `DECIMAL` weights.
    DuckDb,
    /// polars' Python package: its expressions, a group-by per disaggregation, `Decimal` weights.
    Polars,
}

impl Engine {
    /// The engine's name, for reports and errors.
    pub fn name(self) -> &'static str {
        match self {
            Engine::DuckDb => "DuckDB",
            Engine::Polars => "polars",
        }
    }

    fn module(self) -> &'static str {
        match self {
            Engine::DuckDb => "duckdb",
            Engine::Polars => "polars",
        }
    }
}

/// The Python script: reads and types the file, runs every indicator's query, prints the time,
/// the peak resident memory and each result row (indicator id, then the row's fields).
fn script(
    engine: Engine,
    catalogue: &Catalogue,
    dataset: &Dataset,
    path: &std::path::Path,
) -> String {
    // The columns the file has (a dataset's optional columns may be absent).
    let header = std::io::BufRead::lines(std::io::BufReader::new(
        std::fs::File::open(path).expect("the file just written"),
    ))
    .next()
    .and_then(Result::ok)
    .unwrap_or_default();
    let present: Vec<&str> = header.split(',').map(str::trim).collect();
    let columns = dataset.columns.iter().filter(|c| present.contains(&c.name.as_str()));
    let mut py = match engine {
        Engine::DuckDb => {
            let columns: Vec<String> =
                columns.filter_map(|c| Dialect::Sql.typed(&c.name, &c.ty)).collect();
            let load = format!(
                "CREATE TABLE t AS SELECT {} FROM read_csv('{}', header=true, all_varchar=true)",
                columns.join(", "),
                path.display()
            );
            let mut py = String::from(
                "import duckdb,time,resource,sys\ncon=duckdb.connect()\ncon.execute(\"set enable_progress_bar=false\")\nout=[]\nt=time.perf_counter()\n",
            );
            py.push_str(&format!("con.execute({load:?})\nloaded=time.perf_counter()-t\n"));
            for ind in catalogue.indicators_of(&dataset.name) {
                let (id, q) = (&ind.id, query(ind, dataset));
                py.push_str(&format!("out.append(({id:?}, con.execute({q:?}).fetchall()))\n"));
            }
            py
        }
        Engine::Polars => {
            let columns: Vec<String> =
                columns.filter_map(|c| Dialect::Polars.typed(&c.name, &c.ty)).collect();
            let mut py = String::from(
                "import polars as pl,time,resource,sys,decimal\nout=[]\nt=time.perf_counter()\n",
            );
            py.push_str(&format!(
                "f=pl.read_csv({:?}, infer_schema=False).select([{}])\nloaded=time.perf_counter()-t\n",
                path.display().to_string(),
                columns.join(", ")
            ));
            for ind in catalogue.indicators_of(&dataset.name) {
                py.push_str(&pl_query(ind, dataset));
                py.push_str(&format!("out.append(({:?}, q(f)))\n", ind.id));
            }
            py
        }
    };
    py.push_str("secs=time.perf_counter()-t\nprint('TIME', secs)\nprint('LOAD', loaded)\nprint('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nfor i,rows in out:\n  for r in rows:\n    print(i + '\\t' + '\\t'.join('' if v is None else str(v) for v in r))\n");
    py
}

/// Python with DuckDB's and polars' packages: the directory CI installs them into
/// (`tests/duckdb/duckdb.sh`, `METRONODE_DUCKDB`), else whatever `python3` imports.
pub fn python() -> std::process::Command {
    let mut c = std::process::Command::new("python3");
    if let Some(site) = std::env::var_os("METRONODE_DUCKDB") {
        c.env("PYTHONPATH", site);
    }
    c
}

/// Whether DuckDB's and polars' Python packages can be imported (asserted when
/// `METRONODE_REQUIRE_DUCKDB` is set, as CI sets it).
pub fn installed() -> bool {
    let ok =
        python().args(["-c", "import duckdb, polars"]).output().is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("METRONODE_REQUIRE_DUCKDB").is_none(),
        "DuckDB and polars are required but their Python packages do not import (METRONODE_DUCKDB)"
    );
    ok
}

/// Runs the same cells in `engine` `runs` times and checks the last run's cells against
/// `tables`; an error says why there is no comparison (not installed, a failed run, a cell that
/// differs).
pub fn run(
    engine: Engine,
    catalogue: &Catalogue,
    dataset: &str,
    path: &std::path::Path,
    tables: &Tables,
    runs: usize,
) -> Result<SameCells, String> {
    let import = format!("import {}", engine.module());
    if !python().args(["-c", &import]).output().is_ok_and(|o| o.status.success()) {
        return Err("not installed".into());
    }
    let ds = catalogue.dataset(dataset).ok_or("no such dataset")?;
    let py = script(engine, catalogue, ds, path);
    let mut times = Vec::new();
    let mut peak_kib = 0.0f64;
    let mut load_share = 0.0;
    let mut last = String::new();
    for _ in 0..runs {
        let out = python().args(["-c", &py]).output().map_err(|e| format!("failed: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no message");
            return Err(format!("failed: {}", line.chars().take(160).collect::<String>()));
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
    let cells = compare(engine, catalogue, tables, &last)?;
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

/// Compares the engine's rows with metronode's cells: every cell the engine computed equals
/// metronode's, and every cell metronode has that the engine has not (a value no row holds) is
/// zero. Returns the cells compared.
fn compare(
    engine: Engine,
    catalogue: &Catalogue,
    tables: &Tables,
    out: &str,
) -> Result<usize, String> {
    let them = engine.name();
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
                        "differs at {key:?}: metronode {acc:?}, {them} {theirs:?}"
                    ));
                }
                None if theirs == Acc::default() => {}
                None => return Err(format!("metronode has no cell {key:?}, {them} {theirs:?}")),
            }
        }
    }
    if let Some((key, acc)) = ours.iter().find(|(_, acc)| **acc != Acc::default()) {
        return Err(format!("{them} has no cell {key:?}, metronode {acc:?}"));
    }
    Ok(seen + ours.len())
}
