//! Parsing one file's header and fields: typed values, district codes, decimal weights in
//! millionths, and the errors that name file, line, column and field.

use super::*;

impl IngestError {
    /// Line, then column: the order in which a reading from the top meets errors.
    pub(super) fn place(&self) -> (u64, usize) {
        (self.line, self.column.as_ref().map_or(0, |(n, _)| *n))
    }
}

/// A record whose field count differs from the header's, with the column where it goes wrong:
/// a quoted field that runs over a line end (a stray quote), else the first missing column (a
/// truncated line), else the first column past the header.
pub(super) fn field_count_error(
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
pub(super) struct LineTooLong(pub(super) u64);

pub(super) fn csv_message(e: &csv::Error) -> String {
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
pub(super) type HeaderError = (Option<(usize, String)>, String);

/// Maps file columns to schema columns and checks that every column an indicator reads is there.
pub(super) fn header(
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
pub(super) fn parse_value(field: &[u8], ty: &ColumnType) -> Result<Value, String> {
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
pub(super) fn parse_district(
    field: &[u8],
    prefix: &str,
    districts: &mut Districts,
) -> Result<u32, String> {
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

pub(super) fn parse_micro_bytes(text: &[u8]) -> Option<i64> {
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
pub(super) struct Districts {
    pub(super) index: HashMap<Box<str>, u32>,
    pub(super) names: Vec<Box<str>>,
}

impl Districts {
    pub(super) fn intern(&mut self, code: &str) -> Result<u32, String> {
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
