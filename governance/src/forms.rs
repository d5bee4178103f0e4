//! Reading what a form or a query string sends into domain types: one parser per value, each naming its
//! field when the text is wrong, so a server function or an API handler only passes the text on.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::decision::Verdict;
use crate::deployment::{DeploymentConfig, ProductionVariant};
use crate::ports::{VersionQuery, Window};
use crate::{ApprovalStatus, Environment, FieldError, ProjectId, Stage};

impl FromStr for Stage {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<Self, FieldError> {
        Stage::parse(text).ok_or_else(|| FieldError::new("stage", "must be Dev, Test or Prod"))
    }
}

impl FromStr for ApprovalStatus {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<Self, FieldError> {
        ApprovalStatus::parse(text)
            .ok_or_else(|| FieldError::new("status", "must be PendingManualApproval, Approved or Rejected"))
    }
}

impl FromStr for Verdict {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<Self, FieldError> {
        Verdict::parse_approval(text).ok_or_else(|| FieldError::new("verdict", "must be Approve or Reject"))
    }
}

impl FromStr for Environment {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<Self, FieldError> {
        Environment::parse(text).ok_or_else(|| FieldError::new("environment", "must be Test or Prod"))
    }
}

/// A registry filter as a page's form or the API's query string has it: each part optional (empty = any).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionFilter<'a> {
    pub project: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub status: Option<&'a str>,
    /// `central` or `dev`.
    pub registry: Option<&'a str>,
    /// A model group's exact name.
    pub group: Option<&'a str>,
    pub search: Option<&'a str>,
}

impl VersionFilter<'_> {
    /// The query for `window`, or the first part that is wrong.
    pub fn query(&self, window: Window) -> Result<VersionQuery, FieldError> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let search = given(self.search);
        if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
            return Err(FieldError::new("search", "is longer than 200 characters"));
        }
        Ok(VersionQuery {
            project: given(self.project).map(|p| ProjectId::parse(&p)).transpose()?,
            stage: given(self.stage).map(|s| s.parse()).transpose()?,
            status: given(self.status).map(|s| s.parse()).transpose()?,
            central: match given(self.registry).as_deref() {
                None => None,
                Some("central") => Some(true),
                Some("dev") => Some(false),
                Some(_) => return Err(FieldError::new("registry", "must be central or dev")),
            },
            group: given(self.group).map(|g| crate::ids::ModelGroupName::parse(&g)).transpose()?,
            search,
            window,
            within: None,
        })
    }
}

/// Parses `champion:90, challenger:10` into variants.
pub fn parse_variants(text: &str) -> Result<Vec<ProductionVariant>, FieldError> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, weight) = part
                .split_once(':')
                .ok_or_else(|| FieldError::new("variants", format!("'{part}' is not name:weight, e.g. champion:90")))?;
            let weight = weight.trim().parse::<u8>().map_err(|_| {
                FieldError::new("variants", format!("the weight of '{}' must be a whole number 0-100", name.trim()))
            })?;
            Ok(ProductionVariant { name: name.trim().to_string(), weight })
        })
        .collect()
}

/// The AI engineer's deployment-config form, every field as typed (so a bad number is named, not a decoding
/// error).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentConfigForm {
    pub environment: String,
    pub instance_type: String,
    pub initial_instance_count: String,
    pub autoscaling_min: String,
    pub autoscaling_max: String,
    pub variants: String,
    pub data_capture_percent: String,
}

impl DeploymentConfigForm {
    /// The fields by name, as the form sends them back after a refusal (nothing typed is lost).
    pub fn submitted(&self) -> BTreeMap<String, String> {
        [
            ("environment", &self.environment),
            ("instance_type", &self.instance_type),
            ("initial_instance_count", &self.initial_instance_count),
            ("autoscaling_min", &self.autoscaling_min),
            ("autoscaling_max", &self.autoscaling_max),
            ("variants", &self.variants),
            ("data_capture_percent", &self.data_capture_percent),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }
}

impl TryFrom<&DeploymentConfigForm> for (Environment, DeploymentConfig) {
    type Error = FieldError;
    /// The environment and the config, or the first field that is wrong. Whether the config is valid as a
    /// deployment (weights, bounds) is [`DeploymentConfig::validate`]'s, which the service asks.
    fn try_from(form: &DeploymentConfigForm) -> Result<Self, FieldError> {
        let number = |field: &str, text: &str| {
            text.trim().parse::<u32>().map_err(|_| FieldError::new(field, "must be a whole number"))
        };
        let environment: Environment = form.environment.parse()?;
        let data_capture = number("data_capture_percent", &form.data_capture_percent)?;
        let config = DeploymentConfig {
            instance_type: form.instance_type.trim().to_string(),
            initial_instance_count: number("initial_instance_count", &form.initial_instance_count)?,
            autoscaling_min: number("autoscaling_min", &form.autoscaling_min)?,
            autoscaling_max: number("autoscaling_max", &form.autoscaling_max)?,
            variants: parse_variants(&form.variants)?,
            data_capture_percent: u8::try_from(data_capture)
                .map_err(|_| FieldError::new("data_capture_percent", "must be between 0 and 100"))?,
        };
        Ok((environment, config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_from_text_and_name_their_field_when_wrong() {
        assert_eq!("prod".parse::<Stage>(), Ok(Stage::Prod));
        assert_eq!("Staging".parse::<Stage>().unwrap_err().field, "stage");
        assert_eq!("Approved".parse::<ApprovalStatus>(), Ok(ApprovalStatus::Approved));
        assert_eq!("Maybe".parse::<ApprovalStatus>().unwrap_err().field, "status");
        assert_eq!("Reject".parse::<Verdict>(), Ok(Verdict::Reject));
        assert_eq!("Veto".parse::<Verdict>().unwrap_err().field, "verdict");
        assert_eq!("Staging".parse::<Environment>().unwrap_err().field, "environment");
    }

    #[test]
    fn a_registry_filter_reads_into_a_query_and_names_its_bad_part() {
        let q = VersionFilter { stage: Some("Prod"), search: Some("  pd  "), ..Default::default() }
            .query(Window::new(0, 20))
            .unwrap();
        assert_eq!((q.stage, q.search.as_deref(), q.project), (Some(Stage::Prod), Some("pd"), None));
        for (filter, field) in [
            (VersionFilter { stage: Some("Staging"), ..Default::default() }, "stage"),
            (VersionFilter { status: Some("Maybe"), ..Default::default() }, "status"),
            (VersionFilter { registry: Some("both"), ..Default::default() }, "registry"),
            (VersionFilter { project: Some("Not A Slug!"), ..Default::default() }, "project"),
            (VersionFilter { group: Some("pd model"), ..Default::default() }, "model_group"),
        ] {
            assert_eq!(filter.query(Window::default()).unwrap_err().field, field);
        }
        let long = "x".repeat(201);
        assert_eq!(
            VersionFilter { search: Some(&long), ..Default::default() }.query(Window::default()).unwrap_err().field,
            "search"
        );
    }

    #[test]
    fn variants_parse_and_bad_ones_are_named() {
        let v = parse_variants("champion:90, challenger:10").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].weight, 10);
        assert_eq!(parse_variants("champion").unwrap_err().field, "variants");
        assert!(parse_variants("a:x").unwrap_err().message.contains("'a'"));
    }

    #[test]
    fn the_deployment_config_form_names_its_first_bad_field() {
        let form = DeploymentConfigForm {
            environment: "Test".into(),
            instance_type: " ml.m5.large ".into(),
            initial_instance_count: "1".into(),
            autoscaling_min: "1".into(),
            autoscaling_max: "2".into(),
            variants: "champion:100".into(),
            data_capture_percent: "10".into(),
        };
        let (env, config) = <(Environment, DeploymentConfig)>::try_from(&form).unwrap();
        assert_eq!((env, config.instance_type.as_str()), (Environment::Test, "ml.m5.large"));
        for (change, field) in [
            (DeploymentConfigForm { environment: "Staging".into(), ..form.clone() }, "environment"),
            (DeploymentConfigForm { initial_instance_count: "many".into(), ..form.clone() }, "initial_instance_count"),
            (DeploymentConfigForm { data_capture_percent: "300".into(), ..form.clone() }, "data_capture_percent"),
            (DeploymentConfigForm { variants: "champion".into(), ..form.clone() }, "variants"),
        ] {
            assert_eq!(<(Environment, DeploymentConfig)>::try_from(&change).unwrap_err().field, field);
        }
        assert_eq!(form.submitted()["variants"], "champion:100");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Any filter text is a query or a named refusal, never a panic.
            #[test]
            fn any_registry_filter_is_answered(
                project in proptest::option::of(".{0,80}"), stage in proptest::option::of(".{0,20}"),
                status in proptest::option::of(".{0,30}"), registry in proptest::option::of(".{0,10}"),
                search in proptest::option::of(".{0,300}"), group in proptest::option::of(".{0,80}"),
            ) {
                let filter = VersionFilter {
                    project: project.as_deref(), stage: stage.as_deref(), status: status.as_deref(),
                    registry: registry.as_deref(), group: group.as_deref(), search: search.as_deref(),
                };
                if let Err(e) = filter.query(Window::default()) {
                    prop_assert!(["project", "stage", "status", "registry", "model_group", "search"].contains(&e.field.as_str()));
                }
            }

            /// Any deployment-config form is a config or a refusal naming one of its fields.
            #[test]
            fn any_deployment_config_form_is_answered(fields in proptest::collection::vec(".{0,40}", 7)) {
                let form = DeploymentConfigForm {
                    environment: fields[0].clone(), instance_type: fields[1].clone(),
                    initial_instance_count: fields[2].clone(), autoscaling_min: fields[3].clone(),
                    autoscaling_max: fields[4].clone(), variants: fields[5].clone(),
                    data_capture_percent: fields[6].clone(),
                };
                if let Err(e) = <(Environment, DeploymentConfig)>::try_from(&form) {
                    prop_assert!(form.submitted().contains_key(&e.field), "{}", e.field);
                }
            }

            /// Any template editor form (parameter and file rows included) is a definition or a named refusal.
            #[test]
            fn any_template_form_is_answered(pairs in proptest::collection::btree_map(
                prop_oneof![
                    Just("name".to_string()), Just("prod_quorum".to_string()), Just("thresholds".to_string()),
                    Just("lineage_required".to_string()), Just("required_test_suites".to_string()),
                    "p[0-9]{1,3}_(name|kind|min|max|default|choices|required)", "f[0-9]{1,3}_(path|content)", ".{0,12}",
                ],
                ".{0,60}",
                0..30,
            )) {
                let _ = crate::template_form::definition_from_form(&pairs);
            }

            /// Any JSON as an event envelope's detail reads back as an event or as nothing, never a panic.
            #[test]
            fn any_envelope_reads_back_or_not(detail_type in prop_oneof![
                Just("ModelApproved".to_string()), Just("ModelRejected".to_string()), Just("MonitoringAlarm".to_string()),
                Just("CreateProject".to_string()), Just("ModelPackageChangedOutsidePortal".to_string()), ".{0,30}",
            ], detail in json()) {
                let envelope = crate::events::EventEnvelope {
                    version: "0".into(), id: crate::EventId("e".into()), detail_type, source: "s".into(),
                    account: "a".into(), time: chrono::DateTime::UNIX_EPOCH, region: "r".into(), resources: vec![], detail,
                };
                let _ = crate::events::PromotionEvent::from_envelope(&envelope);
                let _ = crate::path_events::PathEvent::from_envelope(&envelope);
            }
        }

        fn json() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                ".{0,20}".prop_map(serde_json::Value::from),
            ];
            leaf.prop_recursive(6, 64, 8, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
                    proptest::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..8)
                        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
                ]
            })
        }
    }
}
