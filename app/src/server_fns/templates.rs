//! Templates: the list, a template's page (versions, usage, preview), and the admin's editor actions.

use std::collections::BTreeMap;

use governance::project::{Bound, MetricThreshold, ProjectPolicy};
use governance::template::{FieldKind, ParamField, RenderedFile, Template, TemplateDefinition, TemplateFile};
use governance::{FieldError, ProjectId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A template's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplatePageView {
    /// Newest first.
    pub versions: Vec<Template>,
    pub usage: Vec<(u32, ProjectId)>,
    /// The newest version rendered with its sample values, or why it does not render.
    pub preview: Result<Vec<RenderedFile>, String>,
}

/// Reads the editor's form (`name`, `kind`, ..., parameter rows `p<i>_<attr>`, file rows `f<i>_path` /
/// `f<i>_content`) into a definition; rows without a name or path are left out. Kept apart from the server
/// function so it is unit-tested.
pub fn definition_from_form(form: &BTreeMap<String, String>) -> Result<TemplateDefinition, FieldError> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let rows = |prefix: &str, key: &str| -> Vec<usize> {
        let mut rows: Vec<usize> =
            form.keys().filter_map(|k| k.strip_prefix(prefix)?.strip_suffix(key)?.parse().ok()).collect();
        rows.sort_unstable();
        rows
    };
    let mut fields = Vec::new();
    for i in rows("p", "_name") {
        let at = |attr: &str| get(&format!("p{i}_{attr}"));
        if at("name").is_empty() {
            continue;
        }
        let place = |what: &str| format!("{}, {what}", ParamField::place(fields.len(), &at("name")));
        let number = |attr: &str| -> Result<Option<f64>, FieldError> {
            let text = at(attr);
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| FieldError::new(place(attr), format!("'{text}' is not a number")))
        };
        fields.push(ParamField {
            name: at("name"),
            label: at("label"),
            help: at("help"),
            kind: FieldKind::parse(&at("kind")).ok_or_else(|| FieldError::new(place("type"), "is not a known type"))?,
            required: matches!(at("required").as_str(), "on" | "true"),
            default: at("default"),
            pattern: at("pattern"),
            min: number("min")?,
            max: number("max")?,
            choices: at("choices").split(',').map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect(),
        });
    }
    let files = rows("f", "_path")
        .into_iter()
        .filter(|i| !get(&format!("f{i}_path")).is_empty())
        .map(|i| TemplateFile {
            path: get(&format!("f{i}_path")),
            // Browsers send textarea line ends as CRLF; the repositories get LF.
            content: form.get(&format!("f{i}_content")).cloned().unwrap_or_default().replace("\r\n", "\n"),
        })
        .collect();
    let quorum = get("prod_quorum");
    let prod_quorum =
        quorum.parse().map_err(|_| FieldError::new("prod_quorum", format!("'{quorum}' is not a whole number")))?;
    let metric_thresholds = get("thresholds")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let bad = || {
                FieldError::new(
                    "thresholds",
                    format!("'{}' is not 'metric >= number' or 'metric <= number'", line.trim()),
                )
            };
            let (metric, bound) = if let Some((m, v)) = line.split_once(">=") {
                (m, Bound::AtLeast(v.trim().parse().map_err(|_| bad())?))
            } else if let Some((m, v)) = line.split_once("<=") {
                (m, Bound::AtMost(v.trim().parse().map_err(|_| bad())?))
            } else {
                return Err(bad());
            };
            if metric.trim().is_empty() {
                return Err(bad());
            }
            Ok(MetricThreshold { metric: metric.trim().to_string(), bound })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TemplateDefinition {
        name: get("name"),
        kind: get("kind"),
        description: get("description"),
        owner: get("owner"),
        fields,
        policy: ProjectPolicy {
            prod_quorum,
            metric_thresholds,
            require_model_card: true,
            required_test_suites: get("required_test_suites")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        },
        files,
    })
}

/// The thresholds as the editor shows them, one per line.
pub fn thresholds_text(policy: &ProjectPolicy) -> String {
    policy
        .metric_thresholds
        .iter()
        .map(|t| match t.bound {
            Bound::AtLeast(v) => format!("{} >= {v}", t.metric),
            Bound::AtMost(v) => format!("{} <= {v}", t.metric),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[server(prefix = "/fn", endpoint = "templates")]
pub async fn templates() -> Result<Vec<Template>, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    portal()?.service.templates(&actor).await.map_err(reply)
}

#[server(prefix = "/fn", endpoint = "template_page")]
pub async fn template_page(id: String) -> Result<TemplatePageView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    let service = portal()?.service;
    let id = governance::template::TemplateId(id);
    let overview = service.template_overview(&actor, &id).await.map_err(reply)?;
    let newest = overview.versions.first().map(|t| t.version).unwrap_or(1);
    let preview = service.preview_template(&actor, &id, newest).await.map_err(|e| e.to_string());
    Ok(TemplatePageView { versions: overview.versions, usage: overview.usage, preview })
}

/// Saves the editor's form: a new template (`creating` = "true") or an edit (a new version once published).
#[server(prefix = "/fn", endpoint = "save_template")]
pub async fn save_template(id: String, creating: String, form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::service::ServiceError;
    let principal = require_principal().await?;
    let mut submitted = form.clone();
    submitted.insert("id".into(), id.clone());
    let invalid = |e: FieldError| reply(AppError::invalid(e, submitted.clone()));
    let service = portal()?.service;
    // Who may edit is decided before the form is read, so a refusal is a refusal and not a form error.
    governance::authz::authorize(
        &governance::Actor::Person(principal.clone()),
        &governance::authz::Action::ManageTemplates,
    )
    .map_err(|d| reply(ServiceError::from(d)))?;
    let definition = definition_from_form(&form).map_err(invalid)?;
    let saved = service.save_template(&principal, &id, creating == "true", definition).await.map_err(|e| match e {
        ServiceError::Invalid(f) => invalid(f),
        other => reply(other),
    })?;
    leptos_axum::redirect(&format!("/templates/{}", saved.id));
    Ok(())
}

/// Checks the editor's form as it is being filled in, without saving: the same checks as saving, so the
/// first problem (named by its place) shows before the admin presses Save.
#[server(prefix = "/fn", endpoint = "check_template")]
pub async fn check_template(id: String, creating: String, form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let definition = definition_from_form(&form).map_err(|e| reply(AppError::invalid(e, BTreeMap::new())))?;
    portal()?.service.check_template(&principal, &id, creating == "true", &definition).await.map(|_| ()).map_err(reply)
}

/// Publishes (`Publish`) or deprecates (`Deprecate`) a version.
#[server(prefix = "/fn", endpoint = "set_template_status")]
pub async fn set_template_status(id: String, version: String, to: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let version: u32 = version
        .parse()
        .map_err(|_| reply(AppError::invalid(FieldError::new("version", "must be a number"), BTreeMap::new())))?;
    let id = governance::template::TemplateId(id);
    let service = portal()?.service;
    match to.as_str() {
        "Publish" => service.publish_template(&principal, &id, version).await,
        "Deprecate" => service.deprecate_template(&principal, &id, version).await,
        _ => {
            return Err(reply(AppError::invalid(
                FieldError::new("to", "must be Publish or Deprecate"),
                BTreeMap::new(),
            )))
        }
    }
    .map_err(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_editor_form_reads_into_a_definition() {
        let d = definition_from_form(&form(&[
            ("name", "T"),
            ("prod_quorum", "2"),
            ("thresholds", "auc >= 0.7\nlatency_p99_ms <= 250"),
            ("required_test_suites", "integration, safety"),
            ("p0_name", "region"),
            ("p0_kind", "Choice"),
            ("p0_choices", "a, b"),
            ("p0_required", "on"),
            ("p1_name", ""),
            ("p1_kind", "Text"),
            ("f0_path", "build/a.txt"),
            ("f0_content", "x\r\ny"),
            ("f1_path", ""),
        ]))
        .unwrap();
        assert_eq!(d.fields.len(), 1);
        assert_eq!(d.fields[0].choices, vec!["a", "b"]);
        assert!(d.fields[0].required);
        assert_eq!(d.files[0].content, "x\ny");
        assert_eq!(d.policy.metric_thresholds.len(), 2);
        assert_eq!(d.policy.required_test_suites, vec!["integration", "safety"]);
        let e = definition_from_form(&form(&[("prod_quorum", "1"), ("thresholds", "auc > 1")])).unwrap_err();
        assert_eq!(e.field, "thresholds");
        let e = definition_from_form(&form(&[("prod_quorum", "x")])).unwrap_err();
        assert_eq!(e.field, "prod_quorum");
        let e = definition_from_form(&form(&[
            ("prod_quorum", "1"),
            ("p0_name", "n"),
            ("p0_kind", "Number"),
            ("p0_min", "low"),
        ]))
        .unwrap_err();
        assert_eq!(e.field, "Parameter 1 (n), min");
    }
}
