//! MLflow's paginated listings: ask for `max_results` at a time and follow `next_page_token` to the end.

use governance::experiment::ExperimentError;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::client::Client;

/// One page of a listing: the items under the endpoint's own name, and the token of the next page, if any.
#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new", alias = "metrics", alias = "model_versions")]
    items: Vec<T>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// Guards against a server that hands back the same token forever (MLflow's get-history handler once did).
const MAX_PAGES: usize = 10_000;

/// Every item of `path` for `query`, fetched `page_size` at a time. `run_id` names the run a 404 is about.
pub async fn fetch_all<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    query: &[(&str, &str)],
    run_id: &str,
    page_size: u32,
) -> Result<Vec<T>, ExperimentError> {
    let max_results = page_size.to_string();
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut page_query = query.to_vec();
        page_query.push(("max_results", max_results.as_str()));
        if let Some(token) = &token {
            page_query.push(("page_token", token.as_str()));
        }
        let page: Page<T> = client.get(path, &page_query, run_id).await?;
        items.extend(page.items);
        match page.next_page_token.filter(|t| !t.is_empty()) {
            None => return Ok(items),
            Some(next) if token.as_deref() == Some(next.as_str()) => {
                return Err(ExperimentError::Malformed(format!("{path} repeats its page token")))
            }
            Some(next) => token = Some(next),
        }
    }
    Err(ExperimentError::Malformed(format!("{path} has more than {MAX_PAGES} pages")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_either_listing_and_an_empty_answer() {
        let page: Page<u8> = serde_json::from_str(r#"{"metrics":[1,2],"next_page_token":"t"}"#).unwrap();
        assert_eq!((page.items, page.next_page_token.as_deref()), (vec![1, 2], Some("t")));
        let page: Page<u8> = serde_json::from_str(r#"{"model_versions":[3]}"#).unwrap();
        assert_eq!((page.items, page.next_page_token), (vec![3], None));
        // MLflow answers `{}` when there is nothing.
        assert!(serde_json::from_str::<Page<u8>>("{}").unwrap().items.is_empty());
    }
}
