//! Reading `node.toml`: parsing with located errors, the `METRONODE_<SECTION>__<FIELD>`
//! environment overrides, validation of every field, and the policy and noise derived from it.

use super::*;

/// An environment value as a TOML value: integers, booleans and arrays as such, anything else
/// (addresses, names, decimals) as a string.
fn env_value(value: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
    {
        Some(v @ (toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Array(_))) => v,
        _ => toml::Value::String(value.to_owned()),
    }
}

/// A schema error about an environment value, without the value: a variable may carry a secret
/// by mistake (a token where its hash belongs), and no error repeats one.
/// "invalid type: string \"…\", expected a boolean" becomes "invalid type, expected a boolean".
fn without_value(message: &str) -> String {
    let message = message.trim_end().replace('\n', "; ");
    let quoting = ["invalid type", "invalid value", "invalid length", "unknown variant"];
    match (quoting.iter().find(|q| message.starts_with(*q)), message.rsplit_once(", expected ")) {
        (Some(kind), Some((_, expected))) => format!("{kind}, expected {expected}"),
        _ => message,
    }
}

impl Config {
    /// Parses configuration text; `path` is only used to locate errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            ConfigError::Parse {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim_end().replace('\n', "; "),
            }
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Parses configuration text, then applies the environment overrides among `env`
    /// (`METRONODE_<SECTION>__<FIELD>=VALUE`, see [`ENV_PREFIX`]); other variables are ignored.
    /// A pure function of its inputs, so tests pass their own environment.
    pub fn parse_with_env(
        text: &str,
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let file = Self::parse(text, path)?;
        let overrides: Vec<(String, Vec<String>, String)> = env
            .into_iter()
            .filter_map(|(var, value)| {
                let rest = var.strip_prefix(ENV_PREFIX)?;
                let keys: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
                (keys.len() >= 2 && keys.iter().all(|k| !k.is_empty()))
                    .then_some((var, keys, value))
            })
            .collect();
        if overrides.is_empty() {
            return Ok(file);
        }
        // Unwrap safety: `parse` above accepted the same text.
        let mut table: toml::Table = toml::from_str(text).expect("parsed above");
        for (var, keys, value) in &overrides {
            let env_err = |message: String| ConfigError::Env {
                path: path.to_owned(),
                var: var.clone(),
                message,
            };
            let (field, sections) = keys.split_last().expect("at least two keys");
            let mut at = &mut table;
            for section in sections {
                at = at
                    .entry(section.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .ok_or_else(|| env_err(format!("`{section}` is not a section")))?;
            }
            at.insert(field.clone(), env_value(value));
        }
        let vars = overrides.iter().map(|(v, ..)| v.as_str()).collect::<Vec<_>>().join(", ");
        let config: Config =
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
                ConfigError::Env {
                    path: path.to_owned(),
                    var: vars.clone(),
                    message: without_value(e.message()),
                }
            })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Reads and parses `DIR/node.toml`, with the process's `METRONODE_<SECTION>__<FIELD>`
    /// overrides applied.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join(FILE_NAME);
        let text = std::fs::read_to_string(&path)
            .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
        Self::parse_with_env(
            &text,
            &path,
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid =
            |field, message: String| ConfigError::Invalid { path: path.to_owned(), field, message };
        self.node.id.parse::<MemberId>().map_err(|e| invalid("node.id", e.to_string()))?;
        if self.node.name.trim().is_empty() {
            return Err(invalid("node.name", "must not be empty".into()));
        }
        if self.ingest.max_line_bytes < 1024 {
            return Err(invalid(
                "ingest.max_line_bytes",
                "must be at least 1024 (a survey row is a few hundred bytes)".into(),
            ));
        }
        if !self.node.endpoint.starts_with("https://")
            || self.node.endpoint.parse::<tonic::transport::Uri>().is_err()
        {
            return Err(invalid(
                "node.endpoint",
                "must be the https:// URL of the federation listener".into(),
            ));
        }
        if self.federation.stale_after_ms > i64::MAX as u64 {
            return Err(invalid("federation.stale_after_ms", "too large".into()));
        }
        if self.federation.peers_per_round == 0 {
            return Err(invalid("federation.peers_per_round", "must be at least 1".into()));
        }
        if self.federation.sync_interval_ms < 50 || self.federation.peer_timeout_ms < 50 {
            return Err(invalid(
                "federation",
                "sync_interval_ms and peer_timeout_ms must be at least 50".into(),
            ));
        }
        // A key pasted where its path belongs would otherwise be repeated by the error naming
        // the missing file (and by the configuration's `Debug`).
        let keys = &self.keys;
        for (field, p) in [
            ("keys.signing_key", &keys.signing_key),
            ("keys.tls_key", &keys.tls_key),
            ("keys.tls_cert", &keys.tls_cert),
        ] {
            let p = p.as_os_str().as_encoded_bytes();
            if p.contains(&b'\n') || p.windows(5).any(|w| w == b"-----") {
                return Err(invalid(
                    field,
                    "holds PEM text; give the path of the file that holds it".into(),
                ));
            }
        }
        for t in &self.http.tokens {
            if t.sha256.len() != 64 || hex::decode(&t.sha256).is_err() {
                return Err(invalid(
                    "http.tokens",
                    format!("token `{}`: sha256 must be 64 hex digits", t.name),
                ));
            }
        }
        let d = &self.disclosure;
        if d.min_base < 1 || d.flag_base < d.min_base || d.min_count < 1 {
            return Err(invalid(
                "disclosure",
                "need 1 <= min_base <= flag_base and min_count >= 1".into(),
            ));
        }
        let catalogue = Catalogue::builtin();
        for (name, p) in &self.privacy {
            match catalogue.dataset(name) {
                Some(ds) if ds.kind.disclosure_controlled() => {}
                Some(_) => {
                    return Err(invalid(
                        "privacy",
                        format!(
                            "dataset `{name}` is not about people; noise applies to survey datasets only"
                        ),
                    ));
                }
                None => return Err(invalid("privacy", format!("unknown dataset `{name}`"))),
            }
            p.noise().map_err(|m| invalid("privacy", format!("{name}: {m}")))?;
        }
        Ok(())
    }

    /// The anonymisation policy for a dataset.
    pub fn policy(&self, dataset: &str) -> Policy {
        Policy {
            min_base: self.disclosure.min_base,
            flag_base: self.disclosure.flag_base,
            min_count: self.disclosure.min_count,
            // Unwrap safety: `validate` checked every privacy entry.
            noise: self.privacy.get(dataset).map(|p| p.noise().expect("validated privacy").0),
        }
    }

    /// The total budget per period of a dataset with noise.
    pub fn budget_total(&self, dataset: &str) -> Option<Milli> {
        self.privacy.get(dataset).and_then(|p| p.noise().ok()).map(|(_, total)| total)
    }

    /// The member id (validated at parse time).
    pub fn member_id(&self) -> MemberId {
        // Unwrap safety: `validate` checked the id when the configuration was parsed.
        self.node.id.parse().expect("validated member id")
    }
}

impl PrivacyConfig {
    /// The noise parameters and the total budget, checked.
    pub fn noise(&self) -> Result<(NoiseParams, Milli), String> {
        let mechanism = match self.mechanism.as_str() {
            "discrete_gaussian" => Mechanism::DiscreteGaussian,
            "discrete_laplace" => Mechanism::DiscreteLaplace,
            other => {
                return Err(format!(
                    "unknown mechanism `{other}`; use discrete_gaussian or discrete_laplace"
                ));
            }
        };
        let per = (self.per_release.parse::<Milli>().ok())
            .filter(|v| *v > Milli::ZERO)
            .ok_or("per_release must be a positive decimal with at most 3 decimals")?;
        let total = (self.budget.parse::<Milli>().ok())
            .ok_or("budget must be a decimal with at most 3 decimals")?;
        if per > total {
            return Err("per_release is larger than the whole budget".into());
        }
        if self.weight_clip == 0 || self.weight_clip > 1_000_000 {
            return Err("weight_clip must be between 1 and 1000000".into());
        }
        Ok((NoiseParams { mechanism, per_release: per, weight_clip: self.weight_clip }, total))
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
