// sqlx::migrate! embeds each store's migrations at compile time: a new migration must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations_postgres");
}
