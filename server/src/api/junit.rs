//! JUnit XML from CI into test cases, through the `junit-parser` crate.

use governance::test_run::{CaseStatus, TestCase};
use governance::FieldError;

/// Parses a JUnit report (`<testsuites>` or a single `<testsuite>`), nested suites included.
pub fn parse(xml: &str) -> Result<Vec<TestCase>, FieldError> {
    let suites = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes()))
        .map_err(|e| FieldError::new("junit_xml", format!("is not valid JUnit XML: {e}")))?;
    let mut cases = Vec::new();
    let mut stack: Vec<&junit_parser::TestSuite> = suites.suites.iter().collect();
    while let Some(suite) = stack.pop() {
        for case in &suite.cases {
            let (status, message) = match &case.status {
                junit_parser::TestStatus::Success => (CaseStatus::Passed, String::new()),
                junit_parser::TestStatus::Failure(f) => (CaseStatus::Failed, join(&f.message, &f.text)),
                junit_parser::TestStatus::Error(e) => (CaseStatus::Errored, join(&e.message, &e.text)),
                junit_parser::TestStatus::Skipped(s) => (CaseStatus::Skipped, join(&s.message, &s.text)),
            };
            // The case's own class name when it has one (what test runners group by), else its suite's name;
            // the name as written (the parser's `name` prefixes the class name).
            let class = case.classname.as_deref().map(str::trim).filter(|c| !c.is_empty());
            cases.push(TestCase {
                suite: class.unwrap_or(&suite.name).to_string(),
                name: case.original_name.clone(),
                status,
                duration_ms: (case.time.max(0.0) * 1000.0).round() as u64,
                message: message.chars().take(4000).collect(),
            });
        }
        stack.extend(suite.suites.iter());
    }
    // Suites were walked as a stack; give the report's order back.
    cases.sort_by(|a, b| a.suite.cmp(&b.suite));
    Ok(cases)
}

fn join(message: &str, text: &str) -> String {
    match (message.trim(), text.trim()) {
        ("", t) => t.to_string(),
        (m, "") => m.to_string(),
        (m, t) => format!("{m}\n{t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_with_every_status_are_read() {
        let xml = r#"<?xml version="1.0"?>
            <testsuites>
              <testsuite name="smoke" tests="4">
                <testcase classname="endpoint.Smoke" name="invoke" time="0.25"/>
                <testcase name="schema" time="0.1"><failure message="expected 3 fields">got 2</failure></testcase>
                <testcase name="auth" time="0"><error message="timeout"/></testcase>
                <testcase name="gpu" time="0"><skipped/></testcase>
              </testsuite>
            </testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[0].status, CaseStatus::Passed);
        assert_eq!(cases[0].duration_ms, 250);
        // Named as written, grouped by class name when there is one, else by suite.
        assert_eq!((cases[0].suite.as_str(), cases[0].name.as_str()), ("endpoint.Smoke", "invoke"));
        assert_eq!((cases[1].suite.as_str(), cases[1].name.as_str()), ("smoke", "schema"));
        assert_eq!(cases[1].status, CaseStatus::Failed);
        assert_eq!(cases[1].message, "expected 3 fields\ngot 2");
        assert_eq!(cases[2].status, CaseStatus::Errored);
        assert_eq!(cases[3].status, CaseStatus::Skipped);
    }

    #[test]
    fn garbage_is_refused_with_the_field_named() {
        assert_eq!(parse("<testsuites><testsuite").unwrap_err().field, "junit_xml");
    }
}
