//! JUnit XML from CI into test cases: an iterative reader over `quick-xml` events, bounded in nesting, case
//! count and text length, so no report can exhaust the stack or the memory of the portal. Text is kept as sent:
//! entities are decoded once (`&gt;` is `>`), CDATA is taken as it is, nothing is dropped.

use governance::test_run::{CaseStatus, TestCase};
use governance::FieldError;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

/// How deep suites and elements may nest. Real reports nest a few levels (testsuites > testsuite > testcase >
/// failure); 32 leaves room for nested suites and stops a report built to exhaust the stack.
pub const MAX_DEPTH: usize = 32;
/// How many cases one report may hold (as the service allows).
pub const MAX_CASES: usize = 10_000;
/// The longest failure message, error or skip reason kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 64 * 1024;
/// The longest suite, class or case name, in characters.
pub const MAX_NAME_CHARS: usize = 1_000;

fn invalid(why: impl std::fmt::Display) -> FieldError {
    FieldError::new("junit_xml", format!("is not valid JUnit XML: {why}"))
}

fn limit(what: String) -> FieldError {
    FieldError::new("junit_xml", what)
}

/// The case being read, until its end tag.
struct OpenCase {
    suite: String,
    name: String,
    classname: Option<String>,
    duration_ms: u64,
    status: CaseStatus,
    message: String,
    /// Inside `<failure>`, `<error>` or `<skipped>`: their text joins the message.
    in_status: Option<usize>,
}

impl OpenCase {
    fn finish(self) -> Result<TestCase, FieldError> {
        let message = self.message.trim().to_string();
        if message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(limit(format!(
                "has a message of case {} longer than {MAX_MESSAGE_CHARS} characters (the limit)",
                self.name
            )));
        }
        let class = self.classname.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        Ok(TestCase {
            suite: class.unwrap_or(self.suite),
            name: self.name,
            status: self.status,
            duration_ms: self.duration_ms,
            message,
        })
    }
}

fn attribute(element: &BytesStart, key: &str) -> Result<Option<String>, FieldError> {
    for attr in element.attributes() {
        let attr = attr.map_err(invalid)?;
        if attr.key.as_ref() == key {
            let value = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(invalid)?;
            if value.chars().count() > MAX_MESSAGE_CHARS {
                return Err(limit(format!("has a {key} longer than {MAX_MESSAGE_CHARS} characters (the limit)")));
            }
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

fn name(element: &BytesStart, key: &str) -> Result<String, FieldError> {
    let value = attribute(element, key)?.unwrap_or_default();
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(limit(format!("has a {key} longer than {MAX_NAME_CHARS} characters (the limit)")));
    }
    Ok(value)
}

/// `&lt;` and the other predefined entities, and character references; nothing else (no DTD is read).
fn resolve(reference: &BytesRef) -> Result<String, FieldError> {
    if let Some(c) = reference.resolve_char_ref().map_err(invalid)? {
        return Ok(c.to_string());
    }
    let name: &str = reference;
    quick_xml::escape::resolve_predefined_entity(name)
        .map(str::to_string)
        .ok_or_else(|| invalid(format!("unknown entity &{name};")))
}

fn status_of(tag: &str) -> Option<CaseStatus> {
    match tag {
        "failure" => Some(CaseStatus::Failed),
        "error" => Some(CaseStatus::Errored),
        "skipped" => Some(CaseStatus::Skipped),
        _ => None,
    }
}

/// Parses a JUnit report (`<testsuites>` or a single `<testsuite>`), nested suites included.
///
/// # Errors
/// A [`FieldError`] on `junit_xml` saying what is wrong, or which limit the report passes.
pub fn parse(xml: &str) -> Result<Vec<TestCase>, FieldError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut depth = 0usize;
    let mut suites: Vec<String> = Vec::new();
    let mut case: Option<OpenCase> = None;
    let mut cases: Vec<TestCase> = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(invalid)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(limit(format!("nests elements deeper than {MAX_DEPTH} levels (the limit)")));
                    }
                }
                let tag = e.name();
                match tag.as_ref() {
                    "testsuites" | "testsuite" if case.is_none() => {
                        seen_root = true;
                        if tag.as_ref() == "testsuite" && !empty {
                            suites.push(name(e, "name")?);
                        }
                    }
                    "testcase" if case.is_none() => {
                        if cases.len() >= MAX_CASES {
                            return Err(limit(format!("contains more than {MAX_CASES} test cases (the limit)")));
                        }
                        let time = attribute(e, "time")?
                            .and_then(|t| t.trim().parse::<f64>().ok())
                            .filter(|t| t.is_finite())
                            .unwrap_or(0.0);
                        let open = OpenCase {
                            suite: suites.last().cloned().unwrap_or_default(),
                            name: name(e, "name")?,
                            classname: Some(name(e, "classname")?),
                            duration_ms: (time.clamp(0.0, 1e12) * 1000.0).round() as u64,
                            status: CaseStatus::Passed,
                            message: String::new(),
                            in_status: None,
                        };
                        if empty {
                            cases.push(open.finish()?);
                        } else {
                            case = Some(open);
                        }
                    }
                    other => {
                        if let (Some(open), Some(status)) = (case.as_mut(), status_of(other)) {
                            open.status = status;
                            if let Some(message) = attribute(e, "message")? {
                                open.message.push_str(message.trim());
                            }
                            if !empty {
                                open.in_status = Some(depth);
                                if !open.message.is_empty() {
                                    open.message.push('\n');
                                }
                            }
                        } else if !seen_root && case.is_none() {
                            return Err(invalid(format!(
                                "the report starts with <{}>, not <testsuites> or <testsuite>",
                                other
                            )));
                        }
                    }
                }
            }
            Event::End(ref e) => {
                match e.name().as_ref() {
                    "testcase" => {
                        if let Some(open) = case.take() {
                            cases.push(open.finish()?);
                        }
                    }
                    "testsuite" if case.is_none() => {
                        suites.pop();
                    }
                    _ => {
                        if let Some(open) = case.as_mut().filter(|c| c.in_status == Some(depth)) {
                            open.in_status = None;
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(ref t) => {
                if let Some(open) = case.as_mut().filter(|c| c.in_status.is_some()) {
                    open.message.push_str(&t.xml10_content());
                }
            }
            Event::CData(ref t) => {
                if let Some(open) = case.as_mut().filter(|c| c.in_status.is_some()) {
                    open.message.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(ref r) => {
                let text = resolve(r)?;
                if let Some(open) = case.as_mut().filter(|c| c.in_status.is_some()) {
                    open.message.push_str(&text);
                }
            }
            // A DTD could declare entities that expand without bound: a report has none.
            Event::DocType(_) => return Err(invalid("a DOCTYPE is not accepted")),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
        if let Some(open) = case.as_ref() {
            if open.message.len() > 4 * MAX_MESSAGE_CHARS {
                return Err(limit(format!(
                    "has a message of case {} longer than {MAX_MESSAGE_CHARS} characters (the limit)",
                    open.name
                )));
            }
        }
    }
    if depth != 0 || case.is_some() {
        return Err(invalid("the report ends before its elements are closed"));
    }
    if !seen_root {
        return Err(invalid("there is no <testsuites> or <testsuite> element"));
    }
    // Grouped by suite, in the report's order within each.
    cases.sort_by(|a, b| a.suite.cmp(&b.suite));
    Ok(cases)
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
        for xml in ["<testsuites><testsuite", "", "<html/>", "not xml at all", "<testsuite><testcase name='a'>"] {
            assert_eq!(parse(xml).unwrap_err().field, "junit_xml", "{xml:?}");
        }
    }

    #[test]
    fn text_is_kept_as_sent_with_entities_decoded_once() {
        let xml = "<testsuite name=\"s\"><testcase name=\"a &amp; b\"><failure message=\"expected auc &gt;= 0.75\">\
                   got &lt;b&gt;0.7&lt;/b&gt; &amp;amp; &#x1F600; \u{202E}rtl<![CDATA[ <raw> & \"quotes\" ]]>\nline two\
                   </failure></testcase></testsuite>";
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].name, "a & b");
        assert_eq!(
            cases[0].message,
            "expected auc >= 0.75\ngot <b>0.7</b> &amp; \u{1F600} \u{202E}rtl <raw> & \"quotes\" \nline two"
        );
    }

    #[test]
    fn limits_are_named_and_a_deep_report_cannot_exhaust_the_stack() {
        let deep = format!("{}{}", "<testsuite name=\"x\">".repeat(100_000), "</testsuite>".repeat(100_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("deeper than 32"), "{}", e.message);
        let many = format!("<testsuite>{}</testsuite>", "<testcase name=\"c\"/>".repeat(MAX_CASES + 1));
        assert!(parse(&many).unwrap_err().message.contains("more than 10000 test cases"));
        let long = format!(
            "<testsuite><testcase name=\"c\"><failure>{}</failure></testcase></testsuite>",
            "x".repeat(MAX_MESSAGE_CHARS + 1)
        );
        assert!(parse(&long).unwrap_err().message.contains("longer than 65536 characters"));
        let bomb = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><testsuite><testcase name=\"&a;\"/></testsuite>";
        assert!(parse(bomb).unwrap_err().message.contains("DOCTYPE"));
        assert!(parse("<testsuite><testcase name=\"&nope;\"/></testsuite>").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Text XML can carry: any character but the controls XML 1.0 forbids (and CR, which XML turns into LF).
        fn xml_text() -> impl Strategy<Value = String> {
            proptest::collection::vec(any::<char>(), 0..200).prop_map(|chars| {
                chars
                    .into_iter()
                    .filter(|c| matches!(c, '\t' | '\n') || (!c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}')))
                    .collect()
            })
        }

        fn escape(text: &str) -> String {
            text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Whatever arrives, the parser answers: cases or a refusal, never a panic.
            #[test]
            fn any_input_is_answered_without_a_panic(input in ".{0,2000}") {
                let _ = parse(&input);
            }

            /// Markup-shaped garbage too: random tags, nesting, entities and CDATA.
            #[test]
            fn markup_shaped_input_is_answered_without_a_panic(parts in proptest::collection::vec(prop_oneof![
                Just("<testsuite name=\"s\">".to_string()), Just("</testsuite>".to_string()),
                Just("<testcase name=\"c\">".to_string()), Just("</testcase>".to_string()),
                Just("<failure message=\"m\">".to_string()), Just("</failure>".to_string()),
                Just("<testcase name=\"e\"/>".to_string()), Just("&lt;".to_string()), Just("&bogus;".to_string()),
                Just("<![CDATA[x]]>".to_string()), Just("<!DOCTYPE x>".to_string()), ".{0,20}",
            ], 0..400)) {
                let _ = parse(&parts.concat());
            }

            /// A case's name and failure text come back exactly as sent, whatever characters they hold.
            #[test]
            fn names_and_messages_round_trip(name in xml_text(), message in xml_text()) {
                // Attribute values turn tabs and newlines into spaces (XML's rule): names carry neither.
                let name: String = name.chars().filter(|c| !matches!(c, '\t' | '\n')).collect();
                let xml = format!(
                    "<testsuite name=\"s\"><testcase name=\"{}\"><failure>{}</failure></testcase></testsuite>",
                    escape(&name), escape(&message)
                );
                let cases = parse(&xml).expect("a well-formed report");
                prop_assert_eq!(&cases[0].name, &name);
                prop_assert_eq!(&cases[0].message, message.trim());
            }

            /// Nesting past the limit is refused, within it accepted, at any depth asked.
            #[test]
            fn nesting_is_bounded(depth in 1usize..200) {
                let xml = format!("{}<testcase name=\"c\"/>{}", "<testsuite name=\"s\">".repeat(depth), "</testsuite>".repeat(depth));
                let parsed = parse(&xml);
                if depth <= MAX_DEPTH {
                    prop_assert_eq!(parsed.map(|c| c.len()).ok(), Some(1));
                } else {
                    prop_assert!(parsed.unwrap_err().message.contains("deeper than 32"));
                }
            }
        }
    }
}
