//! Streaming ingest: reads a microdata CSV once, in memory that grows with the number of cells
//! and not of rows, and accumulates every indicator cell of the dataset.
//!
//! Pure over an `io::Read`: no network, no store. Errors name the file, line and column, and
//! never repeat a value from the file (a value may be personal data).
//!
//! Here: the pass itself (`run`: the reading thread, the workers, the order of errors) and what
//! it produces; `parse`: header and fields; `sums`: each indicator's plan and running sums;
//! `relations`: the predicates' span and the signatures the rows show; `read`: the byte stream.

use std::{
    collections::{HashMap, HashSet},
    io::{self, Read},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
};

use sha2::{Digest, Sha256};

mod parse;
mod read;
mod relations;
mod sums;

pub use parse::parse_micro;
use parse::*;
use read::*;
use relations::*;
pub use relations::{Relations, SIGNATURES_KEPT};
use sums::*;

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

#[cfg(test)]
mod tests;
