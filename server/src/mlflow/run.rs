//! `runs/get`: a run's info and data, read into the domain's [`ExperimentRun`].

use std::collections::BTreeMap;

use governance::experiment::{ExperimentError, ExperimentRun, RunStatus};
use serde::Deserialize;

use super::wire::{self, KeyValue, Metric};

#[derive(Debug, Deserialize)]
pub struct GetRunResponse {
    run: Run,
}

#[derive(Debug, Deserialize)]
struct Run {
    info: RunInfo,
    #[serde(default)]
    data: RunData,
}

#[derive(Debug, Deserialize)]
struct RunInfo {
    run_id: String,
    experiment_id: String,
    #[serde(default)]
    run_name: String,
    #[serde(default)]
    user_id: String,
    status: String,
    #[serde(default, deserialize_with = "wire::optional_integer")]
    start_time: Option<i64>,
    #[serde(default, deserialize_with = "wire::optional_integer")]
    end_time: Option<i64>,
    #[serde(default)]
    artifact_uri: String,
}

#[derive(Debug, Default, Deserialize)]
struct RunData {
    #[serde(default)]
    metrics: Vec<Metric>,
    #[serde(default)]
    params: Vec<KeyValue>,
    #[serde(default)]
    tags: Vec<KeyValue>,
}

impl GetRunResponse {
    /// The domain's run. `data.metrics` already holds each metric's latest value (highest step, then latest
    /// time), which is what the port promises.
    pub fn into_run(self) -> Result<ExperimentRun, ExperimentError> {
        let Run { info, data } = self.run;
        let status = RunStatus::parse(&info.status)
            .ok_or_else(|| ExperimentError::Malformed(format!("unknown run status {:?}", info.status)))?;
        let time = |ms: Option<i64>| ms.map(wire::millis).transpose();
        let pairs = |kvs: Vec<KeyValue>| kvs.into_iter().map(|kv| (kv.key, kv.value)).collect::<BTreeMap<_, _>>();
        Ok(ExperimentRun {
            run_id: info.run_id,
            experiment_id: info.experiment_id,
            run_name: info.run_name,
            status,
            user: info.user_id,
            start_time: time(info.start_time)?,
            end_time: time(info.end_time)?,
            artifact_uri: info.artifact_uri,
            params: pairs(data.params),
            metrics: data.metrics.into_iter().map(|m| (m.key, m.value)).collect(),
            tags: pairs(data.tags),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_run_has_no_end_and_an_unknown_status_is_malformed() {
        let json = r#"{"run":{"info":{"run_id":"r1","experiment_id":"3","status":"RUNNING","start_time":1700000000000},
                       "data":{"params":[{"key":"lr","value":"0.1"}]}}}"#;
        let run = serde_json::from_str::<GetRunResponse>(json).unwrap().into_run().unwrap();
        assert_eq!(run.status, RunStatus::Running);
        assert_eq!(run.end_time, None);
        assert_eq!(run.params["lr"], "0.1");
        let odd = json.replace("RUNNING", "PAUSED");
        let err = serde_json::from_str::<GetRunResponse>(&odd).unwrap().into_run().unwrap_err();
        assert!(matches!(err, ExperimentError::Malformed(_)), "{err:?}");
    }
}
