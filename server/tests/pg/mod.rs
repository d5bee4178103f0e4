//! PostgreSQL for the tests: the server the test command started (`PORTAL_TEST_POSTGRES_URL`), else one this
//! test binary starts with `scripts/postgres.sh` (it stops by itself when the binary exits). Each caller gets
//! a database of its own.

#![allow(dead_code)]

use std::sync::OnceLock;

/// The server's `postgres` database URL.
fn server() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("PORTAL_TEST_POSTGRES_URL") {
            return url;
        }
        let dir = std::env::temp_dir().join(format!("portal-test-postgres-{}", std::process::id()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/postgres.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg("start")
            .arg(&dir)
            .arg("")
            .arg(std::process::id().to_string())
            .output()
            .expect("run scripts/postgres.sh");
        assert!(out.status.success(), "PostgreSQL did not start: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().last().expect("the server's URL").trim().to_string()
    })
}

/// A new, empty database on the server, and its URL.
pub async fn database() -> String {
    use sqlx::Connection;
    let admin = server().to_string();
    let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&admin).await.expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut connection).await.expect("create a database");
    let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
    format!("{base}/{name}")
}

/// The PostgreSQL store on a new database, delivering to `targets`.
pub async fn store(targets: Vec<String>) -> server::store::Store {
    let options = server::postgres::PostgresOptions {
        url: database().await,
        max_connections: 10,
        statement_timeout: std::time::Duration::from_secs(30),
    };
    server::postgres::PostgresStore::open(&options, targets).await.expect("open the PostgreSQL store").into()
}
