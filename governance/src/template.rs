//! Project templates: a parameter form definition, the policy a project inherits, and the `build/` and
//! `deploy/` file trees rendered with the parameters (by `minijinja`).
//!
//! The same checks run in the form editor and on the server: [`TemplateDefinition::validate`] for a
//! template, [`parse_values`] for the parameter form of a project created from it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::text_field;
use crate::project::ProjectPolicy;
use crate::{FieldError, ProjectId};

/// A template's slug, e.g. `classical-regression`; its versions share it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TemplateId(pub String);

impl TemplateId {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        crate::ids::parse_slug("template", value).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The type of a parameter, which decides its input and its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    Number,
    Choice,
    Boolean,
    /// The name or ARN of a secret (never its value), e.g. `prod/mlflow-token`.
    SecretRef,
}

impl FieldKind {
    pub const ALL: [FieldKind; 5] =
        [FieldKind::Text, FieldKind::Number, FieldKind::Choice, FieldKind::Boolean, FieldKind::SecretRef];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "Text",
            FieldKind::Number => "Number",
            FieldKind::Choice => "Choice",
            FieldKind::Boolean => "Boolean",
            FieldKind::SecretRef => "SecretRef",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FieldKind::SecretRef => "Secret reference",
            other => other.as_str(),
        }
    }

    pub fn parse(text: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// One parameter of a template's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamField {
    /// How the files refer to it: `{{ params.<name> }}`.
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    pub kind: FieldKind,
    pub required: bool,
    /// As typed into the form; empty when there is none.
    #[serde(default)]
    pub default: String,
    /// Text: a regular expression the whole value must match (empty: any).
    #[serde(default)]
    pub pattern: String,
    /// Number: inclusive bounds.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Choice: the values one may pick.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// A file of the `build/` or `deploy/` tree, its content a minijinja template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFile {
    /// `build/...` or `deploy/...`.
    pub path: String,
    pub content: String,
}

/// The two repositories a template makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Repository {
    Build,
    Deploy,
}

impl Repository {
    pub const ALL: [Repository; 2] = [Repository::Build, Repository::Deploy];
    pub fn as_str(self) -> &'static str {
        match self {
            Repository::Build => "build",
            Repository::Deploy => "deploy",
        }
    }
}

/// What an admin edits: everything of a template but its identity, version and status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDefinition {
    pub name: String,
    /// e.g. "Classical Regression", "LLM fine-tuning", "RAG".
    pub kind: String,
    pub description: String,
    /// Who answers for the template (a team or a person).
    pub owner: String,
    pub fields: Vec<ParamField>,
    pub policy: ProjectPolicy,
    pub files: Vec<TemplateFile>,
}

/// Where a template version is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateStatus {
    /// Being edited; not offered to projects.
    Draft,
    /// Offered to new projects; editing it makes a new version.
    Published,
    /// No longer offered; its projects keep working.
    Deprecated,
}

impl TemplateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateStatus::Draft => "Draft",
            TemplateStatus::Published => "Published",
            TemplateStatus::Deprecated => "Deprecated",
        }
    }
    pub fn parse(text: &str) -> Option<TemplateStatus> {
        [TemplateStatus::Draft, TemplateStatus::Published, TemplateStatus::Deprecated]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One version of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: TemplateId,
    pub version: u32,
    pub status: TemplateStatus,
    pub definition: TemplateDefinition,
    pub updated_by: crate::Subject,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A parameter's value once checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    /// Whole numbers render as `2`, not `2.0`.
    Integer(i64),
    Number(f64),
    Text(String),
}

impl ParamValue {
    /// As a form shows it.
    pub fn to_form(&self) -> String {
        match self {
            ParamValue::Bool(b) => b.to_string(),
            ParamValue::Integer(n) => n.to_string(),
            ParamValue::Number(n) => n.to_string(),
            ParamValue::Text(t) => t.clone(),
        }
    }
}

/// A rendered file of one repository, its path relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedFile {
    #[serde(alias = "tree")]
    pub repository: Repository,
    pub path: String,
    pub content: String,
}

impl RenderedFile {
    /// Scripts keep their executable bit in the repository.
    pub fn executable(&self) -> bool {
        self.path.ends_with(".sh")
    }
}

const MAX_FILE_BYTES: usize = 200_000;
const MAX_FILES: usize = 200;
const MAX_FIELDS: usize = 50;

fn field_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The regular expression a Text parameter's whole value must match.
fn compile_pattern(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        // regex's message spans several lines with a caret diagram; its last line says what is wrong.
        let why = e.to_string().lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid").trim().to_string();
        format!("'{pattern}' is not a valid regular expression ({why})")
    })
}

impl ParamField {
    /// How messages name this parameter: its position (1-based) and name.
    pub fn place(index: usize, name: &str) -> String {
        if name.trim().is_empty() {
            format!("Parameter {}", index + 1)
        } else {
            format!("Parameter {} ({})", index + 1, name.trim())
        }
    }

    /// Checks a value typed into a project's form against this parameter; an empty value takes the default.
    ///
    /// # Errors
    /// A message (without the parameter's name) saying what is wrong.
    pub fn check(&self, raw: &str) -> Result<Option<ParamValue>, String> {
        let raw = raw.trim();
        let raw = if raw.is_empty() { self.default.trim() } else { raw };
        if raw.is_empty() {
            return match (self.kind, self.required) {
                (FieldKind::Boolean, _) => Ok(Some(ParamValue::Bool(false))),
                (_, true) => Err("is required".into()),
                (_, false) => Ok(None),
            };
        }
        if raw.chars().count() > 500 {
            return Err("is longer than 500 characters".into());
        }
        match self.kind {
            FieldKind::Text => {
                if !self.pattern.is_empty() && !compile_pattern(&self.pattern)?.is_match(raw) {
                    return Err(format!("'{raw}' does not match the pattern {}", self.pattern));
                }
                Ok(Some(ParamValue::Text(raw.to_string())))
            }
            FieldKind::Number => {
                let n: f64 =
                    raw.parse().ok().filter(|n: &f64| n.is_finite()).ok_or(format!("'{raw}' is not a number"))?;
                if self.min.is_some_and(|min| n < min) || self.max.is_some_and(|max| n > max) {
                    return Err(format!("{raw} is outside {}", self.range_text()));
                }
                let whole = n.fract() == 0.0 && n.abs() < 1e15;
                Ok(Some(if whole { ParamValue::Integer(n as i64) } else { ParamValue::Number(n) }))
            }
            FieldKind::Choice => {
                if !self.choices.iter().any(|c| c == raw) {
                    return Err(format!("'{raw}' is not one of {}", self.choices.join(", ")));
                }
                Ok(Some(ParamValue::Text(raw.to_string())))
            }
            FieldKind::Boolean => match raw {
                "true" | "on" | "yes" => Ok(Some(ParamValue::Bool(true))),
                "false" | "off" | "no" => Ok(Some(ParamValue::Bool(false))),
                _ => Err(format!("'{raw}' is not true or false")),
            },
            FieldKind::SecretRef => {
                let ok = raw.len() <= 512
                    && raw.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-:".contains(c))
                    && !raw.contains("://");
                if !ok {
                    return Err(format!(
                        "'{raw}' is not a secret's name or ARN (letters, digits and /_+=.@-: only), e.g. prod/mlflow-token"
                    ));
                }
                Ok(Some(ParamValue::Text(raw.to_string())))
            }
        }
    }

    /// The allowed range in words, e.g. `1 to 10`.
    pub fn range_text(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            (Some(a), None) => format!("{a} or more"),
            (None, Some(b)) => format!("{b} or less"),
            (None, None) => "any number".into(),
        }
    }

    /// A value for a preview: the default, else a plausible one of the right type.
    fn sample(&self) -> String {
        if !self.default.trim().is_empty() {
            return self.default.clone();
        }
        match self.kind {
            FieldKind::Text => "sample".into(),
            FieldKind::Number => self.min.or(self.max).unwrap_or(1.0).to_string(),
            FieldKind::Choice => self.choices.first().cloned().unwrap_or_default(),
            FieldKind::Boolean => "false".into(),
            FieldKind::SecretRef => "sample/secret".into(),
        }
    }

    /// Checks the definition of this parameter (not a value of it).
    fn validate(&self, index: usize) -> Result<(), FieldError> {
        let place = |what: &str| format!("{}, {what}", Self::place(index, &self.name));
        if !field_name_ok(&self.name) {
            return Err(FieldError::new(
                place("name"),
                "must be 1-40 lowercase letters, digits or underscores, starting with a letter",
            ));
        }
        text_field(&place("label"), &self.label, true, 120)?;
        text_field(&place("help"), &self.help, false, 500)?;
        if self.kind == FieldKind::Text && !self.pattern.is_empty() {
            compile_pattern(&self.pattern).map_err(|m| FieldError::new(place("pattern"), m))?;
        }
        if self.kind != FieldKind::Text && !self.pattern.is_empty() {
            return Err(FieldError::new(place("pattern"), "applies to Text parameters only"));
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if min > max {
                return Err(FieldError::new(place("range"), format!("minimum {min} is above maximum {max}")));
            }
        }
        if self.kind != FieldKind::Number && (self.min.is_some() || self.max.is_some()) {
            return Err(FieldError::new(place("range"), "applies to Number parameters only"));
        }
        if self.kind == FieldKind::Choice {
            if self.choices.is_empty() {
                return Err(FieldError::new(place("choices"), "a Choice parameter needs at least one choice"));
            }
            let mut seen = BTreeSet::new();
            if let Some(dup) = self.choices.iter().find(|c| !seen.insert(c.as_str())) {
                return Err(FieldError::new(place("choices"), format!("'{dup}' is listed twice")));
            }
        } else if !self.choices.is_empty() {
            return Err(FieldError::new(place("choices"), "apply to Choice parameters only"));
        }
        if !self.default.trim().is_empty() {
            self.check(&self.default).map_err(|m| FieldError::new(place("default"), m))?;
        }
        Ok(())
    }
}

impl TemplateDefinition {
    /// Checks the whole definition, naming the first place that is wrong: the template's own fields, each
    /// parameter, the policy, and each file (which must render with the parameters' sample values).
    ///
    /// # Errors
    /// A [`FieldError`] whose field names the place, e.g. `Parameter 2 (region), pattern`.
    pub fn validate(&self) -> Result<(), FieldError> {
        text_field("name", &self.name, true, 80)?;
        text_field("kind", &self.kind, true, 60)?;
        text_field("description", &self.description, false, 2000)?;
        text_field("owner", &self.owner, true, 120)?;
        if self.fields.len() > MAX_FIELDS {
            return Err(FieldError::new("parameters", format!("more than {MAX_FIELDS} parameters")));
        }
        let mut names = BTreeSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            field.validate(i)?;
            if !names.insert(field.name.as_str()) {
                return Err(FieldError::new(
                    format!("{}, name", ParamField::place(i, &field.name)),
                    format!("'{}' is used by an earlier parameter; names must be unique", field.name),
                ));
            }
        }
        if !(1..=9).contains(&self.policy.prod_quorum) {
            return Err(FieldError::new("prod_quorum", "must be between 1 and 9"));
        }
        if !(1..=1440).contains(&self.policy.breach_window_minutes) {
            return Err(FieldError::new("breach_window_minutes", "must be between 1 and 1440 minutes"));
        }
        let (after, notice) = (self.policy.recertify_after_days, self.policy.recertify_notice_days);
        if after > crate::project::MAX_RECERTIFY_AFTER_DAYS {
            return Err(FieldError::new(
                "recertify_after_days",
                format!("must be from 0 (never) to {} days", crate::project::MAX_RECERTIFY_AFTER_DAYS),
            ));
        }
        if after > 0 && notice >= after {
            return Err(FieldError::new(
                "recertify_notice_days",
                format!("must be fewer days than the re-certification period ({after} days)"),
            ));
        }
        for suite in &self.policy.required_test_suites {
            text_field("required_test_suites", suite, true, 120)?;
        }
        if self.files.len() > MAX_FILES {
            return Err(FieldError::new("files", format!("more than {MAX_FILES} files")));
        }
        let mut paths = BTreeSet::new();
        for file in &self.files {
            let place = format!("File {}", file.path);
            if split_path(&file.path).is_none() {
                return Err(FieldError::new(
                    place,
                    "must be a relative path under build/ or deploy/ (no '..', no leading '/')",
                ));
            }
            if !paths.insert(file.path.as_str()) {
                return Err(FieldError::new(place, "is listed twice"));
            }
            if file.content.len() > MAX_FILE_BYTES {
                return Err(FieldError::new(place, format!("is larger than {MAX_FILE_BYTES} bytes")));
            }
        }
        for tree in Repository::ALL {
            if !self.files.iter().any(|f| split_path(&f.path).is_some_and(|(t, _)| t == tree)) {
                return Err(FieldError::new("files", format!("the {}/ repository has no file", tree.as_str())));
            }
        }
        render(self, &sample_project(), &sample_values(&self.fields)?)?;
        Ok(())
    }
}

/// The project previews render for.
pub fn sample_project() -> ProjectRef {
    ProjectRef { id: ProjectId("sample-project".into()), name: "Sample project".into() }
}

/// What the files know of the project they are rendered for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: ProjectId,
    pub name: String,
}

/// `build/a/b.txt` -> (Build, `a/b.txt`); `None` for anything else.
pub fn split_path(path: &str) -> Option<(Repository, &str)> {
    let (top, rest) = path.split_once('/')?;
    let tree = Repository::ALL.into_iter().find(|t| t.as_str() == top)?;
    let ok = !rest.is_empty()
        && rest.len() <= 300
        && rest.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    ok.then_some((tree, rest))
}

/// Checks the values of a project's parameter form, keyed by parameter name, naming the first bad one by
/// its label.
///
/// # Errors
/// A [`FieldError`] whose field is the parameter's form name (`param_<name>`).
pub fn parse_values(
    fields: &[ParamField],
    submitted: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, ParamValue>, FieldError> {
    let mut values = BTreeMap::new();
    for field in fields {
        let raw = submitted.get(&field.name).map(String::as_str).unwrap_or("");
        match field.check(raw) {
            Ok(Some(v)) => {
                values.insert(field.name.clone(), v);
            }
            Ok(None) => {}
            Err(message) => return Err(FieldError::new(format!("{} (param_{})", field.label, field.name), message)),
        }
    }
    Ok(values)
}

/// Renders every file of the definition for a project, naming the first file that does not render.
///
/// Files see `project.id`, `project.name` and `params.<name>`; an undefined name is an error (not an empty
/// string), so a typo shows up in the editor rather than in a broken pipeline.
///
/// # Errors
/// A [`FieldError`] on `File <path>` with minijinja's reason and line.
pub fn render(
    definition: &TemplateDefinition,
    project: &ProjectRef,
    values: &BTreeMap<String, ParamValue>,
) -> Result<Vec<RenderedFile>, FieldError> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    // Pipelines, YAML and JSON are not HTML: nothing is escaped.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let context = minijinja::context! {
        project => minijinja::Value::from_serialize(project),
        params => minijinja::Value::from_serialize(values),
        template => minijinja::context! { name => definition.name.clone(), kind => definition.kind.clone() },
    };
    definition
        .files
        .iter()
        .map(|file| {
            let (tree, path) = split_path(&file.path)
                .ok_or_else(|| FieldError::new(format!("File {}", file.path), "is not under build/ or deploy/"))?;
            let content = env.render_named_str(&file.path, &file.content, &context).map_err(|e| {
                let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
                FieldError::new(
                    format!("File {}", file.path),
                    format!("does not render: {}{line}", e.detail().unwrap_or(&e.kind().to_string())),
                )
            })?;
            Ok(RenderedFile { repository: tree, path: path.to_string(), content })
        })
        .collect()
}

/// A unified diff of two renderings of one repository, file by file (empty when they are equal).
pub fn diff(repository: Repository, old: &[RenderedFile], new: &[RenderedFile]) -> String {
    let of = |files: &[RenderedFile]| -> BTreeMap<String, String> {
        files.iter().filter(|f| f.repository == repository).map(|f| (f.path.clone(), f.content.clone())).collect()
    };
    let (old, new) = (of(old), of(new));
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = String::new();
    for path in paths {
        let a = old.get(path).map(String::as_str).unwrap_or("");
        let b = new.get(path).map(String::as_str).unwrap_or("");
        if a == b {
            continue;
        }
        let from = if old.contains_key(path) { format!("a/{path}") } else { "/dev/null".into() };
        let to = if new.contains_key(path) { format!("b/{path}") } else { "/dev/null".into() };
        out.push_str(
            &similar::TextDiff::from_lines(a, b).unified_diff().context_radius(2).header(&from, &to).to_string(),
        );
    }
    out
}

/// The values a definition is checked with and a preview renders with: each field's default, else a
/// plausible value of its kind (a required field without a default has no value until a project fills it in).
///
/// # Errors
/// A field whose sample its own rules refuse (a default outside its bounds, a pattern "sample" misses).
pub fn sample_values(fields: &[ParamField]) -> Result<BTreeMap<String, ParamValue>, FieldError> {
    let sample: BTreeMap<String, String> = fields.iter().map(|f| (f.name.clone(), f.sample())).collect();
    parse_values(fields, &sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: FieldKind) -> ParamField {
        ParamField {
            name: name.into(),
            label: name.to_uppercase(),
            help: String::new(),
            kind,
            required: true,
            default: String::new(),
            pattern: String::new(),
            min: None,
            max: None,
            choices: vec![],
        }
    }

    fn definition() -> TemplateDefinition {
        TemplateDefinition {
            name: "Classical Regression".into(),
            kind: "Classical Regression".into(),
            description: "Tabular models".into(),
            owner: "ML platform".into(),
            fields: vec![
                ParamField { pattern: "[a-z0-9-]+".into(), default: "eu-west-1".into(), ..field("region", FieldKind::Text) },
                ParamField { min: Some(1.0), max: Some(10.0), default: "2".into(), ..field("instances", FieldKind::Number) },
                ParamField {
                    choices: vec!["xgboost".into(), "sklearn".into()],
                    default: "xgboost".into(),
                    ..field("framework", FieldKind::Choice)
                },
                ParamField { required: false, ..field("gpu", FieldKind::Boolean) },
                ParamField { default: "prod/mlflow".into(), ..field("mlflow_secret", FieldKind::SecretRef) },
            ],
            policy: ProjectPolicy::default(),
            files: vec![
                TemplateFile {
                    path: "build/train.sh".into(),
                    content: "# {{ project.id }} in {{ params.region }} on {{ params.instances }}\n{% if params.gpu %}gpu{% endif %}\n".into(),
                },
                TemplateFile { path: "deploy/config/test.json".into(), content: "{\"framework\": \"{{ params.framework }}\"}\n".into() },
            ],
        }
    }

    fn err(d: &TemplateDefinition) -> FieldError {
        d.validate().expect_err("should be refused")
    }

    #[test]
    fn a_good_definition_validates_and_renders_with_its_defaults() {
        let d = definition();
        d.validate().unwrap();
        let values = parse_values(&d.fields, &BTreeMap::new()).unwrap();
        let files = render(&d, &sample_project(), &values).unwrap();
        assert_eq!(files[0].repository, Repository::Build);
        assert_eq!(files[0].path, "train.sh");
        assert_eq!(files[0].content, "# sample-project in eu-west-1 on 2\n\n");
        assert!(files[0].executable());
        assert_eq!(files[1].content, "{\"framework\": \"xgboost\"}\n");
    }

    #[test]
    fn bad_definitions_name_the_place() {
        let mut d = definition();
        d.fields[0].pattern = "[a-".into();
        let e = err(&d);
        assert_eq!(e.field, "Parameter 1 (region), pattern");
        assert!(e.message.contains("not a valid regular expression"), "{}", e.message);

        let mut d = definition();
        d.fields[1].name = "region".into();
        let e = err(&d);
        assert_eq!(e.field, "Parameter 2 (region), name");
        assert!(e.message.contains("unique"));

        let mut d = definition();
        d.files[0].content = "{{ params.regoin }}".into();
        let e = err(&d);
        assert_eq!(e.field, "File build/train.sh");
        assert!(e.message.contains("does not render"), "{}", e.message);

        let mut d = definition();
        d.files[0].content = "{% if %}".into();
        assert_eq!(err(&d).field, "File build/train.sh");

        let mut d = definition();
        d.fields[1].min = Some(5.0);
        d.fields[1].max = Some(1.0);
        assert_eq!(err(&d).field, "Parameter 2 (instances), range");

        let mut d = definition();
        d.fields[1].default = "20".into();
        let e = err(&d);
        assert_eq!(e.field, "Parameter 2 (instances), default");
        assert!(e.message.contains("outside 1 to 10"));

        let mut d = definition();
        d.fields[2].choices.clear();
        assert_eq!(err(&d).field, "Parameter 3 (framework), choices");

        let mut d = definition();
        d.fields[0].name = "Region".into();
        assert_eq!(err(&d).field, "Parameter 1 (Region), name");

        let mut d = definition();
        d.files[1].path = "deploy/../etc/passwd".into();
        assert_eq!(err(&d).field, "File deploy/../etc/passwd");

        let mut d = definition();
        d.files.remove(1);
        assert!(err(&d).message.contains("deploy/ repository has no file"));

        let mut d = definition();
        d.name = " ".into();
        assert_eq!(err(&d).field, "name");

        let mut d = definition();
        d.policy.prod_quorum = 0;
        assert_eq!(err(&d).field, "prod_quorum");
    }

    #[test]
    fn values_are_checked_by_type_and_named_by_label() {
        let d = definition();
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let e = parse_values(&d.fields, &form(&[("region", "EU")])).unwrap_err();
        assert_eq!(e.field, "REGION (param_region)");
        assert!(e.message.contains("does not match the pattern [a-z0-9-]+"));
        let e = parse_values(&d.fields, &form(&[("instances", "11")])).unwrap_err();
        assert!(e.message.contains("outside 1 to 10"));
        let e = parse_values(&d.fields, &form(&[("instances", "many")])).unwrap_err();
        assert!(e.message.contains("not a number"));
        let e = parse_values(&d.fields, &form(&[("framework", "torch")])).unwrap_err();
        assert!(e.message.contains("not one of xgboost, sklearn"));
        let e = parse_values(&d.fields, &form(&[("mlflow_secret", "https://x")])).unwrap_err();
        assert!(e.message.contains("secret"));
        let e = parse_values(&d.fields, &form(&[("gpu", "maybe")])).unwrap_err();
        assert!(e.message.contains("true or false"));
        let mut fields = d.fields.clone();
        fields[0].default.clear();
        let e = parse_values(&fields, &form(&[])).unwrap_err();
        assert_eq!(e.message, "is required");
        let v = parse_values(&d.fields, &form(&[("gpu", "on"), ("instances", "3")])).unwrap();
        assert_eq!(v["gpu"], ParamValue::Bool(true));
        assert_eq!(v["instances"], ParamValue::Integer(3));
    }

    #[test]
    fn diff_shows_changed_added_and_removed_files() {
        let old = vec![
            RenderedFile { repository: Repository::Build, path: "a.txt".into(), content: "one\ntwo\n".into() },
            RenderedFile { repository: Repository::Build, path: "gone.txt".into(), content: "x\n".into() },
        ];
        let new = vec![
            RenderedFile { repository: Repository::Build, path: "a.txt".into(), content: "one\nthree\n".into() },
            RenderedFile { repository: Repository::Build, path: "new.txt".into(), content: "y\n".into() },
        ];
        let d = diff(Repository::Build, &old, &new);
        assert!(d.contains("--- a/a.txt\n+++ b/a.txt"), "{d}");
        assert!(d.contains("-two\n+three"), "{d}");
        assert!(d.contains("--- /dev/null\n+++ b/new.txt"), "{d}");
        assert!(d.contains("--- a/gone.txt\n+++ /dev/null"), "{d}");
        assert_eq!(diff(Repository::Deploy, &old, &new), "");
    }
}

#[cfg(test)]
mod sample_tests {
    use super::*;

    fn required(name: &str, kind: FieldKind) -> ParamField {
        ParamField {
            name: name.into(),
            label: name.into(),
            help: String::new(),
            kind,
            required: true,
            default: String::new(),
            pattern: String::new(),
            min: None,
            max: None,
            choices: vec![],
        }
    }

    #[test]
    fn a_preview_renders_required_parameters_without_defaults_with_samples_of_their_kind() {
        let fields = vec![
            required("bucket", FieldKind::Text),
            ParamField { min: Some(3.0), ..required("replicas", FieldKind::Number) },
            ParamField { choices: vec!["gpu".into(), "cpu".into()], ..required("hardware", FieldKind::Choice) },
            required("canary", FieldKind::Boolean),
            required("token", FieldKind::SecretRef),
            ParamField { default: "eu-west-1".into(), ..required("region", FieldKind::Text) },
            ParamField { required: false, ..required("note", FieldKind::Text) },
        ];
        let definition = TemplateDefinition {
            name: "t".into(),
            kind: "t".into(),
            description: String::new(),
            owner: String::new(),
            fields: fields.clone(),
            policy: Default::default(),
            files: vec![TemplateFile {
                path: "build/ci.yaml".into(),
                content: "{{ params.bucket }} {{ params.replicas }} {{ params.hardware }} {{ params.canary }} {{ params.token }} {{ params.region }}{% if params.note is defined %} {{ params.note }}{% endif %}\n".into(),
            }],
        };
        // Creating a project with none of them filled in is refused, as before.
        assert!(parse_values(&fields, &BTreeMap::new()).is_err());
        let values = sample_values(&fields).expect("samples of every kind");
        let files = render(&definition, &sample_project(), &values).expect("every file renders");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].content, "sample 3 gpu False sample/secret eu-west-1 sample\n");
    }
}
