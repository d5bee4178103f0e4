//! The evidence pack as a printable HTML dossier, laid out after the headings of the EU AI Act's Annex IV
//! (technical documentation) and the Federal Reserve's SR 11-7 (model risk management), with the pack's JSON
//! embedded, so one file is both what a reviewer reads and what `portal verify-evidence` proves.
//!
//! The dossier is a pure function of the pack: the verifier renders the embedded pack again and compares bytes,
//! so a changed word on the page is found as surely as a changed byte of the JSON. It is self-contained (its
//! style inline, no script, no fetched resource), so it reads the same when opened from disk years later.

use std::fmt::Write;

use governance::display::number;
use governance::evidence_pack::{to_json, EvidencePack};
use governance::test_run::CaseStatus;

/// The id of the `<script type="application/json">` block that carries the pack.
pub const PACK_ELEMENT_ID: &str = "evidence-pack";

/// The dossier's stylesheet; the response's CSP allows exactly this text by its hash.
pub const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;color:#0f172a;max-width:60rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #cbd5e1;padding-bottom:.25rem}\
h3{font-size:1rem;margin:1rem 0 .25rem}.cite{color:#475569;font-size:.8rem;font-weight:normal}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #cbd5e1;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f1f5f9}td.n{text-align:right;font-variant-numeric:tabular-nums}.pass{color:#166534}.fail{color:#991b1b;font-weight:600}\
code,.hash{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}\
dt{font-weight:600}dd{margin:0;white-space:pre-wrap}.muted{color:#475569}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}";

/// Text safe inside HTML elements and attribute values (the page's one escaping function).
use app::components::text_area::escape as esc;

fn time(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn or_none(text: &str) -> String {
    if text.trim().is_empty() {
        "<span class=\"muted\">(not stated)</span>".to_string()
    } else {
        esc(text)
    }
}

/// A section heading with the headings it answers to.
fn heading(out: &mut String, id: &str, title: &str, cites: &str) {
    let _ = write!(out, "<h2 id=\"{id}\">{} <span class=\"cite\">{}</span></h2>", esc(title), esc(cites));
}

fn table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>, numeric: &[usize]) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.into_iter().enumerate() {
            let class = if numeric.contains(&i) { " class=\"n\"" } else { "" };
            let _ = write!(out, "<td{class}>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn definitions(out: &mut String, items: &[(&str, String)]) {
    out.push_str("<dl>");
    for (term, value) in items {
        let _ = write!(out, "<dt>{}</dt><dd>{value}</dd>", esc(term));
    }
    out.push_str("</dl>");
}

fn pass(met: bool) -> String {
    if met {
        "<span class=\"pass\">pass</span>".to_string()
    } else {
        "<span class=\"fail\">fail</span>".to_string()
    }
}

/// The dossier of `pack`.
///
/// # Errors
/// When the pack cannot be written as JSON.
pub fn render(pack: &EvidencePack) -> Result<String, serde_json::Error> {
    let c = &pack.contents;
    let v = &c.version;
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("Evidence pack: {} ({})", v.label(), c.project.name);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = write!(out, "<header><h1>{}</h1>", esc(&title));
    let _ = write!(
        out,
        "<p class=\"muted\">Exported by {} at {} from the governance portal; audit entry #{} <span class=\"hash\">{}</span>. \
         Verify this file with <code>portal verify-evidence FILE</code>.</p></header>",
        esc(pack.export.record.actor.as_str()),
        time(&pack.export.record.at),
        pack.export.seq,
        esc(&pack.export.hash),
    );
    out.push_str("<nav aria-label=\"Contents\"><ol>");
    for (id, title) in [
        ("general", "General description"),
        ("data", "Data and development"),
        ("performance", "Performance against thresholds"),
        ("validation", "Validation and testing"),
        ("deployment", "Deployment"),
        ("monitoring", "Post-market monitoring"),
        ("oversight", "Decisions and human oversight"),
        ("lifecycle", "Lifecycle record"),
        ("integrity", "Integrity"),
    ] {
        let _ = write!(out, "<li><a href=\"#{id}\">{title}</a></li>");
    }
    out.push_str("</ol></nav><main>");

    heading(&mut out, "general", "1. General description", "Annex IV §1 · SR 11-7: model purpose and use");
    definitions(
        &mut out,
        &[
            ("Model version", esc(&v.label())),
            ("Version id", format!("<code>{}</code>", esc(v.id.as_str()))),
            (
                "Project",
                format!(
                    "{} ({}, template {})",
                    esc(&c.project.name),
                    esc(c.project.id.as_str()),
                    esc(&c.project.template)
                ),
            ),
            ("Registry", esc(&v.registry.label())),
            (
                "Package ARN",
                v.package_arn.as_deref().map(|a| format!("<code>{}</code>", esc(a))).unwrap_or_else(|| or_none("")),
            ),
            ("Stage and status", format!("{} / {}", v.stage, v.status.label())),
            ("Registered", format!("{} by {}", time(&v.registered_at), esc(v.registered_by.as_str()))),
            ("Description", or_none(&v.description)),
            ("Intended use", or_none(&v.model_card.intended_use)),
            ("Limitations", or_none(&v.model_card.limitations)),
            ("Risk rating", or_none(&v.model_card.risk_rating)),
            ("Owner", or_none(&v.model_card.owner)),
        ],
    );
    if let Some(related) = &c.related {
        let _ = write!(
            out,
            "<p>Related version: {} in the {} (<code>{}</code>), {} / {}.</p>",
            esc(&related.label()),
            esc(&related.registry.label()),
            esc(related.id.as_str()),
            related.stage,
            related.status.label()
        );
    }

    heading(&mut out, "data", "2. Data and development", "Annex IV §2(a)-(d) · SR 11-7: model development, data");
    let lineage = &v.lineage;
    definitions(
        &mut out,
        &[
            ("Training data (model card)", or_none(&v.model_card.training_data)),
            (
                "Training data references",
                if lineage.training_data.is_empty() {
                    or_none("")
                } else {
                    lineage
                        .training_data
                        .iter()
                        .map(|d| format!("<code>{}</code>", esc(d)))
                        .collect::<Vec<_>>()
                        .join("<br>")
                },
            ),
            (
                "Code commit",
                lineage
                    .code_commit
                    .as_deref()
                    .map(|c| format!("<code>{}</code>", esc(c)))
                    .unwrap_or_else(|| or_none("")),
            ),
            ("Artifact", format!("<code>{}</code>", esc(&lineage.artifact_uri))),
            ("Container image", format!("<code>{}</code>", esc(&lineage.container_image))),
            ("Evaluation (model card)", or_none(&v.model_card.evaluation)),
        ],
    );
    match &c.training_run {
        None => out.push_str("<p>The lineage names no training run.</p>"),
        Some(run) => {
            let _ = write!(out, "<h3>Training run <code>{}</code></h3>", esc(&run.run_id));
            let _ = write!(out, "<p class=\"muted\">Read from {}.</p>", esc(&run.source));
            match (&run.run, &run.unavailable) {
                (Some(r), _) => {
                    definitions(
                        &mut out,
                        &[
                            ("Run name", or_none(&r.run_name)),
                            ("Status", esc(&format!("{:?}", r.status))),
                            ("User", or_none(&r.user)),
                            ("Started", r.start_time.as_ref().map(time).unwrap_or_default()),
                            ("Ended", r.end_time.as_ref().map(time).unwrap_or_default()),
                        ],
                    );
                    let params = r.params.iter().map(|(k, val)| vec![esc(k), esc(val)]).collect();
                    table(&mut out, &["Parameter", "Value"], params, &[]);
                    let metrics = r.metrics.iter().map(|(k, val)| vec![esc(k), number(*val)]).collect();
                    table(&mut out, &["Run metric (latest)", "Value"], metrics, &[1]);
                }
                (None, reason) => {
                    let _ = write!(
                        out,
                        "<p class=\"fail\">The experiment tracker did not answer at export: {}</p>",
                        esc(reason.as_deref().unwrap_or(""))
                    );
                }
            }
        }
    }

    heading(
        &mut out,
        "performance",
        "3. Performance against thresholds",
        "Annex IV §2(g), §4 · SR 11-7: outcomes analysis",
    );
    let rows = c
        .thresholds
        .iter()
        .map(|t| {
            vec![
                esc(&t.threshold.to_string()),
                t.value.map(number).unwrap_or_else(|| "not reported".into()),
                pass(t.met),
            ]
        })
        .collect::<Vec<_>>();
    if rows.is_empty() {
        out.push_str("<p>The project's policy sets no metric thresholds.</p>");
    } else {
        table(&mut out, &["Threshold (project policy)", "Value", "Result"], rows, &[1]);
    }
    let metrics = v.metrics.iter().map(|(k, val)| vec![esc(k), number(*val)]).collect::<Vec<_>>();
    if !metrics.is_empty() {
        table(&mut out, &["Offline metric", "Value"], metrics, &[1]);
    }

    heading(&mut out, "validation", "4. Validation and testing", "Annex IV §2(g) · SR 11-7: model validation");
    if c.test_runs.is_empty() {
        out.push_str("<p>No integration test run was reported.</p>");
    }
    for run in &c.test_runs {
        let _ = write!(
            out,
            "<h3>Test run <code>{}</code>: {}</h3><p class=\"muted\">Reported by {} at {} · CI run <code>{}</code> · {} passed, {} failed, {} errored, {} skipped</p>",
            esc(run.id.as_str()),
            pass(run.passed),
            esc(run.reported_by.as_str()),
            time(&run.recorded_at),
            esc(&run.ci_run),
            run.count(CaseStatus::Passed),
            run.count(CaseStatus::Failed),
            run.count(CaseStatus::Errored),
            run.count(CaseStatus::Skipped),
        );
        let cases = run
            .cases
            .iter()
            .map(|case| {
                vec![
                    esc(&case.suite),
                    esc(&case.name),
                    esc(case.status.as_str()),
                    case.duration_ms.to_string(),
                    esc(&case.message),
                ]
            })
            .collect();
        table(&mut out, &["Suite", "Case", "Result", "ms", "Message"], cases, &[3]);
        if !run.performance.is_empty() {
            let perf = run.performance.iter().map(|(k, val)| vec![esc(k), number(*val)]).collect();
            table(&mut out, &["Performance figure", "Value"], perf, &[1]);
        }
    }

    heading(&mut out, "deployment", "5. Deployment", "Annex IV §2(b), §3 · SR 11-7: implementation");
    if c.deployment_configs.is_empty() {
        out.push_str("<p>No deployment configuration was saved.</p>");
    } else {
        let rows = c
            .deployment_configs
            .iter()
            .map(|s| {
                let variants = s
                    .config
                    .variants
                    .iter()
                    .map(|p| format!("{} {}%", esc(&p.name), p.weight))
                    .collect::<Vec<_>>()
                    .join(", ");
                vec![
                    s.environment.to_string(),
                    esc(&s.config.instance_type),
                    format!(
                        "{} ({}-{})",
                        s.config.initial_instance_count, s.config.autoscaling_min, s.config.autoscaling_max
                    ),
                    variants,
                    format!("{}%", s.config.data_capture_percent),
                    format!("{} at {}", esc(s.saved_by.as_str()), time(&s.saved_at)),
                    s.commit.as_ref().map(|k| format!("<code>{}</code>", esc(&k.commit))).unwrap_or_default(),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Environment", "Instance type", "Instances (autoscaling)", "Variants", "Data capture", "Saved", "Commit"],
            rows,
            &[],
        );
    }
    if !c.deployment_requests.is_empty() {
        let rows = c
            .deployment_requests
            .iter()
            .map(|r| {
                vec![
                    r.environment.to_string(),
                    esc(r.status.as_str()),
                    esc(&r.endpoint_name),
                    time(&r.requested_at),
                    time(&r.updated_at),
                    esc(&r.message),
                ]
            })
            .collect();
        table(&mut out, &["Deployment request", "Status", "Endpoint", "Requested", "Updated", "Message"], rows, &[]);
    }

    heading(&mut out, "monitoring", "6. Post-market monitoring", "Annex IV §9 · SR 11-7: ongoing monitoring");
    if c.monitoring.is_empty() {
        out.push_str("<p>No monitoring was reported for this version.</p>");
    } else {
        let rows = c
            .monitoring
            .iter()
            .map(|m| {
                let latest =
                    m.sample.last().map(|p| format!("{} at {}", number(p.value), time(&p.at))).unwrap_or_default();
                let peak = m
                    .sample
                    .iter()
                    .map(|p| p.value)
                    .fold(None, |acc: Option<f64>, x| Some(acc.map_or(x, |a| a.max(x))));
                vec![
                    esc(&m.metric),
                    format!("{}/{}", esc(&m.endpoint), esc(&m.variant)),
                    m.threshold.map(number).unwrap_or_else(|| "none".into()),
                    m.points.to_string(),
                    m.breaches.to_string(),
                    peak.map(number).unwrap_or_default(),
                    latest,
                ]
            })
            .collect();
        table(
            &mut out,
            &["Metric", "Endpoint/variant", "Threshold", "Points", "Above threshold", "Highest", "Latest"],
            rows,
            &[2, 3, 4, 5],
        );
    }

    heading(
        &mut out,
        "oversight",
        "7. Decisions and human oversight",
        "Annex IV §2(e), §5 · SR 11-7: governance and controls",
    );
    if c.decisions.is_empty() {
        out.push_str("<p>No decision has been recorded.</p>");
    } else {
        let rows = c
            .decisions
            .iter()
            .map(|d| {
                vec![
                    time(&d.decided_at),
                    d.stage.to_string(),
                    esc(d.verdict.as_str()),
                    format!("{} ({})", esc(&d.decided_by_name), esc(d.decided_by.as_str())),
                    esc(d.persona.label()),
                    format!("{} / {} → {} / {}", d.from.0, d.from.1.label(), d.to.0, d.to.1.label()),
                    esc(&d.justification),
                    format!("<span class=\"hash\">{}</span>", esc(&d.evidence_digest)),
                ]
            })
            .collect();
        table(
            &mut out,
            &["When", "Stage", "Verdict", "Who", "Persona", "Transition", "Justification", "Evidence digest"],
            rows,
            &[],
        );
    }
    let policy = &c.project.policy;
    let _ = write!(
        out,
        "<p>Policy: {} governance sign-off(s) for Prod; model card {}; required test suites: {}.</p>",
        policy.prod_quorum.max(1),
        if policy.require_model_card { "required" } else { "not required" },
        if policy.required_test_suites.is_empty() {
            "none".to_string()
        } else {
            esc(&policy.required_test_suites.join(", "))
        },
    );

    heading(&mut out, "lifecycle", "8. Lifecycle record", "Annex IV §6 · SR 11-7: documentation");
    let rows = pack
        .audit
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                time(&e.record.at),
                esc(e.record.actor.as_str()),
                esc(&e.record.action),
                format!("<code>{}</code>", esc(&e.record.target)),
                format!("<span class=\"hash\">{}</span>", esc(&e.hash)),
            ]
        })
        .collect();
    table(&mut out, &["Entry", "When", "Who", "Action", "Target", "Hash"], rows, &[0]);

    heading(&mut out, "integrity", "9. Integrity", "how this pack is verified");
    let _ = write!(
        out,
        "<p>Each audit entry above hashes its content with the hash of the entry before it (SHA-256). Export entry #{} \
         records the SHA-256 of every section of this pack and the hash of every entry in it, and is itself sealed into \
         the chain: <span class=\"hash\">{}</span>. <code>portal verify-evidence</code> checks all of it from this file \
         alone, then renders this page again from the pack below and compares it byte for byte; the portal's audit log \
         (<code>portal verify-audit</code>) shows entry #{} with the same hash.</p>",
        pack.export.seq,
        esc(&pack.export.hash),
        pack.export.seq,
    );
    out.push_str("</main>");
    let _ = write!(out, "<script type=\"application/json\" id=\"{PACK_ELEMENT_ID}\">{}</script>", to_json(pack)?);
    out.push_str("</body></html>\n");
    Ok(out)
}
