//! `sqlx::migrate!` embeds the migration files at compile time: a new or changed migration
//! must rebuild the crate (without this, cargo would keep the previous set).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
