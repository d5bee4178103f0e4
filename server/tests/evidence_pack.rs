//! The evidence pack: exported from the version page's form for a seeded Prod version, kept as a file, verified
//! by the real `portal verify-evidence`, then edited one byte (or one entry) at a time, each edit named.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::evidence_pack::EXPORT_ACTION;
use governance::ports::Window;
use governance::{Principal, Subject};

/// Exports `version`'s pack as `format` (html or json) for the person behind `cookie`.
async fn export(app: &common::TestPortal, cookie: &str, version: &str, format: &str) -> (StatusCode, String) {
    app.send(
        Request::post(format!("/versions/{version}/evidence-pack"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(Body::from(format!("format={format}")))
            .unwrap(),
    )
    .await
}

/// Runs the real binary's `verify-evidence` on `text` kept as a file: exit status and what it printed.
fn verify_with_cli(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pack");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .arg("verify-evidence")
        .arg(&path)
        .env_remove("PORTAL_CONFIG")
        .output()
        .expect("the portal binary runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), said)
}

async fn audit_len(app: &common::TestPortal) -> u64 {
    app.portal.state.service.audit(&common::reader(), Window::new(0, 1)).await.unwrap().0.total
}

#[tokio::test]
async fn a_prod_version_s_dossier_verifies_and_every_edit_is_named() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let prod = app.version("pd-model", 1, true).await;
    let before = audit_len(&app).await;

    let (status, dossier) = export(&app, &gina, prod.id.as_str(), "html").await;
    assert_eq!(status, StatusCode::OK, "{dossier}");
    // What a reviewer reads: the headings, the Prod sign-off with who, persona and why, the Dev approval of the
    // Dev source, the integration test cases, thresholds with results, monitoring.
    for expected in [
        "Evidence pack: pd-model v1 (Credit risk)",
        "1. General description",
        "Annex IV §1 · SR 11-7: model purpose and use",
        "7. Decisions and human oversight",
        "Gina Governance (gina)",
        "Governance Engineer",
        "All gates met; latency well inside budget.",
        "Dana Scientist (dana)",
        "auc ≥ 0.75",
        "6. Post-market monitoring",
        "9. Integrity",
    ] {
        assert!(dossier.contains(expected), "the dossier shows {expected:?}");
    }
    assert!(dossier.contains("<td>Passed</td>") || dossier.contains("<td>Failed</td>"), "test cases are listed");
    assert!(!dossier.contains("<script>") && !dossier.contains("style="), "no script, no inline style attribute");

    // The export is an audit entry of its own, on the version, by gina; the chain still verifies.
    let (page, verification) = app.portal.state.service.audit(&common::reader(), Window::new(0, 1)).await.unwrap();
    assert_eq!(page.total, before + 1);
    let entry = &page.items[0];
    assert_eq!((entry.record.action.as_str(), entry.record.target.as_str()), (EXPORT_ACTION, prod.id.as_str()));
    assert_eq!(entry.record.actor, Subject("gina".into()));
    assert_eq!(verification.broken, None);
    assert!(dossier.contains(&format!("audit entry #{}", entry.seq)) && dossier.contains(&entry.hash));

    // Kept as a file and verified by the real command.
    let (code, said) = verify_with_cli(&dossier);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains(&format!("verified: the evidence pack of version {}", prod.id)), "{said}");
    assert!(said.contains(&format!("export entry #{} with hash {}", entry.seq, entry.hash)), "{said}");

    // One byte of the Prod sign-off's justification, where the embedded pack keeps it in the decision's audit
    // entry: that entry is named.
    let json_start = dossier.find("<script type=\"application/json\"").unwrap();
    let (page_part, json_part) = dossier.split_at(json_start);
    let (contents_part, audit_part) = json_part.split_at(json_part.find("\"audit\": [").unwrap());
    let forged =
        format!("{page_part}{contents_part}{}", audit_part.replacen("latency well inside", "latency well outside", 1));
    let (code, said) = verify_with_cli(&forged);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("NOT VERIFIED: audit entry #") && said.contains("(decision.approve on"), "{said}");

    // One byte of a test case in the pack's contents: the section is named.
    let case = prod_test_case_name(&dossier);
    let forged = format!(
        "{page_part}{}",
        json_part.replacen(&format!("\"name\": \"{case}\""), &format!("\"name\": \"{case}x\""), 1)
    );
    let (code, said) = verify_with_cli(&forged);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("the section `contents.test_runs` was changed after export"), "{said}");

    // One byte of the page a reviewer reads, the pack left alone: the place is named.
    let forged = dossier.replacen("All gates met", "All gates mot", 1);
    let (code, said) = verify_with_cli(&forged);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("the dossier's page was changed after export") && said.contains("line 1, column"), "{said}");

    // No pack in it at all.
    let (code, said) = verify_with_cli(&dossier[..json_start]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("carries no evidence pack"), "{said}");
}

/// The name of a test case of the dossier's first test run (read from the embedded pack).
fn prod_test_case_name(dossier: &str) -> String {
    let pack = pack_of(dossier);
    pack["contents"]["test_runs"][0]["cases"][0]["name"].as_str().expect("the Prod version has a test case").to_string()
}

fn pack_of(dossier: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"evidence-pack\">";
    let start = dossier.find(open).unwrap() + open.len();
    let end = dossier[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&dossier[start..end]).unwrap()
}

#[tokio::test]
async fn a_json_pack_verifies_and_removed_added_or_rehashed_entries_are_found() {
    let app = common::spawn().await;
    let hugo = app.sign_in("hugo").await;
    let prod = app.version("pd-model", 1, true).await;
    let (status, json) = export(&app, &hugo, prod.id.as_str(), "json").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (code, said) = verify_with_cli(&json);
    assert_eq!(code, 0, "{said}");
    let pack: serde_json::Value = serde_json::from_str(&json).unwrap();
    let entries = pack["audit"].as_array().unwrap();
    assert!(entries.len() >= 3, "registration, Dev approval, Test approval, Prod sign-off: {}", entries.len());
    assert!(
        entries.iter().any(|e| e["record"]["action"] == "decision.approve"
            && e["record"]["target"] != serde_json::Value::String(prod.id.to_string())),
        "the Dev source's decisions are in the pack too"
    );

    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = pack.clone();
        edit(&mut v);
        verify_with_cli(&serde_json::to_string_pretty(&v).unwrap())
    };
    // An entry left out (a rejection hidden, say).
    let first = entries[0]["seq"].as_u64().unwrap();
    let (code, said) = edited(&|v| {
        v["audit"].as_array_mut().unwrap().remove(0);
    });
    assert_eq!(code, 1);
    assert!(
        said.contains(&format!("audit entry #{first} was recorded in the pack at export and is missing")),
        "{said}"
    );

    // An entry's content changed and its hash recomputed, as a forger would: it is no longer the entry the
    // export recorded.
    let (code, said) = edited(&|v| {
        let entry = &mut v["audit"][0];
        let mut typed: governance::audit::AuditEntry = serde_json::from_value(entry.clone()).unwrap();
        typed.record.actor = Subject("mallory".into());
        let resealed = governance::audit::AuditEntry::seal(typed.seq, &typed.prev_hash, typed.record);
        *entry = serde_json::to_value(resealed).unwrap();
    });
    assert_eq!(code, 1);
    assert!(
        said.contains(&format!("audit entry #{first} was recorded in the pack at export and is missing")),
        "{said}"
    );

    // A field added to a section.
    let (code, said) = edited(&|v| {
        v["contents"]["version"]["note"] = serde_json::json!("approved by the board");
    });
    assert_eq!(code, 1);
    assert!(said.contains("the section `contents.version` was changed after export"), "{said}");

    // The export entry itself.
    let (code, said) = edited(&|v| {
        v["export"]["record"]["actor"] = serde_json::json!("mallory");
    });
    assert_eq!(code, 1);
    assert!(said.contains("the export entry #") && said.contains("was changed"), "{said}");

    // Not a pack; not JSON; no file.
    let (code, said) = verify_with_cli("{\"format\": \"something else\"}");
    assert_eq!(code, 1);
    assert!(said.contains("this is not an evidence pack"), "{said}");
    let (code, said) = verify_with_cli("not json");
    assert_eq!(code, 1);
    assert!(said.contains("not JSON"), "{said}");
}

#[tokio::test]
async fn markup_in_the_evidence_stays_text_in_the_dossier_and_in_its_pack() {
    let app = common::spawn().await;
    let hostile = "</script><script>alert(1)</script><b onmouseover=x>bold</b>";
    let body = serde_json::json!({
        "model_group": "pd-model",
        "artifact_uri": "s3://models/pd/hostile.tar.gz",
        "container_image": "pd:latest",
        "description": hostile,
    });
    let (status, created) = app
        .send(
            Request::post("/api/v1/projects/credit-risk/versions")
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = serde_json::from_str::<serde_json::Value>(&created).unwrap()["id"].as_str().unwrap().to_string();
    let dana = app.sign_in("dana").await;
    let (status, dossier) = export(&app, &dana, &id, "html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!dossier.contains("<script>alert(1)"), "the markup is not markup");
    assert!(!dossier.contains("<b onmouseover"), "the markup is not markup");
    assert!(dossier.contains("&lt;/script&gt;&lt;script&gt;alert(1)"), "it reads as the text it is");
    // One pack block, closed where the portal closed it, holding the text as it was typed.
    assert_eq!(dossier.matches("</script>").count(), 1);
    assert_eq!(pack_of(&dossier)["contents"]["version"]["description"], hostile);
    let (code, said) = verify_with_cli(&dossier);
    assert_eq!(code, 0, "{said}");
}

#[tokio::test]
async fn only_people_of_the_project_export_and_a_refused_export_records_nothing() {
    let app = common::spawn().await;
    let prod = app.version("pd-model", 1, true).await;
    let before = audit_len(&app).await;

    // Someone signed in who holds no persona in the project.
    let outsider = Principal::from_grants(Subject("olga".into()), "Olga Outsider", Default::default());
    let refused = app.portal.state.service.export_evidence_pack(&outsider, &prod.id).await;
    assert!(matches!(refused, Err(governance::service::ServiceError::Denied(_))), "{refused:?}");

    // Nobody signed in; a format the portal does not make; a version that does not exist.
    let (status, _) = app
        .send(
            Request::post(format!("/versions/{}/evidence-pack", prod.id))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(Body::from("format=html"))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let gina = app.sign_in("gina").await;
    let (status, said) = export(&app, &gina, prod.id.as_str(), "pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(said.contains("format: expected html or json, got \"pdf\""), "{said}");
    let (status, said) = export(&app, &gina, "no-such-version", "html").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{said}");
    // From another site (a crafted form elsewhere): refused before anything is read.
    let (status, _) = app
        .send(
            Request::post(format!("/versions/{}/evidence-pack", prod.id))
                .header("cookie", &gina)
                .header("origin", "https://evil.example")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("format=html"))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(audit_len(&app).await, before, "no refused export left an audit entry");
}
