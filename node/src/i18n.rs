//! The languages people read the dashboard in: the Fluent message files of the interface
//! (`node/i18n/`) and of the catalogue's labels (`catalogue/labels/`), the choice of language
//! for a request (`?lang=`, then `Accept-Language`), and numbers written as each language
//! writes them (CLDR's decimal and grouping symbols).
//!
//! A message missing in a language falls back to English, then to the code itself; the tests
//! hold every language complete, so the fallbacks are for a catalogue a city extended.

use std::sync::OnceLock;

use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use unic_langid::LanguageIdentifier;

/// A language of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// Dutch.
    Nl,
    /// Irish.
    Ga,
    /// Bulgarian.
    Bg,
    /// Albanian.
    Sq,
}

/// Every language, English first (the fallback).
pub const LANGS: [Lang; 6] = [Lang::En, Lang::Fr, Lang::Nl, Lang::Ga, Lang::Bg, Lang::Sq];

/// The interface's messages and the catalogue's labels, per language.
const SOURCES: [(&str, &str); 6] = [
    (include_str!("../i18n/en.ftl"), include_str!("../../catalogue/labels/en.ftl")),
    (include_str!("../i18n/fr.ftl"), include_str!("../../catalogue/labels/fr.ftl")),
    (include_str!("../i18n/nl.ftl"), include_str!("../../catalogue/labels/nl.ftl")),
    (include_str!("../i18n/ga.ftl"), include_str!("../../catalogue/labels/ga.ftl")),
    (include_str!("../i18n/bg.ftl"), include_str!("../../catalogue/labels/bg.ftl")),
    (include_str!("../i18n/sq.ftl"), include_str!("../../catalogue/labels/sq.ftl")),
];

/// An argument of a message: text, or a number that selects a plural form.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// Shown as is.
    Text(&'a str),
    /// Selects the plural form and is shown formatted for the language.
    Count(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 6] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 6]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        LANGS.map(|lang| {
            let id: LanguageIdentifier = lang.code().parse().expect("a language code");
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Placeables land in HTML: no bidi isolation marks around them.
            bundle.set_use_isolating(false);
            let (ui, labels) = SOURCES[lang as usize];
            for text in [ui, labels] {
                // The tests hold every file free of errors; a bad entry is skipped, not fatal.
                let resource = FluentResource::try_new(text.to_owned()).unwrap_or_else(|(r, _)| r);
                let _ = bundle.add_resource(resource);
            }
            bundle
        })
    })
}

impl Lang {
    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Nl => "nl",
            Lang::Ga => "ga",
            Lang::Bg => "bg",
            Lang::Sq => "sq",
        }
    }

    /// The language of a code (`fr`, `fr-BE`), if the dashboard has it.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        LANGS.into_iter().find(|l| l.code() == primary)
    }

    /// The language for a request: `?lang=` when it names one, else the best of
    /// `Accept-Language`, else English.
    pub fn negotiate(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = param.and_then(Lang::parse) {
            return lang;
        }
        let Some(header) = accept_language else { return Lang::En };
        let requested = fluent_langneg::accepted_languages::parse(header);
        let available: Vec<LanguageIdentifier> =
            LANGS.iter().filter_map(|l| l.code().parse().ok()).collect();
        let default: LanguageIdentifier = "en".parse().expect("en");
        fluent_langneg::negotiate_languages(
            &requested,
            &available,
            Some(&default),
            fluent_langneg::NegotiationStrategy::Lookup,
        )
        .first()
        .and_then(|l| Lang::parse(l.language.as_str()))
        .unwrap_or(Lang::En)
    }

    /// Whether this language's catalogue labels are a machine translation not yet reviewed.
    pub fn machine_translated(self) -> bool {
        self.lookup("meta-review", None, &[]).as_deref() == Some("machine")
    }

    fn lookup(self, id: &str, attribute: Option<&str>, args: &[(&str, Arg<'_>)]) -> Option<String> {
        let bundle = &bundles()[self as usize];
        let message = bundle.get_message(id)?;
        let pattern = match attribute {
            Some(a) => message.get_attribute(a)?.value(),
            None => message.value()?,
        };
        let mut fluent_args = FluentArgs::new();
        for (name, arg) in args {
            match arg {
                Arg::Text(s) => fluent_args.set(*name, FluentValue::from(*s)),
                Arg::Count(n) => fluent_args.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }

    /// The message `id` with its arguments: in this language, else in English, else the id.
    pub fn t(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.label(id, None, args).unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` (without arguments), else `fallback`: for a code a peer sent that
    /// this node's messages do not know (a newer artefact type, say).
    pub fn t_or(self, id: &str, fallback: &str) -> String {
        self.label(id, None, &[]).unwrap_or_else(|| fallback.to_owned())
    }

    /// A message (or one of its attributes) in this language, else in English.
    fn label(self, key: &str, attribute: Option<&str>, args: &[(&str, Arg<'_>)]) -> Option<String> {
        self.lookup(key, attribute, args).or_else(|| Lang::En.lookup(key, attribute, args))
    }

    /// An indicator's name.
    pub fn indicator_name(self, id: &str, fallback: &str) -> String {
        let label = self.label(&format!("indicator-{id}"), None, &[]);
        label.unwrap_or_else(|| fallback.to_owned())
    }

    /// An indicator's definition.
    pub fn indicator_definition(self, id: &str, fallback: &str) -> String {
        let label = self.label(&format!("indicator-{id}"), Some("definition"), &[]);
        label.unwrap_or_else(|| fallback.to_owned())
    }

    /// A dimension's name (`city` included).
    pub fn dimension(self, dimension: &str) -> String {
        let label = self.label(&format!("dimension-{dimension}"), None, &[]);
        label.unwrap_or_else(|| dimension.replace('_', " "))
    }

    /// A value of a dimension; a code the catalogue does not label (a district) as it is.
    pub fn value(self, dimension: &str, value: &str) -> String {
        let label = self.label(&format!("value-{dimension}-{value}"), None, &[]);
        label.unwrap_or_else(|| value.to_owned())
    }

    /// A series of an indicator; `_T` is the headline.
    pub fn series(self, indicator: &str, code: &str) -> String {
        if code == "_T" || code.is_empty() {
            return self.t("headline-series", &[]);
        }
        let label = self.label(&format!("series-{indicator}-{code}"), None, &[]);
        label.unwrap_or_else(|| code.replace('_', " "))
    }

    /// CLDR's decimal separator, grouping separator and minimum grouping digits.
    fn symbols(self) -> (char, char, usize) {
        match self {
            Lang::En | Lang::Ga => ('.', ',', 1),
            Lang::Nl => (',', '.', 1),
            Lang::Fr => (',', '\u{202f}', 1),
            Lang::Bg | Lang::Sq => (',', '\u{a0}', 2),
        }
    }

    /// `x` with `decimals` digits after the separator, grouped as the language groups.
    pub fn number(self, x: f64, decimals: usize) -> String {
        let (decimal, group, min_grouping) = self.symbols();
        let plain = format!("{:.*}", decimals, x.abs());
        let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let digits: Vec<char> = int.chars().collect();
        let mut out = String::new();
        if x < 0.0 && plain.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.push('-');
        }
        let grouped = digits.len() >= 4 + (min_grouping - 1);
        for (i, c) in digits.iter().enumerate() {
            let left = digits.len() - i;
            out.push(*c);
            if grouped && left > 1 && (left - 1).is_multiple_of(3) {
                out.push(group);
            }
        }
        if !frac.is_empty() {
            out.push(decimal);
            out.push_str(frac);
        }
        out
    }

    /// A whole number, grouped as the language groups.
    pub fn integer(self, n: i64) -> String {
        self.number(n as f64, 0)
    }

    /// A value of `unit` (a fraction for percentages), to a tenth, with its unit.
    pub fn in_unit(self, fraction: f64, unit: &str) -> String {
        let (scale, _) = crate::aggregate::unit_scale(unit);
        let value = self.number(fraction * scale, 1);
        let id = match unit {
            "percent" => "unit-percent",
            "per_100" => "unit-per-100",
            "per_10000" => "unit-per-10000",
            _ => return value,
        };
        self.t(id, &[("value", Arg::Text(&value))])
    }

    /// A difference of two values of `unit`: percentage points for percentages.
    pub fn difference(self, fraction: f64, unit: &str) -> String {
        if unit == "percent" {
            let value = self.number(fraction * 100.0, 1);
            self.t("percentage-points", &[("value", Arg::Text(&value))])
        } else {
            self.in_unit(fraction, unit)
        }
    }
}

#[cfg(test)]
mod tests;
