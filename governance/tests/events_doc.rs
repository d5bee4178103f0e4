//! docs/events.md stays true: every event type has its section, and every example envelope there reads back
//! as the event it claims to be.

use governance::events::{EventEnvelope, PromotionEvent};
use governance::path_events::PathEvent;

const DOC: &str = include_str!("../../docs/events.md");

#[test]
fn every_event_type_is_documented_with_an_example_that_parses() {
    for t in PromotionEvent::TYPES {
        assert!(DOC.contains(&format!("### {t}")), "docs/events.md has no section for {t}");
    }
    let mut examples = Vec::new();
    for block in DOC.split("```json").skip(1) {
        let json = block.split("```").next().unwrap_or_default();
        if json.contains("\"detail-type\"") {
            let envelope: EventEnvelope =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("example does not parse ({e}):\n{json}"));
            let detail_type = PromotionEvent::from_envelope(&envelope)
                .map(|e| e.detail_type())
                .or_else(|| PathEvent::from_envelope(&envelope).map(|e| e.detail_type()))
                .unwrap_or_else(|| panic!("example's detail does not match {}:\n{json}", envelope.detail_type));
            assert_eq!(detail_type, envelope.detail_type);
            examples.push(envelope.detail_type);
        }
    }
    for t in governance::ledger_filters::event_types() {
        assert!(DOC.contains(&format!("### {t}")), "docs/events.md has no section for {t}");
        assert!(examples.iter().any(|e| e == t), "no example envelope of {t}");
    }
}
