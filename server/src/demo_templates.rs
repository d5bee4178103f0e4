//! The seed templates the embedded default ships: Classical Regression, LLM fine-tuning and RAG, each with a
//! real build pipeline (train, evaluate, log to MLflow, register the Dev version with the portal's API using
//! the CI OIDC token) and deploy pipeline (per-environment config files). Their files are in
//! `server/seed-templates/`.

use governance::ports::Effects;
use governance::project::{Bound, MetricThreshold, ProjectPolicy};
use governance::template::{
    FieldKind, ParamField, Template, TemplateDefinition, TemplateFile, TemplateId, TemplateStatus,
};
use governance::{Stage, Subject};

use crate::store::Store;

macro_rules! seed_file {
    ($path:literal, $source:literal) => {
        TemplateFile {
            path: $path.to_string(),
            content: include_str!(concat!("../seed-templates/", $source)).to_string(),
        }
    };
}

fn common_files() -> Vec<TemplateFile> {
    vec![
        seed_file!("build/.github/workflows/build.yml", "common/build/.github/workflows/build.yml"),
        seed_file!("build/pipeline/register.py", "common/build/pipeline/register.py"),
        seed_file!("build/README.md", "common/build/README.md"),
        seed_file!("deploy/.github/workflows/deploy.yml", "common/deploy/.github/workflows/deploy.yml"),
        seed_file!("deploy/deploy.py", "common/deploy/deploy.py"),
        seed_file!("deploy/config/test.json", "common/deploy/config/test.json"),
        seed_file!("deploy/config/prod.json", "common/deploy/config/prod.json"),
        seed_file!("deploy/README.md", "common/deploy/README.md"),
    ]
}

/// A parameter with the common settings: required, no checks beyond its type.
pub fn param(name: &str, label: &str, kind: FieldKind, default: &str, help: &str) -> ParamField {
    ParamField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        kind,
        required: true,
        default: default.into(),
        pattern: String::new(),
        min: None,
        max: None,
        choices: Vec::new(),
    }
}

fn common_fields() -> Vec<ParamField> {
    vec![
        ParamField {
            pattern: "[a-z][a-z0-9-]{2,62}".into(),
            ..param(
                "model_group",
                "Model group",
                FieldKind::Text,
                "",
                "The model package group the build registers into.",
            )
        },
        ParamField {
            pattern: "https?://[^\\s]+".into(),
            ..param(
                "portal_url",
                "Portal URL",
                FieldKind::Text,
                "https://portal.example.com",
                "Where CI registers versions.",
            )
        },
        param("portal_audience", "OIDC audience", FieldKind::Text, "governance-portal", "The `aud` of the CI token."),
        ParamField {
            pattern: "https?://[^\\s]+".into(),
            ..param("mlflow_tracking_uri", "MLflow tracking URI", FieldKind::Text, "https://mlflow.example.com", "")
        },
        ParamField {
            choices: vec!["eu-west-1".into(), "eu-central-1".into(), "us-east-1".into()],
            ..param("aws_region", "AWS region", FieldKind::Choice, "eu-west-1", "")
        },
        param("ci_environment", "CI environment", FieldKind::Text, "dev", "The GitHub environment the build runs in."),
        ParamField {
            pattern: "ml\\.[a-z0-9]+\\.[a-z0-9]+".into(),
            ..param("instance_type", "Instance type", FieldKind::Text, "ml.m5.large", "SageMaker instance type.")
        },
        ParamField {
            pattern: "arn:aws:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]+".into(),
            ..param(
                "execution_role_arn",
                "SageMaker execution role",
                FieldKind::Text,
                "arn:aws:iam::111122223333:role/sagemaker-execution",
                "",
            )
        },
        ParamField {
            pattern: "arn:aws:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]+".into(),
            ..param(
                "deploy_role_arn",
                "Deploy role (assumed by CI)",
                FieldKind::Text,
                "arn:aws:iam::111122223333:role/ci-deploy",
                "",
            )
        },
        param("capture_bucket", "Data capture bucket", FieldKind::Text, "ml-data-capture", ""),
        param(
            "container_image",
            "Inference image",
            FieldKind::Text,
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/sklearn-inference:1.4",
            "",
        ),
        param(
            "mlflow_token_secret",
            "MLflow token secret",
            FieldKind::SecretRef,
            "ci/mlflow-token",
            "Name of the secret, never its value.",
        ),
    ]
}

fn definition(
    name: &str,
    description: &str,
    fields: Vec<ParamField>,
    thresholds: Vec<MetricThreshold>,
    suites: &[&str],
    train: TemplateFile,
    requirements: TemplateFile,
) -> TemplateDefinition {
    let mut all_fields = common_fields();
    all_fields.extend(fields);
    let mut files = common_files();
    files.push(train);
    files.push(requirements);
    TemplateDefinition {
        name: name.into(),
        kind: name.into(),
        description: description.into(),
        owner: "ML platform team".into(),
        fields: all_fields,
        policy: ProjectPolicy {
            prod_quorum: 1,
            metric_thresholds: thresholds,
            require_model_card: true,
            required_test_suites: suites.iter().map(|s| s.to_string()).collect(),
            // Prod sign-off needs to know what the model was trained on and by which run.
            lineage_required: vec![Stage::Prod],
            ..ProjectPolicy::default()
        },
        files,
    }
}

/// The three seed templates.
pub fn seed_templates() -> Vec<(TemplateId, TemplateDefinition)> {
    let at_least = |m: &str, v| MetricThreshold { metric: m.into(), bound: Bound::AtLeast(v) };
    let at_most = |m: &str, v| MetricThreshold { metric: m.into(), bound: Bound::AtMost(v) };
    vec![
        (
            TemplateId("classical-regression".into()),
            definition(
                "Classical Regression",
                "Tabular regression with scikit-learn: trains on a Glue table, evaluates RMSE/MAE/R², deploys to a SageMaker endpoint.",
                vec![
                    param("training_table", "Training table", FieldKind::Text, "glue://curated.loan_applications", ""),
                    param("target_column", "Target column", FieldKind::Text, "target", ""),
                    ParamField {
                        choices: vec!["gradient_boosting".into(), "random_forest".into(), "ridge".into()],
                        ..param("algorithm", "Algorithm", FieldKind::Choice, "gradient_boosting", "")
                    },
                    ParamField {
                        min: Some(0.05),
                        max: Some(0.5),
                        ..param("test_fraction", "Test fraction", FieldKind::Number, "0.2", "Share of rows held out.")
                    },
                ],
                vec![at_least("r2", 0.6), at_most("latency_p99_ms", 300.0)],
                &["integration", "performance"],
                seed_file!("build/pipeline/train.py", "kinds/regression/train.py"),
                seed_file!("build/requirements.txt", "kinds/regression/requirements.txt"),
            ),
        ),
        (
            TemplateId("llm-fine-tuning".into()),
            definition(
                "LLM fine-tuning",
                "LoRA fine-tuning of an open-weights model with transformers + peft; perplexity evaluation.",
                vec![
                    param("training_table", "Training data (JSON lines)", FieldKind::Text, "s3://datalake-curated/support-tickets/train.jsonl", ""),
                    param("base_model", "Base model", FieldKind::Text, "Qwen/Qwen2.5-0.5B", ""),
                    ParamField { min: Some(1.0), max: Some(64.0), ..param("lora_rank", "LoRA rank", FieldKind::Number, "8", "") },
                    ParamField { min: Some(1.0), max: Some(20.0), ..param("epochs", "Epochs", FieldKind::Number, "3", "") },
                    ParamField { min: Some(128.0), max: Some(8192.0), ..param("max_length", "Max tokens", FieldKind::Number, "1024", "") },
                ],
                vec![at_most("perplexity", 20.0), at_most("toxicity_rate", 0.01)],
                &["integration", "safety"],
                seed_file!("build/pipeline/train.py", "kinds/llm/train.py"),
                seed_file!("build/requirements.txt", "kinds/llm/requirements.txt"),
            ),
        ),
        (
            TemplateId("rag".into()),
            definition(
                "RAG",
                "Retrieval-augmented generation: builds an embedding index over documents and evaluates recall@k.",
                vec![
                    param("training_table", "Documents (parquet)", FieldKind::Text, "s3://datalake-curated/policies/chunks.parquet", ""),
                    param("eval_questions", "Evaluation questions (parquet)", FieldKind::Text, "s3://datalake-curated/policies/questions.parquet", ""),
                    param("embedding_model", "Embedding model", FieldKind::Text, "sentence-transformers/all-MiniLM-L6-v2", ""),
                    ParamField { min: Some(1.0), max: Some(50.0), ..param("top_k", "Top k", FieldKind::Number, "5", "") },
                ],
                vec![at_least("recall_at_5", 0.8)],
                &["integration", "retrieval"],
                seed_file!("build/pipeline/train.py", "kinds/rag/train.py"),
                seed_file!("build/requirements.txt", "kinds/rag/requirements.txt"),
            ),
        ),
    ]
}

/// Stores and publishes the seed templates when there are no templates at all (a fresh portal).
pub async fn seed_if_none(store: &Store) -> anyhow::Result<()> {
    if !store.ports().templates.templates().await?.is_empty() {
        return Ok(());
    }
    let by = Subject("portal:seed".into());
    for (id, definition) in seed_templates() {
        definition.validate().map_err(|e| anyhow::anyhow!("seed template {id}: {e}"))?;
        let template = Template {
            id: id.clone(),
            version: 1,
            status: TemplateStatus::Draft,
            definition,
            updated_by: by.clone(),
            updated_at: chrono::Utc::now(),
        };
        store.ports().templates.save_template(&template, Effects::default()).await?;
        store
            .ports()
            .templates
            .set_template_status(&id, 1, TemplateStatus::Draft, TemplateStatus::Published, Effects::default())
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn seed_templates_validate_and_render() {
        for (id, d) in super::seed_templates() {
            d.validate().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }
}
