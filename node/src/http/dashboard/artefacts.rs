//! The artefact library page: every member's policy documents, with filters, and the policy matrix.

use super::*;

/// The document's own status from its metadata (`adopted`, `in_force`, ...).
pub(super) fn document_status(metadata_json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(metadata_json)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// The artefact library across the federation, with filters, and the policy matrix.
pub async fn artefacts_page(
    node: &Arc<Node>,
    f: &crate::http::ArtefactFilter,
    lang: Lang,
) -> String {
    let t = |id: &str| esc(&lang.t(id, &[]));
    let all = crate::http::list_artefacts(node, &crate::http::ArtefactFilter::default()).await;
    let shown: Vec<_> = crate::http::list_artefacts(node, f).await;
    let nav = language_nav(
        "/artefacts",
        &[
            ("city", &f.city),
            ("type", &f.artefact_type),
            ("rights_area", &f.rights_area),
            ("language", &f.language),
        ],
        lang,
    );
    let subtitle = format!(
        r#"{} · <a href="/?lang={}" style="color:#fff">{}</a>"#,
        esc(&node.card.name),
        lang.code(),
        t("indicators-link")
    );
    let mut page = page_start(&lang.t("artefacts-title", &[]), &subtitle, &nav, lang);
    let type_label =
        |code: &str| lang.t_or(&format!("type-{code}"), crate::artefact::type_label(code));
    let cities: std::collections::BTreeSet<String> = all.iter().map(|a| a.origin.clone()).collect();
    let select = |name: &str, label: &str, current: &str, options: Vec<(String, String)>| {
        let mut s = format!(
            r#"<label for="{name}">{label}<select id="{name}" name="{name}"><option value="">{}</option>"#,
            t("all")
        );
        for (v, text) in options {
            let sel = if v == current { " selected" } else { "" };
            let _ = write!(s, r#"<option value="{}"{sel}>{}</option>"#, esc(&v), esc(&text));
        }
        s.push_str("</select></label>");
        s
    };
    page.push_str(r#"<form method="get" action="/artefacts">"#);
    page.push_str(&select(
        "city",
        &t("filter-city"),
        &f.city,
        cities.iter().map(|c| (c.clone(), c.clone())).collect(),
    ));
    page.push_str(&select(
        "type",
        &t("filter-type"),
        &f.artefact_type,
        crate::artefact::TYPES.iter().map(|(_, c, _)| (c.to_string(), type_label(c))).collect(),
    ));
    page.push_str(&select(
        "rights_area",
        &t("filter-rights-area"),
        &f.rights_area,
        crate::artefact::RIGHTS_AREAS
            .iter()
            .map(|r| (r.to_string(), lang.t_or(&format!("rights-{r}"), &r.replace('_', " "))))
            .collect(),
    ));
    let langs: std::collections::BTreeSet<String> =
        all.iter().flat_map(|a| a.publication.clone().unwrap_or_default().languages).collect();
    page.push_str(&select(
        "language",
        &t("filter-language"),
        &f.language,
        langs.into_iter().map(|l| (l.clone(), l)).collect(),
    ));
    if !f.lang.is_empty() {
        let _ = write!(page, r#"<input type="hidden" name="lang" value="{}">"#, lang.code());
    }
    let _ = write!(page, r#"<button type="submit">{}</button></form>"#, t("show"));

    let _ = write!(
        page,
        r#"<section><h2>{}</h2><div class="scroll"><table id="library"><tr>"#,
        t("library")
    );
    for col in [
        "col-city",
        "col-type",
        "col-title",
        "col-languages",
        "col-document-status",
        "col-version",
        "col-verification",
        "col-document",
    ] {
        let _ = write!(page, r#"<th scope="col">{}</th>"#, t(col));
    }
    page.push_str("</tr>");
    for a in &shown {
        let p = a.publication.clone().unwrap_or_default();
        let seq = lang.integer(a.seq as i64);
        let hash = hex::encode(&p.body_sha256);
        let signed = [
            ("city", Arg::Text(&a.origin)),
            ("seq", Arg::Text(&seq)),
            ("hash", Arg::Text(&hash[..12.min(hash.len())])),
        ];
        let badge = if a.body_verified {
            esc(&lang.t("signed-verified", &signed))
        } else {
            esc(&lang.t("signed-not-fetched", &signed))
        };
        let state_label = lang.t_or(&format!("state-{}", a.state), &a.state);
        let state = if a.withdrawal_reason.is_empty() {
            esc(&state_label)
        } else {
            format!("{} ({})", esc(&state_label), esc(&a.withdrawal_reason))
        };
        let link = if a.body_verified {
            let bytes = lang.integer(p.body_size as i64);
            let text = lang
                .t("download", &[("type", Arg::Text(&p.media_type)), ("bytes", Arg::Text(&bytes))]);
            format!(
                r#"<a href="/api/v1/artefacts/{}/{}/download">{}</a>"#,
                esc(&a.origin),
                a.seq,
                esc(&text)
            )
        } else {
            String::new()
        };
        let status = document_status(&p.metadata_json);
        let status = if status.is_empty() {
            status
        } else {
            lang.t_or(&format!("status-{status}"), &status.replace('_', " "))
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{badge}</td><td>{link}</td></tr>",
            esc(&a.origin),
            esc(&type_label(&p.artefact_type)),
            esc(&p.title),
            esc(&p.languages.join(", ")),
            esc(&status)
        );
    }
    page.push_str("</table></div></section>");

    // Policy matrix: which city has which kind of current artefact.
    let _ = write!(
        page,
        r#"<section><h2>{}</h2><p>{}</p><div class="scroll"><table id="matrix"><tr><th scope="col">{}</th>"#,
        t("policy-matrix"),
        t("matrix-note"),
        t("col-city")
    );
    for (_, code, _) in crate::artefact::TYPES {
        let _ = write!(page, r#"<th scope="col">{}</th>"#, esc(&type_label(code)));
    }
    page.push_str("</tr>");
    for city in &cities {
        let _ = write!(page, "<tr><td>{}</td>", esc(city));
        for (_, code, _) in crate::artefact::TYPES {
            let n = all
                .iter()
                .filter(|a| {
                    &a.origin == city
                        && a.state == "current"
                        && a.publication.as_ref().is_some_and(|p| p.artefact_type == *code)
                })
                .count();
            let _ = write!(
                page,
                "<td>{}</td>",
                if n == 0 {
                    "—".to_owned()
                } else {
                    esc(&lang.t("n-current", &[("count", Arg::Count(n as i64))]))
                }
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</table></div></section></main></body></html>");
    page
}
