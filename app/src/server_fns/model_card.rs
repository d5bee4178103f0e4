//! The model card a data scientist keeps current until the version reaches Test.

use leptos::prelude::*;

use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "save_model_card")]
pub async fn save_model_card(
    version: String,
    intended_use: String,
    limitations: String,
    risk_rating: String,
    training_data: String,
    evaluation: String,
    owner: String,
) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::model::ModelCard;
    use governance::service::ServiceError;

    let principal = require_principal().await?;
    let card = ModelCard { intended_use, limitations, risk_rating, training_data, evaluation, owner };
    let submitted = card.fields();
    portal()?.service.save_model_card(&principal, &governance::VersionId(version), card).await.map_err(|e| match e {
        ServiceError::Invalid(f) => reply(AppError::invalid(f, submitted)),
        other => reply(other),
    })
}
