//! The commented metadata template of each artefact type, written from the same field tables
//! the validator checks.

use super::{COMMON, Field, Kind, TYPES, details_fields, type_code};

/// What a template's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// `<…>` placeholders the validator refuses until they are replaced (what people get).
    Placeholders,
    /// Valid example values (what the tests parse back).
    Examples,
}

fn placeholder(kind: Kind, example: &str) -> String {
    match kind {
        Kind::Text | Kind::Id => r#""<text>""#.into(),
        Kind::ShortText(max) => format!(r#""<text, at most {max} characters>""#),
        Kind::Date => r#""<YYYY-MM-DD>""#.into(),
        Kind::Email => r#""<name@example.org>""#.into(),
        Kind::Language => r#""<ISO 639-1 code, e.g. en>""#.into(),
        Kind::Languages => r#"["<ISO 639-1 code, e.g. en>"]"#.into(),
        Kind::OneOf(_) => r#""<one of the values above>""#.into(),
        Kind::Exactly(_) | Kind::Indicators => example.into(),
        Kind::ListOf(_) => r#"["<one or more of the values above>"]"#.into(),
        Kind::Commitments => {
            r#"[{ commitment_id = "<id, e.g. C1>", text = "<the commitment>" }]"#.into()
        }
    }
}

fn field_lines(out: &mut String, f: &Field, fill: Fill) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "\n# {}", f.help);
    match f.kind {
        Kind::OneOf(values) => {
            let _ = writeln!(out, "# One of: {}.", values.join(" | "));
        }
        Kind::ListOf(values) => {
            let _ = writeln!(out, "# Any of: {}.", values.join(" | "));
        }
        _ => {}
    }
    match (f.required, fill) {
        (true, Fill::Placeholders) => {
            let _ = writeln!(out, "{} = {}", f.name, placeholder(f.kind, f.example));
        }
        (false, Fill::Placeholders) => {
            let _ =
                writeln!(out, "# Optional; remove the # to use it.\n# {} = {}", f.name, f.example);
        }
        (_, Fill::Examples) => {
            let _ = writeln!(out, "{} = {}", f.name, f.example);
        }
    }
}

/// The commented metadata template of a type (by CLI name or code): every field, what it
/// means, its allowed values. `None` for an unknown type.
pub fn template(artefact_type: &str, fill: Fill) -> Option<String> {
    let code = type_code(artefact_type)?;
    let (cli, _, label) = TYPES.iter().find(|(_, c, _)| *c == code)?;
    let mut out = format!(
        "# Metadata of a {label}, for\n#   metronode publish --type {cli} --title \"…\" --metadata THIS_FILE DOCUMENT\n# Replace every <…>: the node names every field still missing or wrong, all in one answer.\n"
    );
    for f in COMMON {
        field_lines(&mut out, f, fill);
    }
    let fields = details_fields(code);
    if !fields.is_empty() {
        out.push_str(if code == "algorithm_register_entry" {
            "\n# The Eurocities Algorithmic Transparency Standard 0.3.1's required fields.\n[details]\n"
        } else {
            "\n# The fields of this type.\n[details]\n"
        });
        for f in fields {
            field_lines(&mut out, f, fill);
        }
    }
    Some(out)
}
