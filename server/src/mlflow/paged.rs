//! MLflow's paginated listings: ask for `max_results` at a time and follow `next_page_token` to the end.

use governance::experiment::ExperimentError;
use serde::de::DeserializeOwned;

use super::client::Client;

/// One page of a listing.
pub trait Page: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

/// Guards against a server that hands back the same token forever (MLflow's get-history handler once did).
const MAX_PAGES: usize = 10_000;

/// Every item of `path` for `query`, fetched `page_size` at a time. `run_id` names the run a 404 is about.
pub async fn fetch_all<P: Page>(
    client: &Client,
    path: &str,
    query: &[(&str, &str)],
    run_id: &str,
    page_size: u32,
) -> Result<Vec<P::Item>, ExperimentError> {
    let max_results = page_size.to_string();
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut page_query = query.to_vec();
        page_query.push(("max_results", max_results.as_str()));
        if let Some(token) = &token {
            page_query.push(("page_token", token.as_str()));
        }
        let (page, next) = client.get::<P>(path, &page_query, run_id).await?.into_parts();
        items.extend(page);
        match next.filter(|t| !t.is_empty()) {
            None => return Ok(items),
            Some(next) if token.as_deref() == Some(next.as_str()) => {
                return Err(ExperimentError::Malformed(format!("{path} repeats its page token")))
            }
            Some(next) => token = Some(next),
        }
    }
    Err(ExperimentError::Malformed(format!("{path} has more than {MAX_PAGES} pages")))
}
