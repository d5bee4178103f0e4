//! What changed between two integration test runs of a version: the first thing a reviewer asks of a new run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::test_run::{CaseStatus, TestRun};

/// A case whose status changed, or that appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChange {
    pub suite: String,
    pub name: String,
    /// `None` when the case did not exist in that run.
    pub before: Option<CaseStatus>,
    pub after: Option<CaseStatus>,
}

/// A performance metric in both runs (or one of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceChange {
    pub metric: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// The difference from the previous run to this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDiff {
    /// Failing or erroring now, and not before (including new cases that fail).
    pub new_failures: Vec<CaseChange>,
    /// Failing or erroring before, passing now.
    pub fixed: Vec<CaseChange>,
    /// Any other change of status, and cases added or removed.
    pub other: Vec<CaseChange>,
    pub performance: Vec<PerformanceChange>,
}

impl RunDiff {
    pub fn is_empty(&self) -> bool {
        self.new_failures.is_empty()
            && self.fixed.is_empty()
            && self.other.is_empty()
            && self.performance.iter().all(|p| p.before == p.after)
    }
}

/// The difference from `previous` to `current`. Cases are matched by suite and name.
pub fn diff(previous: &TestRun, current: &TestRun) -> RunDiff {
    let key = |c: &crate::test_run::TestCase| (c.suite.clone(), c.name.clone());
    let before: BTreeMap<_, _> = previous.cases.iter().map(|c| (key(c), c.status)).collect();
    let after: BTreeMap<_, _> = current.cases.iter().map(|c| (key(c), c.status)).collect();
    let mut out = RunDiff { new_failures: Vec::new(), fixed: Vec::new(), other: Vec::new(), performance: Vec::new() };
    let names: std::collections::BTreeSet<_> = before.keys().chain(after.keys()).collect();
    for name in names {
        let (b, a) = (before.get(name).copied(), after.get(name).copied());
        if b == a {
            continue;
        }
        let change = CaseChange { suite: name.0.clone(), name: name.1.clone(), before: b, after: a };
        let failing = |s: Option<CaseStatus>| s.is_some_and(CaseStatus::is_failure);
        if failing(a) && !failing(b) {
            out.new_failures.push(change);
        } else if failing(b) && a == Some(CaseStatus::Passed) {
            out.fixed.push(change);
        } else {
            out.other.push(change);
        }
    }
    let metrics: std::collections::BTreeSet<_> =
        previous.performance.keys().chain(current.performance.keys()).collect();
    out.performance = metrics
        .into_iter()
        .map(|m| PerformanceChange {
            metric: m.clone(),
            before: previous.performance.get(m).copied(),
            after: current.performance.get(m).copied(),
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_run::TestCase;

    fn run(cases: &[(&str, CaseStatus)], p99: f64) -> TestRun {
        TestRun {
            id: crate::TestRunId("r".into()),
            version: crate::VersionId("v".into()),
            passed: true,
            cases: cases
                .iter()
                .map(|(n, s)| TestCase {
                    suite: "it".into(),
                    name: n.to_string(),
                    status: *s,
                    duration_ms: 1,
                    message: String::new(),
                })
                .collect(),
            performance: BTreeMap::from([("latency_p99_ms".to_string(), p99)]),
            ci_run: String::new(),
            reported_by: crate::Subject("ci".into()),
            recorded_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn sorts_changes_into_new_failures_fixed_and_others() {
        use CaseStatus::*;
        let before = run(&[("a", Passed), ("b", Failed), ("c", Passed), ("gone", Passed)], 200.0);
        let after = run(&[("a", Failed), ("b", Passed), ("c", Skipped), ("new", Errored)], 250.0);
        let d = diff(&before, &after);
        let names = |v: &[CaseChange]| v.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&d.new_failures), ["a", "new"]);
        assert_eq!(names(&d.fixed), ["b"]);
        assert_eq!(names(&d.other), ["c", "gone"]);
        assert_eq!(d.performance[0].before, Some(200.0));
        assert_eq!(d.performance[0].after, Some(250.0));
        assert!(!d.is_empty());
        assert!(diff(&before, &before).is_empty());
    }
}
