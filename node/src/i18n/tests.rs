//! Tests of the languages: every file parses, every language has every message English has,
//! the catalogue is labelled in every language, and a request gets the language it asks for.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::{ast, parser};

use super::*;
use crate::catalogue::{Catalogue, ColumnType};

/// Message ids of a file, each with its attribute names, and the variables it uses.
fn messages(text: &str) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let resource = parser::parse(text).unwrap_or_else(|(_, errors)| panic!("{errors:?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        match entry {
            ast::Entry::Message(m) => {
                let attributes = m.attributes.iter().map(|a| a.id.name.to_owned()).collect();
                let variables = variables_of(text, m.id.name);
                out.insert(m.id.name.to_owned(), (attributes, variables));
            }
            ast::Entry::Junk { content } => panic!("not Fluent: {content}"),
            _ => {}
        }
    }
    out
}

/// The `$variables` in the lines of message `id` (up to the next message).
fn variables_of(text: &str, id: &str) -> BTreeSet<String> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&format!("{id} =")));
    let mut body = lines.next().unwrap_or_default().to_owned();
    for l in lines.take_while(|l| l.starts_with(' ') || l.is_empty()) {
        body.push_str(l);
    }
    body.split('$')
        .skip(1)
        .map(|s| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .collect()
}

#[test]
fn every_language_has_every_message_english_has_with_its_variables() {
    for (i, lang) in LANGS.iter().enumerate() {
        for (file, (text, english)) in [
            ("node/i18n", (SOURCES[i].0, SOURCES[0].0)),
            ("catalogue/labels", (SOURCES[i].1, SOURCES[0].1)),
        ] {
            let ours = messages(text);
            let theirs = messages(english);
            let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{file}/{}.ftl lacks {missing:?}", lang.code());
            let extra: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).collect();
            assert!(
                extra.is_empty(),
                "{file}/{}.ftl has {extra:?} that English has not",
                lang.code()
            );
            for (id, (attributes, variables)) in &theirs {
                let (a, v) = &ours[id];
                assert_eq!(a, attributes, "{file}/{}.ftl {id}: attributes", lang.code());
                assert!(v.is_superset(variables), "{file}/{}.ftl {id}: uses {v:?}", lang.code());
            }
        }
    }
}

#[test]
fn every_indicator_series_dimension_and_value_of_the_catalogue_is_labelled_in_every_language() {
    let cat = Catalogue::builtin();
    let mut missing = Vec::new();
    for lang in LANGS {
        let mut has = |key: &str, attribute: Option<&str>| {
            if lang.lookup(key, attribute, &[]).is_none() {
                missing.push(format!(
                    "{}: {key}{}",
                    lang.code(),
                    attribute.map(|a| format!(".{a}")).unwrap_or_default()
                ));
            }
        };
        has("dimension-city", None);
        for i in &cat.indicators {
            has(&format!("indicator-{}", i.id), None);
            has(&format!("indicator-{}", i.id), Some("definition"));
            for s in i.series.iter().filter(|s| s.code != "_T") {
                has(&format!("series-{}-{}", i.id, s.code), None);
            }
            let dataset = cat.dataset(&i.dataset).expect("the indicator's dataset");
            for d in &i.disaggregations {
                has(&format!("dimension-{d}"), None);
                has(&format!("value-{d}-unknown"), None);
                let column = &dataset.columns[dataset.column(d).expect("a column")];
                if let ColumnType::Enum(values) = &column.ty {
                    for v in values {
                        has(&format!("value-{d}-{v}"), None);
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "labels missing: {missing:?}");
}

#[test]
fn english_labels_are_the_catalogues_own_names_and_definitions() {
    for i in &Catalogue::builtin().indicators {
        assert_eq!(Lang::En.indicator_name(&i.id, ""), i.name, "{}", i.id);
        assert_eq!(Lang::En.indicator_definition(&i.id, ""), i.definition, "{}", i.id);
    }
}

#[test]
fn machine_translations_are_marked_for_review() {
    assert!(!Lang::En.machine_translated());
    for lang in &LANGS[1..] {
        assert!(lang.machine_translated(), "{}", lang.code());
    }
}

#[test]
fn a_request_gets_the_language_it_asks_for() {
    assert_eq!(Lang::negotiate(None, Some("bg-BG,bg;q=0.9,en;q=0.8")), Lang::Bg);
    assert_eq!(Lang::negotiate(None, Some("de-DE, fr-BE;q=0.5")), Lang::Fr);
    assert_eq!(Lang::negotiate(None, Some("nl-BE")), Lang::Nl);
    assert_eq!(Lang::negotiate(None, Some("ga-IE,en-IE;q=0.7")), Lang::Ga);
    assert_eq!(Lang::negotiate(None, Some("sq")), Lang::Sq);
    assert_eq!(Lang::negotiate(None, Some("de-DE")), Lang::En);
    assert_eq!(Lang::negotiate(None, None), Lang::En);
    assert_eq!(Lang::negotiate(Some("fr"), Some("bg")), Lang::Fr);
    assert_eq!(Lang::negotiate(Some("xx"), Some("bg")), Lang::Bg);
}

#[test]
fn numbers_are_written_as_each_language_writes_them() {
    assert_eq!(Lang::En.number(12345.67, 1), "12,345.7");
    assert_eq!(Lang::Ga.number(1234.0, 0), "1,234");
    assert_eq!(Lang::Nl.number(12345.67, 1), "12.345,7");
    assert_eq!(Lang::Fr.number(1234567.0, 0), "1\u{202f}234\u{202f}567");
    assert_eq!(Lang::Bg.number(1234.5, 1), "1234,5");
    assert_eq!(Lang::Bg.number(12345.5, 1), "12\u{a0}345,5");
    assert_eq!(Lang::Sq.number(62.14, 1), "62,1");
    assert_eq!(Lang::En.number(-3.25, 1), "-3.2");
    assert_eq!(Lang::En.number(-0.01, 1), "0.0");
    assert_eq!(Lang::Fr.in_unit(0.621, "percent"), "62,1\u{202f}%");
    assert_eq!(Lang::En.in_unit(0.621, "percent"), "62.1%");
    assert_eq!(Lang::En.difference(0.05, "percent"), "5.0 percentage points");
}

#[test]
fn plural_forms_follow_the_language() {
    let one = Lang::En.t("cities-included", &[("count", Arg::Count(1))]);
    let four = Lang::En.t("cities-included", &[("count", Arg::Count(4))]);
    assert_eq!((one.as_str(), four.as_str()), ("1 city included", "4 cities included"));
    for lang in LANGS {
        let text = lang.t("cities-included", &[("count", Arg::Count(4))]);
        assert!(text.contains('4') && text != "cities-included", "{}: {text}", lang.code());
    }
}
