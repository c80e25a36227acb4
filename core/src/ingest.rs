//! Streaming ingest: reads a microdata CSV once, in memory that grows with the number of cells
//! and not of rows, and accumulates every indicator cell of the dataset.
//!
//! Pure over an `io::Read`: no network, no store. Errors name the file, line and column, and
//! never repeat a value from the file (a value may be personal data).

use std::{
    collections::{HashMap, HashSet},
    io::{self, Read},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
};

use sha2::{Digest, Sha256};

use crate::{
    catalogue::{
        Catalogue, ColumnType, Dataset, DatasetKind,
        expr::{Compiled, Value},
    },
    ids::MemberId,
    linalg::RowSpace,
};

/// Weights and counts are kept in millionths, as integers: no floating point touches the sums.
pub const MICRO: i64 = 1_000_000;
/// Most distinct district codes one file may carry.
pub const MAX_DISTRICTS: usize = 10_000;

/// Why an ingest failed: what and where. The message never contains a value from the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}{}: {message}", column.as_ref().map(|(n, name)| format!(":{n} (`{name}`)")).unwrap_or_default())]
pub struct IngestError {
    /// The file's name as the data officer gave it.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column position and header name, when one column is at fault.
    pub column: Option<(usize, String)>,
    /// What is wrong.
    pub message: String,
}

/// Running sums for one cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acc {
    /// Respondents (rows) counted in the denominator.
    pub n_den: u64,
    /// Respondents counted in the numerator.
    pub n_num: u64,
    /// Weighted denominator, in millionths.
    pub den: i128,
    /// Weighted numerator, in millionths.
    pub num: i128,
}

/// One computed cell, before disclosure control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellTotals {
    /// Series code (`_T` for the headline).
    pub series: String,
    /// Dimension column, `None` for the total.
    pub dimension: Option<String>,
    /// Dimension value (`unknown` when missing), empty for the total.
    pub value: String,
    /// The sums.
    pub acc: Acc,
}

/// Every cell of one indicator.
#[derive(Debug, Clone)]
pub struct Table {
    /// The indicator.
    pub indicator_id: String,
    /// Rows in the indicator's scope.
    pub rows_in_scope: u64,
    /// Rows in scope left out of at least one series because an item was missing.
    pub rows_missing_item: u64,
    /// Cells: per series, the total first, then each dimension's values in a stable order.
    pub cells: Vec<CellTotals>,
}

/// What one pass over a file produced.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The dataset.
    pub dataset: String,
    /// People or places.
    pub kind: DatasetKind,
    /// Data rows read.
    pub rows_read: u64,
    /// SHA-256 of the file's bytes.
    pub input_sha256: [u8; 32],
    /// One table per indicator of the dataset, in catalogue order.
    pub tables: Vec<Table>,
    /// The linear relations among the indicators' predicates that hold on every row read
    /// (survey datasets only): what linked disclosure control must assume an attacker knows.
    pub relations: Option<Relations>,
}

/// Which predicates the rows of a file satisfy, as a span: predicate `offsets[t] + 2 s` is
/// "counts in the denominator of table `t`, series `s`", `offsets[t] + 2 s + 1` "counts in its
/// numerator". Every row's 0/1 signature over these predicates lies in `space`, so a relation
/// among the predicates that holds on the span holds on every row, and so on every weighted sum
/// of rows: the series that add up, the numerators inside denominators, one indicator's scope
/// inside another's numerator, and the relations that hold in this data only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relations {
    /// First predicate of each table.
    pub offsets: Vec<usize>,
    /// The span of the rows' signatures.
    pub space: RowSpace,
    /// Per predicate `j`, a bitset (`words()` words) of the predicates `k` that some row
    /// satisfies `j` without: where `k`'s bit is clear, `j` implies `k` on every row read (a
    /// numerator inside its denominator, one scope inside another indicator's numerator).
    pub escapes: Vec<u64>,
    /// Every distinct signature the rows showed (`words()` words each, sorted), when there were
    /// at most `SIGNATURES_KEPT`: the atoms of the interval attacker, who may know which
    /// combinations of answers occur. `None` when there were more.
    pub signatures: Option<Vec<Box<[u64]>>>,
}

impl Relations {
    /// Relations over `space` with no implication known between different predicates.
    pub fn without_implications(offsets: Vec<usize>, space: RowSpace) -> Self {
        let m = space.width();
        let words = m.div_ceil(64).max(1);
        Self { offsets, space, escapes: vec![u64::MAX; m * words], signatures: None }
    }

    /// Words per predicate in `escapes`.
    pub fn words(&self) -> usize {
        self.space.width().div_ceil(64).max(1)
    }

    /// Whether every row read that satisfies predicate `j` satisfies predicate `k`.
    pub fn implies(&self, j: usize, k: usize) -> bool {
        j == k || (self.escapes[j * self.words() + k / 64] >> (k % 64)) & 1 == 0
    }

    /// The predicate of table `t`, series `s`: the denominator, or the numerator.
    pub fn predicate(&self, t: usize, s: usize, numerator: bool) -> usize {
        self.offsets[t] + 2 * s + usize::from(numerator)
    }
}

/// Distinct signatures remembered per worker before the set starts afresh (a signature seen
/// again is only reduced against the span once more), and the most `Relations::signatures`
/// lists.
pub const SIGNATURES_KEPT: usize = 4096;

/// One worker's view of the signatures: those seen lately, their span and the implications
/// among predicates that no row has broken yet.
struct Signatures {
    seen: HashSet<Box<[u64]>>,
    /// Whether `seen` holds every signature observed (it never started afresh).
    listed: bool,
    space: RowSpace,
    /// As `Relations::escapes`.
    escapes: Vec<u64>,
    /// The current row's signature (scratch).
    row: Vec<u64>,
}

impl Signatures {
    fn new(predicates: usize) -> Self {
        let words = predicates.div_ceil(64).max(1);
        Self {
            seen: HashSet::new(),
            listed: true,
            space: RowSpace::new(predicates),
            escapes: vec![0; predicates * words],
            row: vec![0; words],
        }
    }

    /// Takes the current row's signature into the span and the implications.
    fn observe(&mut self) {
        if self.seen.contains(&self.row[..]) {
            return;
        }
        if self.seen.len() >= SIGNATURES_KEPT {
            self.seen.clear();
            self.listed = false;
        }
        self.seen.insert(self.row.clone().into_boxed_slice());
        if !self.space.full() {
            self.space.insert_bits(&self.row);
        }
        let words = self.row.len();
        for j in (0..self.space.width()).filter(|j| (self.row[j / 64] >> (j % 64)) & 1 == 1) {
            for (e, &r) in self.escapes[j * words..(j + 1) * words].iter_mut().zip(&self.row) {
                *e |= !r;
            }
        }
    }

    /// Takes in another worker's signatures.
    fn merge(&mut self, other: &Signatures) {
        self.space.merge(&other.space);
        self.escapes.iter_mut().zip(&other.escapes).for_each(|(a, b)| *a |= b);
        self.listed &= other.listed;
        if self.listed {
            self.seen.extend(other.seen.iter().cloned());
            self.listed = self.seen.len() <= SIGNATURES_KEPT;
        }
        if !self.listed {
            self.seen.clear();
        }
    }

    /// Every signature observed, sorted, if they were few enough to list.
    fn listed(&self) -> Option<Vec<Box<[u64]>>> {
        self.listed.then(|| {
            let mut all: Vec<Box<[u64]>> = self.seen.iter().cloned().collect();
            all.sort_unstable();
            all
        })
    }
}

/// Reads a file once and accumulates every cell of every indicator of `dataset`.
///
/// `weight_clip` (whole units) caps each row's weight, bounding any one person's contribution
/// when differential privacy is applied.
pub fn run(
    catalogue: &Catalogue,
    dataset: &str,
    member: &MemberId,
    file: &str,
    weight_clip: Option<u64>,
    input: impl Read,
) -> Result<Tables, IngestError> {
    run_with(catalogue, dataset, member, file, weight_clip, MAX_LINE_BYTES, input)
}

/// The longest line `run` accepts, in bytes (`[ingest] max_line_bytes`'s default).
pub const MAX_LINE_BYTES: u64 = 1 << 20;

/// `run`, refusing a line longer than `max_line_bytes` (naming it) before it fills memory.
pub fn run_with(
    catalogue: &Catalogue,
    dataset: &str,
    member: &MemberId,
    file: &str,
    weight_clip: Option<u64>,
    max_line_bytes: u64,
    input: impl Read,
) -> Result<Tables, IngestError> {
    let at = |line, message: String| IngestError { file: file.into(), line, column: None, message };
    let ds = catalogue.dataset(dataset).ok_or_else(|| {
        let names: Vec<_> = catalogue.datasets.iter().map(|d| d.name.as_str()).collect();
        at(0, format!("unknown dataset `{dataset}`; the schema has {}", names.join(", ")))
    })?;
    let mut hashing = HashingReader { inner: input, hasher: Sha256::new(), bytes: 0 };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(Crlf::new(&mut hashing, max_line_bytes));
    let mut record = csv::ByteRecord::new();
    let read = |rdr: &mut csv::Reader<_>, record: &mut csv::ByteRecord, line: u64| {
        rdr.read_byte_record(record).map_err(|e| at(line, csv_message(&e)))
    };
    if !read(&mut rdr, &mut record, 1)? {
        return Err(at(1, "file is empty: expected a header row".into()));
    }
    let header = header(ds, catalogue, dataset, &record).map_err(|(col, message)| IngestError {
        file: file.into(),
        line: 1,
        column: col,
        message,
    })?;

    let plans: Vec<Plan> = catalogue
        .indicators_of(dataset)
        .map(|ind| Plan {
            id: ind.id.clone(),
            scope: ind.scope.compile(&ds.columns),
            den: ind.denominator.compile(&ds.columns),
            series: ind
                .series
                .iter()
                .map(|s| (s.code.clone(), s.numerator.compile(&ds.columns)))
                .collect(),
            weight: ind.weight.as_ref().and_then(|w| ds.column(w)),
            dims: ind
                .disaggregations
                .iter()
                .filter_map(|d| ds.column(d))
                .map(|c| match &ds.columns[c].ty {
                    ColumnType::Enum(values) => (c, values.len()),
                    _ => (c, 0),
                })
                .collect(),
        })
        .collect();
    let clip =
        weight_clip.map(|w| i64::try_from(w).unwrap_or(i64::MAX / MICRO).saturating_mul(MICRO));
    let mut offsets = Vec::with_capacity(plans.len());
    let mut predicates = 0;
    for p in &plans {
        offsets.push(predicates);
        predicates += 2 * p.series.len();
    }
    let survey = ds.kind.disclosure_controlled();
    let ctx = Ctx {
        file,
        ds,
        header: &header,
        plans: &plans,
        offsets: &offsets,
        predicates,
        clip,
        survey,
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let stop = AtomicBool::new(false);
    let prefix = format!("{member}-");
    // District columns are interned here, in file order, so every worker numbers them alike.
    let district_cols: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, slot)| matches!(ds.columns[**slot].ty, ColumnType::District))
        .map(|(pos, _)| pos)
        .collect();
    let mut districts = Districts::default();
    let mut rows_read = 0u64;
    let mut first_error: Option<IngestError> = None;

    let results = std::thread::scope(|scope| {
        let (back_tx, back_rx) = mpsc::channel::<Batch>();
        let mut senders = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Batch>(2);
            senders.push(tx);
            let (back, ctx, stop) = (back_tx.clone(), &ctx, &stop);
            handles.push(scope.spawn(move || ctx.work(rx, back, stop)));
        }
        drop(back_tx);
        let mut next = 0;
        'read: loop {
            let mut batch = back_rx.try_recv().unwrap_or_default();
            batch.len = 0;
            batch.districts.clear();
            while batch.len < BATCH {
                if batch.records.len() == batch.len {
                    batch.records.push(csv::ByteRecord::new());
                }
                let record = &mut batch.records[batch.len];
                let next_line = rdr.position().line();
                match rdr.read_byte_record(record) {
                    Ok(true) => {}
                    Ok(false) => {
                        send(&senders, &mut next, batch);
                        break 'read;
                    }
                    Err(e) => {
                        let line = e.position().map_or(next_line, |p| p.line());
                        first_error = Some(at(line, csv_message(&e)));
                        send(&senders, &mut next, batch);
                        break 'read;
                    }
                }
                let line = record.position().map_or(next_line, |p| p.line());
                if record.len() != header.len() {
                    if record.len() == 1 && record.get(0) == Some(b"") {
                        continue; // a blank line
                    }
                    first_error = Some(field_count_error(file, line, record, &header, ds));
                    send(&senders, &mut next, batch);
                    break 'read;
                }
                let mut failed = false;
                for &pos in &district_cols {
                    let code = match parse_district(&record[pos], &prefix, &mut districts) {
                        Ok(code) => code,
                        Err(message) if !failed => {
                            failed = true;
                            first_error = Some(IngestError {
                                file: file.into(),
                                line,
                                column: Some((pos + 1, ds.columns[header[pos]].name.clone())),
                                message,
                            });
                            DISTRICT_BAD
                        }
                        Err(_) => DISTRICT_BAD,
                    };
                    batch.districts.push(code);
                }
                batch.len += 1;
                rows_read += 1;
                if failed {
                    // The row still goes to a worker: an earlier column of it may be at fault.
                    send(&senders, &mut next, batch);
                    break 'read;
                }
            }
            send(&senders, &mut next, batch);
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
        drop(senders);
        handles.into_iter().map(|h| h.join().expect("ingest worker panicked")).collect::<Vec<_>>()
    });
    drop(rdr);
    let mut accs: Option<Vec<Accs>> = None;
    let mut sigs = Signatures::new(predicates);
    for result in results {
        match result {
            Ok((part, theirs)) => {
                sigs.merge(&theirs);
                match &mut accs {
                    None => accs = Some(part),
                    Some(all) => all.iter_mut().zip(part).for_each(|(a, p)| a.merge(p)),
                }
            }
            // The error the file meets first, as a one-thread reading would report it.
            Err(e) => {
                if first_error.as_ref().is_none_or(|f| e.place() < f.place()) {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let accs = accs.unwrap_or_else(|| plans.iter().map(Accs::new).collect());
    Ok(Tables {
        dataset: dataset.into(),
        kind: ds.kind,
        rows_read,
        input_sha256: hashing.hasher.finalize().into(),
        tables: plans.iter().zip(accs).map(|(p, a)| a.finish(p, ds, &districts)).collect(),
        relations: survey.then_some(Relations {
            offsets,
            signatures: sigs.listed(),
            space: sigs.space,
            escapes: sigs.escapes,
        }),
    })
}

/// Rows handed to a worker at a time.
const BATCH: usize = 1024;
/// A district field that failed its check (the reading thread has the error).
const DISTRICT_BAD: u32 = u32::MAX;
/// An empty district field.
const DISTRICT_MISSING: u32 = u32::MAX - 1;

/// Rows read by the reading thread for one worker, with their district codes interned.
#[derive(Default)]
struct Batch {
    /// Reused records; the first `len` are this batch's.
    records: Vec<csv::ByteRecord>,
    len: usize,
    /// Per row, one interned code per district column, in file order.
    districts: Vec<u32>,
}

/// Hands a batch to the next worker in turn; an empty batch goes nowhere.
fn send(senders: &[mpsc::SyncSender<Batch>], next: &mut usize, batch: Batch) {
    if batch.len > 0 {
        // A worker only hangs up once it has panicked, which the join reports.
        let _ = senders[*next % senders.len()].send(batch);
        *next += 1;
    }
}

/// What every worker reads.
struct Ctx<'a> {
    file: &'a str,
    ds: &'a Dataset,
    /// File column position to schema column.
    header: &'a [usize],
    plans: &'a [Plan],
    /// First predicate of each plan in a row's signature.
    offsets: &'a [usize],
    /// Predicates in a row's signature.
    predicates: usize,
    clip: Option<i64>,
    /// Whether signatures are collected (survey datasets).
    survey: bool,
}

impl Ctx<'_> {
    /// Types and accumulates every batch it is sent, until its first bad row; keeps receiving
    /// (and returning batches) after that so the reading thread never blocks.
    fn work(
        &self,
        rx: mpsc::Receiver<Batch>,
        back: mpsc::Sender<Batch>,
        stop: &AtomicBool,
    ) -> Result<(Vec<Accs>, Signatures), IngestError> {
        let mut accs: Vec<Accs> = self.plans.iter().map(Accs::new).collect();
        let mut sigs = Signatures::new(self.predicates);
        let mut row = vec![Value::Missing; self.ds.columns.len()];
        let mut error = None;
        for batch in rx {
            if error.is_none() {
                let per_row = batch.districts.len() / batch.len.max(1);
                for (i, record) in batch.records[..batch.len].iter().enumerate() {
                    let codes = &batch.districts[i * per_row..(i + 1) * per_row];
                    if let Err(e) = self.type_row(record, codes, &mut row) {
                        stop.store(true, Ordering::Relaxed);
                        error = Some(e);
                        break;
                    }
                    sigs.row.fill(0);
                    for ((plan, acc), &at) in
                        self.plans.iter().zip(accs.iter_mut()).zip(self.offsets)
                    {
                        acc.add(plan, &row, self.clip, &mut sigs.row, at);
                    }
                    if self.survey {
                        sigs.observe();
                    }
                }
            }
            let _ = back.send(batch);
        }
        error.map_or(Ok((accs, sigs)), Err)
    }

    /// Parses one record into `row` (schema order), district codes already interned.
    fn type_row(
        &self,
        record: &csv::ByteRecord,
        mut codes: &[u32],
        row: &mut [Value],
    ) -> Result<(), IngestError> {
        for (pos, (field, slot)) in record.iter().zip(self.header).enumerate() {
            let col = &self.ds.columns[*slot];
            if matches!(col.ty, ColumnType::District) {
                row[*slot] = match codes[0] {
                    DISTRICT_MISSING => Value::Missing,
                    // The reading thread reports it, unless an earlier column fails here.
                    DISTRICT_BAD => Value::Missing,
                    code => Value::District(code),
                };
                codes = &codes[1..];
                continue;
            }
            row[*slot] = parse_value(field, &col.ty).map_err(|message| IngestError {
                file: self.file.into(),
                line: record.position().map_or(0, |p| p.line()),
                column: Some((pos + 1, col.name.clone())),
                message,
            })?;
        }
        Ok(())
    }
}

impl IngestError {
    /// Line, then column: the order in which a reading from the top meets errors.
    fn place(&self) -> (u64, usize) {
        (self.line, self.column.as_ref().map_or(0, |(n, _)| *n))
    }
}

/// A record whose field count differs from the header's, with the column where it goes wrong:
/// a quoted field that runs over a line end (a stray quote), else the first missing column (a
/// truncated line), else the first column past the header.
fn field_count_error(
    file: &str,
    line: u64,
    record: &csv::ByteRecord,
    header: &[usize],
    ds: &Dataset,
) -> IngestError {
    let name = |pos: usize| {
        header.get(pos).map_or_else(|| "past the header".into(), |&s| ds.columns[s].name.clone())
    };
    let counts =
        format!("expected {} fields as in the header, found {}", header.len(), record.len());
    let (pos, message) = match record.iter().position(|f| f.contains(&b'\n')) {
        Some(pos) => (
            pos,
            format!(
                "this field opens a quote that runs over the line end (a stray quote?); {counts}"
            ),
        ),
        None if record.len() < header.len() => (
            record.len(),
            format!("this column is missing (a truncated or broken line?); {counts}"),
        ),
        None => (header.len(), format!("a field past the last column; {counts}")),
    };
    IngestError { file: file.into(), line, column: Some((pos + 1, name(pos))), message }
}

/// A line longer than the limit (`Crlf`'s error).
#[derive(Debug, thiserror::Error)]
#[error(
    "line longer than {0} bytes (a file without line ends, or a quote never closed?); the limit \
     is [ingest] max_line_bytes"
)]
struct LineTooLong(u64);

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => {
            match io.get_ref().and_then(|e| e.downcast_ref::<LineTooLong>()) {
                Some(long) => long.to_string(),
                None => format!("read failed: {io}"),
            }
        }
        _ => "malformed CSV (check quoting)".into(),
    }
}

/// A header problem: the column at fault (position and name), if one, and the message.
type HeaderError = (Option<(usize, String)>, String);

/// Maps file columns to schema columns and checks that every column an indicator reads is there.
fn header(
    ds: &Dataset,
    catalogue: &Catalogue,
    dataset: &str,
    record: &csv::ByteRecord,
) -> Result<Vec<usize>, HeaderError> {
    let raw = record.as_slice();
    if raw.starts_with(&[0xff, 0xfe]) || raw.starts_with(&[0xfe, 0xff]) {
        return Err((None, "file is UTF-16; save it as UTF-8".into()));
    }
    let mut slots = Vec::new();
    for (i, field) in record.iter().enumerate() {
        let field =
            if i == 0 { field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field) } else { field };
        let name = std::str::from_utf8(field).map_err(|_| {
            (None, format!("header column {}: not valid UTF-8; the file must be UTF-8", i + 1))
        })?;
        let name = name.trim();
        // An unknown name is not repeated: in a file without its header row it is a value.
        let Some(slot) = ds.column(name) else {
            return Err((
                None,
                format!(
                    "header column {}: not a column of dataset {dataset} (is the header row \
                     missing?); see docs/MICRODATA.md for its columns",
                    i + 1
                ),
            ));
        };
        if slots.contains(&slot) {
            return Err((
                Some((i + 1, ds.columns[slot].name.clone())),
                "column appears twice".into(),
            ));
        }
        slots.push(slot);
    }
    let present: Vec<&str> = slots.iter().map(|s| ds.columns[*s].name.as_str()).collect();
    for ind in catalogue.indicators_of(dataset) {
        if let Some(missing) = ind.columns().into_iter().find(|c| !present.contains(&c.as_str())) {
            return Err((
                None,
                format!("missing column `{missing}`, needed by indicator {}", ind.id),
            ));
        }
    }
    Ok(slots)
}

/// Types one field; district fields go through [`parse_district`] on the reading thread.
fn parse_value(field: &[u8], ty: &ColumnType) -> Result<Value, String> {
    if field.is_empty() {
        return match ty {
            ColumnType::Weight => {
                Err("weight is missing; every row needs its survey weight".into())
            }
            _ => Ok(Value::Missing),
        };
    }
    // Compared as bytes: a field equal to a (UTF-8) schema value is valid UTF-8 itself.
    let not_utf8 = || "not valid UTF-8; the file must be UTF-8".to_owned();
    match ty {
        ColumnType::Id => Ok(Value::Present),
        ColumnType::Weight => parse_micro_bytes(field).map(Value::Num).ok_or_else(|| {
            if std::str::from_utf8(field).is_err() {
                not_utf8()
            } else {
                "not a non-negative decimal weight".into()
            }
        }),
        ColumnType::Count => std::str::from_utf8(field)
            .map_err(|_| not_utf8())?
            .parse::<u32>()
            .map(|n| Value::Num(i64::from(n)))
            .map_err(|_| "not a non-negative whole number (at most 4294967295)".into()),
        ColumnType::Bool => match field {
            b"1" | b"true" | b"TRUE" | b"True" => Ok(Value::Bool(true)),
            b"0" | b"false" | b"FALSE" | b"False" => Ok(Value::Bool(false)),
            _ if std::str::from_utf8(field).is_err() => Err(not_utf8()),
            _ => Err("not a boolean: use 0/1 or true/false".into()),
        },
        ColumnType::Enum(values) => match values.iter().position(|v| {
            // First byte and length before the comparison: most values differ there.
            let v = v.as_bytes();
            v.len() == field.len() && v[0] == field[0] && v == field
        }) {
            Some(p) => Ok(Value::Cat(p as u8)),
            None if std::str::from_utf8(field).is_err() => Err(not_utf8()),
            None => Err(format!("not one of the allowed values: {}", values.join(", "))),
        },
        ColumnType::District => Err("district codes are interned by the reading thread".into()),
        ColumnType::Date => {
            let b = field;
            let ok = b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
            match () {
                _ if ok => Ok(Value::Present),
                _ if std::str::from_utf8(field).is_err() => Err(not_utf8()),
                _ => Err("not an ISO 8601 date (YYYY-MM-DD)".into()),
            }
        }
    }
}

/// Checks a district code (`<member>-` and up to 32 letters, digits, `-` or `_`) and interns it.
fn parse_district(field: &[u8], prefix: &str, districts: &mut Districts) -> Result<u32, String> {
    if field.is_empty() {
        return Ok(DISTRICT_MISSING);
    }
    let text = std::str::from_utf8(field)
        .map_err(|_| "not valid UTF-8; the file must be UTF-8".to_owned())?;
    let ok = text.len() <= prefix.len() + 32
        && text.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if !ok {
        return Err(format!(
            "not a district code of this city: expected {prefix} followed by letters, digits, - or _"
        ));
    }
    districts.intern(text)
}

/// Parses a non-negative decimal into millionths, rounding half up beyond six decimals.
pub fn parse_micro(text: &str) -> Option<i64> {
    parse_micro_bytes(text.as_bytes())
}

fn parse_micro_bytes(text: &[u8]) -> Option<i64> {
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &[][..]),
    };
    if int.is_empty() && frac.is_empty()
        || int.len() > 12
        || !int.iter().all(|b| b.is_ascii_digit())
        || !frac.iter().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // At most 12 digits: no overflow before the multiplication.
    let mut micro = int.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    micro = micro.checked_mul(MICRO)?;
    let mut scale = MICRO / 10;
    for (i, &d) in frac.iter().enumerate() {
        let d = i64::from(d - b'0');
        if i < 6 {
            micro += d * scale;
            scale /= 10;
        } else {
            if i == 6 && d >= 5 {
                micro += 1;
            }
            break;
        }
    }
    Some(micro)
}

#[derive(Default)]
struct Districts {
    index: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Districts {
    fn intern(&mut self, code: &str) -> Result<u32, String> {
        if let Some(i) = self.index.get(code) {
            return Ok(*i);
        }
        if self.names.len() >= MAX_DISTRICTS {
            return Err(format!("more than {MAX_DISTRICTS} distinct district codes in one file"));
        }
        let i = self.names.len() as u32;
        self.names.push(code.into());
        self.index.insert(code.into(), i);
        Ok(i)
    }
}

struct Plan {
    id: String,
    scope: Compiled,
    den: Compiled,
    series: Vec<(String, Compiled)>,
    weight: Option<usize>,
    /// Dimension columns with the value slot of `unknown` (see `Accs`).
    dims: Vec<(usize, usize)>,
}

/// Accumulators of one indicator, series innermost so that one row's contributions land in
/// adjacent cells: `dims[dimension][value slot * series count + series]`, and `total[series]`
/// only for an indicator without dimensions (otherwise the total is the first dimension's sum).
/// For an enum dimension, value slot k is the k-th value and the last slot is `unknown`; for a
/// district dimension, slot 0 is `unknown` and slot d+1 the d-th district seen.
struct Accs {
    total: Sums,
    dims: Vec<Sums>,
    rows_in_scope: u64,
    rows_missing: u64,
    /// This row's contribution per series, zero where the series has none (scratch).
    contrib: Vec<Cell>,
    /// The same in 128 bits, used for a row whose products do not fit 64 bits (scratch).
    wide: Vec<(bool, Acc)>,
}

impl Acc {
    fn absorb(&mut self, other: &Acc) {
        self.n_den += other.n_den;
        self.n_num += other.n_num;
        self.den += other.den;
        self.num += other.num;
    }
}

/// A cell's sums while reading, in 64 bits: 32 bytes, so an indicator's cells stay in the
/// first-level cache. Before any sum could overflow, the cells are moved into the 128-bit spill.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    n_den: u64,
    n_num: u64,
    den: i64,
    num: i64,
}

impl From<Cell> for Acc {
    fn from(c: Cell) -> Self {
        Acc { n_den: c.n_den, n_num: c.n_num, den: c.den.into(), num: c.num.into() }
    }
}

/// One array of cells: 64-bit sums, and their 128-bit spill (empty until a sum could overflow).
///
/// `room` is how much more any one 64-bit sum may grow for certain: each row takes its largest
/// contribution off it, and when a row's would not fit, every cell moves into the spill first.
/// So the additions themselves need no overflow checks (and the compiler vectorises them).
#[derive(Debug, Clone)]
struct Sums {
    fast: Vec<Cell>,
    spill: Vec<Acc>,
    room: u64,
}

/// The growth every 64-bit sum has room for from zero.
const ROOM: u64 = i64::MAX as u64;

impl Sums {
    fn new(len: usize) -> Self {
        Self { fast: vec![Cell::default(); len], spill: Vec::new(), room: ROOM }
    }

    fn len(&self) -> usize {
        self.fast.len()
    }

    fn grow(&mut self, len: usize) {
        if self.fast.len() < len {
            self.fast.resize(len, Cell::default());
        }
    }

    fn spilled(&mut self, i: usize) -> &mut Acc {
        if self.spill.len() <= i {
            self.spill.resize(self.fast.len().max(i + 1), Acc::default());
        }
        &mut self.spill[i]
    }

    /// Adds one row's contributions to the cells from `at` on; `bound` is at least the magnitude
    /// of each of its sums (at most `ROOM`).
    fn add(&mut self, at: usize, contrib: &[Cell], bound: u64) {
        if bound > self.room {
            self.spill_all();
        }
        self.room -= bound;
        for (cell, c) in self.fast[at..at + contrib.len()].iter_mut().zip(contrib) {
            cell.n_den += c.n_den;
            cell.n_num += c.n_num;
            cell.den += c.den;
            cell.num += c.num;
        }
    }

    /// Moves every 64-bit sum into the spill, leaving full room.
    fn spill_all(&mut self) {
        for i in 0..self.fast.len() {
            let full = std::mem::take(&mut self.fast[i]);
            self.spilled(i).absorb(&full.into());
        }
        self.room = ROOM;
    }

    /// Adds one row's 128-bit contributions to the spill from `at` on.
    fn add_wide(&mut self, at: usize, wide: &[(bool, Acc)]) {
        for (k, (has, a)) in wide.iter().enumerate() {
            if *has {
                self.spilled(at + k).absorb(a);
            }
        }
    }

    /// Cell `i`'s sums, or zero beyond the cells.
    fn get(&self, i: usize) -> Acc {
        let mut acc = self.fast.get(i).copied().map(Acc::from).unwrap_or_default();
        if let Some(s) = self.spill.get(i) {
            acc.absorb(s);
        }
        acc
    }

    /// Adds another worker's cells.
    fn merge(&mut self, other: Sums) {
        self.grow(other.len());
        for i in 0..other.len() {
            let theirs = other.get(i);
            self.spilled(i).absorb(&theirs);
        }
    }
}

impl Accs {
    fn new(plan: &Plan) -> Self {
        let series = plan.series.len();
        // Enum dimensions get all their slots now; district dimensions grow as codes appear.
        Self {
            total: Sums::new(series),
            dims: plan.dims.iter().map(|(_, unknown)| Sums::new((unknown + 1) * series)).collect(),
            rows_in_scope: 0,
            rows_missing: 0,
            contrib: vec![Cell::default(); series],
            wide: vec![(false, Acc::default()); series],
        }
    }

    /// Adds one row; sets the row's predicate bits from `at` on in `sig` (denominator, numerator
    /// per series).
    fn add(&mut self, plan: &Plan, row: &[Value], clip: Option<i64>, sig: &mut [u64], at: usize) {
        match plan.scope.test(row) {
            Some(true) => {}
            Some(false) => return,
            None => {
                // Cannot tell whether the row is in scope: it counts as missing an item.
                self.rows_missing += 1;
                return;
            }
        }
        self.rows_in_scope += 1;
        let mut w = plan.weight.map_or(MICRO, |i| match row[i] {
            Value::Num(w) => w,
            _ => 0,
        });
        if let Some(c) = clip {
            w = w.min(c);
        }
        let Some(den) = plan.den.measure(row) else {
            self.rows_missing += 1;
            return;
        };
        let mut all = true;
        let mut fits = true;
        let mut bound = 0u64;
        for (s, (one, (_, num))) in self.contrib.iter_mut().zip(&plan.series).enumerate() {
            *one = match num.measure(row) {
                Some(num) => {
                    let bit = at + 2 * s;
                    sig[bit / 64] |= u64::from(den > 0) << (bit % 64);
                    sig[(bit + 1) / 64] |= u64::from(num > 0) << ((bit + 1) % 64);
                    match (w.checked_mul(den), w.checked_mul(num)) {
                        (Some(d), Some(n)) => {
                            bound = bound.max(d.unsigned_abs()).max(n.unsigned_abs());
                            Cell {
                                n_den: u64::from(den > 0),
                                n_num: u64::from(num > 0),
                                den: d,
                                num: n,
                            }
                        }
                        _ => {
                            fits = false;
                            Cell::default()
                        }
                    }
                }
                None => {
                    all = false;
                    Cell::default()
                }
            };
        }
        // A product of i64::MIN's magnitude has no room anywhere: the 128-bit path takes it.
        fits &= bound <= ROOM;
        if !fits {
            // A weight times a count beyond 64 bits: this row's products in 128 bits.
            for ((has, wide), (_, num)) in self.wide.iter_mut().zip(&plan.series) {
                let num = num.measure(row);
                *has = num.is_some();
                let num = num.unwrap_or_default();
                *wide = Acc {
                    n_den: u64::from(den > 0),
                    n_num: u64::from(num > 0),
                    den: i128::from(w) * i128::from(den),
                    num: i128::from(w) * i128::from(num),
                };
            }
        }
        self.rows_missing += u64::from(!all);
        let series = self.contrib.len();
        let slots = plan.dims.iter().map(|(col, unknown)| match row[*col] {
            Value::Cat(k) => k as usize,
            Value::District(i) => i as usize + 1,
            _ => *unknown,
        });
        // With a dimension, the total is the sum of its cells (every row has a slot, `unknown`
        // included): derived in `finish` instead of summed per row.
        let summed_total = self.dims.is_empty();
        if fits {
            if summed_total {
                self.total.add(0, &self.contrib, bound);
            }
            for (cells, slot) in self.dims.iter_mut().zip(slots) {
                cells.grow((slot + 1) * series); // a district seen first
                cells.add(slot * series, &self.contrib, bound);
            }
        } else {
            if summed_total {
                self.total.add_wide(0, &self.wide);
            }
            for (cells, slot) in self.dims.iter_mut().zip(slots) {
                cells.grow((slot + 1) * series);
                cells.add_wide(slot * series, &self.wide);
            }
        }
    }

    /// Adds another worker's sums for the same indicator.
    fn merge(&mut self, other: Accs) {
        self.rows_in_scope += other.rows_in_scope;
        self.rows_missing += other.rows_missing;
        self.total.merge(other.total);
        for (mine, theirs) in self.dims.iter_mut().zip(other.dims) {
            mine.merge(theirs);
        }
    }

    fn finish(self, plan: &Plan, ds: &Dataset, districts: &Districts) -> Table {
        let n = plan.series.len();
        let mut cells = Vec::new();
        for (s, (code, _)) in plan.series.iter().enumerate() {
            let total = match self.dims.first() {
                Some(first) => (0..first.len() / n).fold(Acc::default(), |mut acc, slot| {
                    acc.absorb(&first.get(slot * n + s));
                    acc
                }),
                None => self.total.get(s),
            };
            cells.push(CellTotals {
                series: code.clone(),
                dimension: None,
                value: String::new(),
                acc: total,
            });
            for ((col, _), accs) in plan.dims.iter().zip(&self.dims) {
                let column = &ds.columns[*col];
                let labels: Vec<String> = match &column.ty {
                    ColumnType::Enum(values) => {
                        values.iter().cloned().chain(["unknown".to_owned()]).collect()
                    }
                    _ => std::iter::once("unknown".to_owned())
                        .chain(districts.names.iter().map(|n| n.to_string()))
                        .collect(),
                };
                let mut dim_cells: Vec<CellTotals> = labels
                    .into_iter()
                    .enumerate()
                    .map(|(slot, label)| (label, accs.get(slot * n + s)))
                    // Values nobody in the file has are not cells; an empty `unknown` neither.
                    .filter(|(_, acc)| acc.n_den > 0 || acc.den != 0)
                    .map(|(value, acc)| CellTotals {
                        series: code.clone(),
                        dimension: Some(column.name.clone()),
                        value,
                        acc,
                    })
                    .collect();
                if matches!(column.ty, ColumnType::District) {
                    // Districts in code order, `unknown` last, whatever order the file had.
                    dim_cells.sort_by(|a, b| {
                        (a.value == "unknown", &a.value).cmp(&(b.value == "unknown", &b.value))
                    });
                }
                cells.extend(dim_cells);
            }
        }
        Table {
            indicator_id: plan.id.clone(),
            rows_in_scope: self.rows_in_scope,
            rows_missing_item: self.rows_missing,
            cells,
        }
    }
}

/// Turns CRLF line ends into LF before the CSV reader sees them (the file's hash is taken on its
/// own bytes, before): the `csv` crate places a record after a CRLF at the line before, so a
/// file saved by Excel on Windows had every error one line too early. A lone CR is kept.
struct Crlf<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// The last byte read was a CR, not yet given out: it depends on the byte after it.
    held_cr: bool,
    /// The longest line allowed, and the bytes given out since the last line end.
    max_line: u64,
    since_newline: u64,
    /// A line over the limit starts where the buffer ends: the next fill fails.
    too_long: bool,
}

impl<R: Read> Crlf<R> {
    fn new(inner: R, max_line: u64) -> Self {
        Self {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            held_cr: false,
            max_line,
            since_newline: 0,
            too_long: false,
        }
    }

    /// Measures the lines of the buffer just filled. At a line over the limit, the buffer is
    /// cut where that line starts (so the reader meets it at its own line number) and the next
    /// fill fails; when nothing is left before it, this one does.
    fn measure(&mut self) -> io::Result<()> {
        let data = &self.buf[..self.len];
        // Where the current line starts in the buffer, and its bytes given out before it.
        let (mut start, mut carried) = (0, self.since_newline);
        let cut = loop {
            match data[start..].iter().position(|&b| b == b'\n') {
                Some(i) if carried + i as u64 > self.max_line => break Some(start),
                Some(i) => {
                    (start, carried) = (start + i + 1, 0);
                    // No line inside the buffer can be over a limit the buffer is shorter than.
                    if self.max_line >= data.len() as u64
                        && let Some(last) = data[start..].iter().rposition(|&b| b == b'\n')
                    {
                        start += last + 1;
                    }
                }
                None if carried + (data.len() - start) as u64 > self.max_line => break Some(start),
                None => {
                    self.since_newline = carried + (data.len() - start) as u64;
                    break None;
                }
            }
        };
        if let Some(at) = cut {
            self.len = at;
            self.too_long = true;
            if at == 0 {
                return Err(self.too_long_error());
            }
        }
        Ok(())
    }

    fn too_long_error(&self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, LineTooLong(self.max_line))
    }

    /// Refills the buffer; leaves it empty only at the end of the input.
    fn fill(&mut self) -> io::Result<()> {
        if self.too_long {
            return Err(self.too_long_error());
        }
        loop {
            let mut n = 0;
            if self.held_cr {
                self.buf[0] = b'\r';
                self.held_cr = false;
                n = 1;
            }
            let m = self.inner.read(&mut self.buf[n..])?;
            let total = n + m;
            (self.pos, self.len) = (0, total);
            if m == 0 || !self.buf[..total].contains(&b'\r') {
                return self.measure();
            }
            let mut w = 0;
            for i in 0..total {
                let b = self.buf[i];
                if b == b'\r' && i + 1 < total && self.buf[i + 1] == b'\n' {
                    continue;
                }
                self.buf[w] = b;
                w += 1;
            }
            if self.buf[total - 1] == b'\r' {
                self.held_cr = true;
                w -= 1;
            }
            self.len = w;
            if w > 0 {
                return self.measure();
            }
        }
    }
}

impl<R: Read> Read for Crlf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.len {
            self.fill()?;
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
