//! The admin's template editor form, read into a [`TemplateDefinition`]: the one parser of it, so a server
//! function only passes the submitted fields on.

use std::collections::BTreeMap;

use crate::project::{Bound, MetricThreshold, ProjectPolicy};
use crate::template::{FieldKind, ParamField, TemplateDefinition, TemplateFile};
use crate::{FieldError, Stage};

/// Stages named in a comma-separated field (`Test, Prod`), or the field's error.
pub fn parse_stages(field: &str, text: &str) -> Result<Vec<Stage>, FieldError> {
    let mut stages = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let stage = Stage::parse(part).filter(|s| *s != Stage::Dev).ok_or_else(|| {
            FieldError::new(field, format!("'{part}' is not a stage that can require it (Test or Prod)"))
        })?;
        if !stages.contains(&stage) {
            stages.push(stage);
        }
    }
    stages.sort();
    Ok(stages)
}

/// Reads the editor's form (`name`, `kind`, ..., parameter rows `p<i>_<attr>`, file rows `f<i>_path` /
/// `f<i>_content`) into a definition; rows without a name or path are left out. The server functions
/// that save and check a template call it; it is the template's one form parser.
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
    let days = |name: &str, default: u32| -> Result<u32, FieldError> {
        let text = get(name);
        if text.is_empty() {
            return Ok(default);
        }
        text.parse().map_err(|_| FieldError::new(name, format!("'{text}' is not a whole number of days")))
    };
    let recertify_after_days = days("recertify_after_days", 0)?;
    let recertify_notice_days = days("recertify_notice_days", ProjectPolicy::default().recertify_notice_days)?;
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
            lineage_required: parse_stages("lineage_required", &get("lineage_required"))?,
            required_test_suites: get("required_test_suites")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            recertify_after_days,
            recertify_notice_days,
            ..ProjectPolicy::default()
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
        assert!(d.policy.lineage_required.is_empty());
        let d = definition_from_form(&form(&[("prod_quorum", "1"), ("lineage_required", "prod, Test")])).unwrap();
        assert_eq!(d.policy.lineage_required, vec![Stage::Test, Stage::Prod]);
        let e = definition_from_form(&form(&[("prod_quorum", "1"), ("lineage_required", "Dev")])).unwrap_err();
        assert_eq!(e.field, "lineage_required");
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
