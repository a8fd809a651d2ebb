//! End-to-end: the real `intake` binary, a real Chromium, SQLite and PostgreSQL.

mod support;

use anyhow::Result;
use support::{Browser, Server, fixture};

/// The whole slice by hand: sign in, Import, choose a file, see the preview, import, and
/// find the customers in the list.
async fn import_small_file_through_the_browser(server: &Server, tag: &str) -> Result<()> {
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.screenshot(&format!("{tag}-01-customers-empty")).await?;

        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import customers via CSV").await?;
        let csv = "first_name,last_name,email\nAda,Lovelace,ada@example.com\nGrace,Hopper,GRACE@Example.com\n";
        let path = fixture(server.dir.path(), "customers.csv", csv.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;

        // The preview shows the rows as they will be imported (emails normalised).
        browser.wait_for_text("ada@example.com").await?;
        browser.wait_for_text("grace@example.com").await?;
        browser.screenshot(&format!("{tag}-02-import-preview")).await?;

        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser.screenshot(&format!("{tag}-03-import-done")).await?;

        browser.by_name("See the imported customers").await?.click().await?;
        browser.wait_for_text("ada@example.com").await?;
        browser.wait_for_text("grace@example.com").await?;
        browser.wait_for_text("Ada Lovelace").await?;
        browser.screenshot(&format!("{tag}-04-customers-imported")).await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

#[tokio::test]
async fn a_csv_imported_in_the_browser_lists_its_customers_on_sqlite() -> Result<()> {
    let server = Server::start(None).await?;
    import_small_file_through_the_browser(&server, "sqlite").await
}

#[tokio::test]
async fn a_csv_imported_in_the_browser_lists_its_customers_on_postgres() -> Result<()> {
    let Some(url) = postgres_database("e2e_slice").await? else {
        return Ok(());
    };
    let server = Server::start(Some(url)).await?;
    import_small_file_through_the_browser(&server, "postgres").await
}

/// A fresh database on the throwaway cluster `cargo xtask test` starts; None (the test is
/// skipped) only when no cluster was given and none is required.
async fn postgres_database(name: &str) -> Result<Option<String>> {
    let Ok(base) = std::env::var("INTAKE_TEST_POSTGRES_URL") else {
        if std::env::var("INTAKE_REQUIRE_POSTGRES").is_ok() {
            anyhow::bail!("INTAKE_REQUIRE_POSTGRES is set but INTAKE_TEST_POSTGRES_URL is not");
        }
        eprintln!("skipping the PostgreSQL run: INTAKE_TEST_POSTGRES_URL is not set");
        return Ok(None);
    };
    let db = format!("{name}_{}", std::process::id());
    let status = std::process::Command::new("psql")
        .arg(&base)
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            &format!("DROP DATABASE IF EXISTS {db}"),
            "-c",
            &format!("CREATE DATABASE {db}"),
        ])
        .status()?;
    anyhow::ensure!(status.success(), "creating the test database {db} failed");
    let (prefix, _) = base.rsplit_once('/').unwrap_or((&base, ""));
    Ok(Some(format!("{prefix}/{db}")))
}
