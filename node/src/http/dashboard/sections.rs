//! The dashboard's sections, one function each: headline, cities, gap, map, trend, coverage,
//! provenance, federation health, and the footer.

use super::*;

/// The federation health rows, for the page and `/api/v1/members`.
pub fn peer_rows(node: &Node) -> Vec<serde_json::Value> {
    let own = node.log.own().clone();
    let now = clock::now_unix_ms();
    analysis::members(node)
        .into_iter()
        .map(|m| {
            let id: crate::identity::MemberId = m.id.parse().unwrap_or_else(|_| own.clone());
            let state = node.peers.status(&id);
            let held = node.log.size(&id);
            serde_json::json!({
                "id": m.id,
                "name": m.name,
                "is_self": m.is_self,
                "reachable": m.is_self || state.reachable,
                "last_sync_unix_ms": m.last_sync_unix_ms,
                "seconds_since_sync": m.last_sync_unix_ms.map(|t| (now - t) / 1000),
                "records_held": held,
                "lag": node.peers.seen(&id).saturating_sub(held),
                "flags": node.log.flags(&id),
                "last_error": state.last_error,
            })
        })
        .collect()
}

/// The cities side by side: a bar chart and its table.
pub(super) fn cities_section(a: &Answer, name: &str, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let cities: Vec<(String, &Estimate)> =
        a.cities.iter().map(|c| (format!("{} {}", c.city, c.name), &c.estimate)).collect();
    let _ = write!(
        page,
        "<section><h2>{}</h2><figure>{}<figcaption>{}</figcaption></figure>{}",
        t("cities"),
        bars("cities-chart", &lang.t("cities", &[]), &cities, &a.unit, lang),
        esc(name),
        table_start("cities", name, &["col-city", "col-value"], lang)
    );
    for c in &a.cities {
        let _ = write!(
            page,
            "<tr><td>{} {}</td><td>{}</td></tr>",
            esc(&c.city),
            esc(&c.name),
            fmt_estimate(&c.estimate, &a.unit, lang)
        );
    }
    page.push_str("</table></div></section>");
    page
}

/// The gap between groups: a bar chart, its table and the gap in words.
pub(super) fn gap_section(
    a: &Answer,
    spec: &Indicator,
    name: &str,
    by: &str,
    districts: &crate::http::map::Districts,
    lang: Lang,
) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let _ = write!(page, "<section><h2>{}</h2>", t("gap"));
    if !a.groups.is_empty() {
        let groups: Vec<(String, &Estimate)> = a
            .groups
            .iter()
            .map(|g| (group_label(lang, &districts.names, &a.by, &g.value), &g.estimate))
            .collect();
        let dimension = lang.dimension(&a.by);
        let title = lang.t(
            "by-dimension",
            &[("indicator", Arg::Text(name)), ("dimension", Arg::Text(&dimension))],
        );
        let _ = write!(
            page,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            bars("groups-chart", &title, &groups, &a.unit, lang),
            esc(&title)
        );
        // The chart's numbers as a table, for screen readers and for copying.
        let _ = write!(
            page,
            r#"<div class="scroll"><table id="groups"><caption>{}</caption><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>"#,
            esc(&title),
            esc(&dimension),
            t("col-value"),
            t("col-cities-included"),
            t("col-withheld-in")
        );
        for (g, (label, e)) in a.groups.iter().zip(&groups) {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(label),
                fmt_estimate(e, &a.unit, lang),
                g.cities.len(),
                esc(&g.suppressed_in.join(", "))
            );
        }
        page.push_str("</table></div>");
    }
    match &a.gap {
        Some(g) => {
            let text = gap_statement(lang, &districts.names, g, by, &a.unit, spec.about_people());
            let _ = write!(page, r#"<p id="gap">{}</p>"#, esc(&text));
        }
        None => {
            let _ = write!(page, "<p>{}</p>", t("no-gap-groups"));
        }
    }
    page.push_str("</section>");
    page
}

/// The trend: a line chart and its table.
pub(super) fn trend_section(a: &Answer, name: &str, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let _ = write!(
        page,
        "<section><h2>{}</h2><figure>{}<figcaption>{}</figcaption></figure>",
        t("trend"),
        trend_chart(a, lang),
        esc(name)
    );
    let caption = format!("{}: {name}", lang.t("trend", &[]));
    page.push_str(&table_start(
        "trend",
        &caption,
        &["col-period", "col-value", "col-cities"],
        lang,
    ));
    for tp in &a.trend {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&tp.period),
            fmt_estimate(&tp.estimate, &a.unit, lang),
            esc(&tp.coverage.join(", "))
        );
    }
    page.push_str("</table></div></section>");
    page
}

/// Coverage: the cities included and missing, not yet published, stale or flagged, and the cells withheld.
pub(super) fn coverage_section(a: &Answer, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let included = a.coverage.included.join(", ");
    let missing = if a.coverage.missing.is_empty() {
        lang.t("none", &[])
    } else {
        a.coverage.missing.join(", ")
    };
    let _ = write!(
        page,
        "<section><h2>{}</h2><p>{}</p><p>{}</p><ul>",
        t("coverage"),
        esc(&lang.t("included", &[("cities", Arg::Text(&included))])),
        esc(&lang.t("missing", &[("cities", Arg::Text(&missing))]))
    );
    for n in &a.coverage.not_yet_published {
        let text = lang.t(
            "not-yet-published",
            &[
                ("city", Arg::Text(&n.city)),
                ("period", Arg::Text(&a.period)),
                ("latest", Arg::Text(&n.latest)),
            ],
        );
        let _ = write!(page, "<li>{}</li>", esc(&text));
    }
    for st in &a.coverage.stale {
        let args = [("city", Arg::Text(&st.city)), ("reason", Arg::Text(&st.reason))];
        let text = match st.since_unix_ms {
            Some(since) => {
                let seconds = lang.integer((clock::now_unix_ms() - since) / 1000);
                let mut args = args.to_vec();
                args.push(("seconds", Arg::Text(&seconds)));
                lang.t("stale-since", &args)
            }
            None => lang.t("stale", &args),
        };
        let _ = write!(page, "<li>{}</li>", esc(&text));
    }
    for f in &a.coverage.flagged {
        let evidence = f.evidence.join(", ");
        let id = if f.included { "flag-included" } else { "flag-excluded" };
        let text = lang.t(id, &[("city", Arg::Text(&f.city)), ("evidence", Arg::Text(&evidence))]);
        let _ = write!(page, r#"<li class="flag">{}</li>"#, esc(&text));
    }
    let suppressed =
        lang.t("suppressed-cells", &[("count", Arg::Count(a.coverage.suppressed_cells as i64))]);
    let _ = write!(page, "</ul><p>{}</p></section>", esc(&suppressed));
    page
}

/// Provenance: where each city's number came from.
pub(super) fn provenance_section(a: &Answer, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let _ = write!(
        page,
        "<section><h2>{}</h2><p>{}</p>{}",
        t("provenance"),
        t("log-record-help"),
        table_start(
            "provenance",
            "",
            &["col-origin", "col-log-record", "col-record-hash", "col-signer", "col-method"],
            lang
        )
    );
    for c in &a.cities {
        let p = &c.provenance;
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td><code>{}…</code></td><td><code>{}…</code></td><td>{}</td></tr>",
            esc(&p.origin),
            p.seq,
            esc(&p.record_hash[..16.min(p.record_hash.len())]),
            esc(&p.signer[..16.min(p.signer.len())]),
            esc(&p.method)
        );
    }
    page.push_str("</table></div>");
    if a.cities.iter().any(|c| c.estimate.margin_of_error.is_some()) {
        let _ = write!(page, r#"<p id="post-processing">{}</p>"#, t("post-processing"));
    }
    page.push_str("</section>");
    page
}

/// The metropolitan value with its period and cities, and the newer periods not every city has
/// published yet, each offered as a link.
pub(super) fn headline_section(a: &Answer, q: &QueryParams, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let included = a.coverage.included.len() as i64;
    let _ = write!(
        page,
        r#"<p>{} · {} {}</p><p class="headline" id="headline">{}</p><p>{} {}</p></section>"#,
        t("metro-value"),
        t("period"),
        esc(&a.period),
        fmt_estimate(&a.metro, &a.unit, lang),
        esc(&lang.t("cities-included", &[("count", Arg::Count(included))])),
        if a.metro.margin_of_error.is_none() && a.metro.published {
            format!("· {}", t("no-margin"))
        } else {
            String::new()
        }
    );
    // A newer period not every city has published yet: offered, its cities named.
    for p in a.period_coverage.iter().filter(|p| p.period > a.period && !p.comparable) {
        let cities = p.cities.join(", ");
        let text = lang.t(
            "newer-partial",
            &[
                ("period", Arg::Text(&p.period)),
                ("cities", Arg::Text(&cities)),
                ("current", Arg::Text(&a.period)),
            ],
        );
        let query = [
            ("indicator", a.indicator.as_str()),
            ("by", a.by.as_str()),
            ("series", a.series.as_str()),
            ("period", p.period.as_str()),
            ("lang", q.lang.as_str()),
        ];
        let query: Vec<_> = query.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let _ = write!(
            page,
            r#"<p class="partial">{} <a href="/?{}">{}</a>.</p>"#,
            esc(&text),
            esc(&serde_urlencoded::to_string(&query).unwrap_or_default()),
            esc(&lang.t("show-partial", &[("period", Arg::Text(&p.period))]))
        );
    }
    page
}

/// The footer: the artefacts, the log, and the exports of what is on screen.
pub(super) fn footer(
    spec: &crate::catalogue::Indicator,
    q: &QueryParams,
    answer: Option<&Answer>,
    lang: Lang,
) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    // The exports hold what is on screen: indicator, breakdown, series and period.
    let (period, series) = answer.map(|a| (a.period.clone(), a.series.clone())).unwrap_or_default();
    let export = format!(
        "/api/v1/query?indicator={}&amp;by={}&amp;series={}&amp;period={}",
        esc(&spec.id),
        esc(&q.by),
        esc(&series),
        esc(&period)
    );
    // The plain CSV's column names in the page's language; the data and SDMX-CSV keep codes.
    let csv_lang =
        if lang == Lang::En { String::new() } else { format!("&amp;lang={}", lang.code()) };
    let review = if lang.machine_translated() {
        format!(r#" <span id="machine-translation">{}</span>"#, t("machine-translation"))
    } else {
        String::new()
    };
    let _ = write!(
        page,
        r#"<footer><p><a href="/artefacts?lang={code}">{}</a> · {} <a href="/log/">/log/</a>. {} <a href="{export}&amp;format=csv{csv_lang}">CSV</a> · <a href="{export}&amp;format=sdmx-csv">SDMX-CSV</a> · <a href="{export}">JSON</a> · <a href="{export}&amp;format=bundle">{}</a> ({} <code>metronode verify-bundle</code>){review}</p></footer></main></body></html>"#,
        t("artefacts-title"),
        t("footer-data"),
        t("footer-export"),
        t("proof-bundle"),
        t("footer-verify"),
        code = lang.code()
    );
    page
}

/// The map: the indicator over every district of every member, for the period and series on
/// screen.
pub(super) async fn map_section(
    node: &Arc<Node>,
    q: &QueryParams,
    a: &Answer,
    spec: &crate::catalogue::Indicator,
    districts: &crate::http::map::Districts,
    lang: Lang,
) -> String {
    let of_districts = if a.by == "district_code" {
        Some(Answer::clone(a))
    } else {
        let q = QueryParams {
            by: "district_code".into(),
            period: a.period.clone(),
            series: a.series.clone(),
            ..q.clone()
        };
        crate::http::answer(node, &q).await.ok().map(|r| r.answer.clone())
    };
    of_districts.map(|d| crate::http::map::section(lang, spec, &d, districts)).unwrap_or_default()
}

/// Federation health: every member, reachable or not, its last sync, records held and lag.
pub(super) fn federation_section(node: &Node, lang: Lang) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let mut page = String::new();
    let columns =
        ["col-member", "col-reachable", "col-last-sync", "col-records", "col-lag", "col-flags"];
    let _ = write!(
        page,
        "<section><h2>{}</h2>{}",
        t("federation"),
        table_start("federation", "", &columns, lang)
    );
    for row in peer_rows(node) {
        let flags: Vec<String> = row["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str().map(esc)).collect())
            .unwrap_or_default();
        let since = match (row["is_self"].as_bool(), row["seconds_since_sync"].as_i64()) {
            (Some(true), _) => t("this-node"),
            (_, Some(s)) => {
                esc(&lang.t("seconds-ago", &[("seconds", Arg::Text(&lang.integer(s)))]))
            }
            _ => t("never"),
        };
        let _ = write!(
            page,
            r#"<tr><td>{} {}</td><td>{}</td><td>{since}</td><td>{}</td><td>{}</td><td class="flag">{}</td></tr>"#,
            esc(row["id"].as_str().unwrap_or_default()),
            esc(row["name"].as_str().unwrap_or_default()),
            if row["reachable"].as_bool() == Some(true) { t("yes") } else { t("no") },
            lang.integer(row["records_held"].as_i64().unwrap_or_default()),
            lang.integer(row["lag"].as_i64().unwrap_or_default()),
            flags.join(", ")
        );
    }
    page.push_str("</table></div></section>");
    page
}
