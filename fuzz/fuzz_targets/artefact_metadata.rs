//! Fuzz target `artefact_metadata`: `artefact::validate` for every artefact type, with the
//! input's first line as the title and the rest as the metadata TOML; also the file-name check
//! and media-type sniffing of the same bytes.
//!
//! Refused metadata is expected; a panic is a finding, and so is accepted metadata whose id is
//! not a safe name or whose JSON does not parse.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use metronode_core::{artefact, catalogue::Catalogue};

static INDICATORS: LazyLock<Vec<String>> =
    LazyLock::new(|| Catalogue::builtin().indicators.iter().map(|i| i.id.clone()).collect());

fuzz_target!(|data: &[u8]| {
    let _ = artefact::sniff(data);
    let text = String::from_utf8_lossy(data);
    let (title, toml) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = artefact::check_file_name(title);
    for (name, code, _) in artefact::TYPES {
        for ty in [*name, *code] {
            let Ok(meta) = artefact::validate(ty, title, toml, &INDICATORS) else { continue };
            assert_eq!(meta.artefact_type, *code);
            assert!(!meta.id.is_empty() && meta.id.len() <= 80, "id of 1 to 80 bytes");
            assert!(
                meta.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "id of letters, digits, - and _"
            );
            let json: serde_json::Value = serde_json::from_str(&meta.json).expect("JSON");
            assert_eq!(json["id"].as_str(), Some(meta.id.as_str()));
        }
    }
});
