//! Fuzz target `config`: `Config::parse` of `node.toml` text, and `Config::parse_with_env` with
//! `METRONODE_<SECTION>__<FIELD>` overrides. The input is the file text, then optionally a NUL
//! byte and `NAME=VALUE` lines as the environment.
//!
//! A refused configuration is expected; a panic is a finding, and so is an accepted one whose
//! accessors panic.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use metronode::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, env) = text.split_once('\0').unwrap_or((&text, ""));
    let path = Path::new("node.toml");
    if let Ok(config) = Config::parse(file, path) {
        use_config(&config);
    }
    let vars =
        env.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned()));
    match Config::parse_with_env(file, path, vars) {
        Ok(config) => use_config(&config),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});

fn use_config(config: &Config) {
    let _ = config.member_id();
    for dataset in ["survey", "household", "district_admin", "unknown"] {
        let _ = config.policy(dataset);
        let _ = config.budget_total(dataset);
    }
    let _ = format!("{config:?}");
}
