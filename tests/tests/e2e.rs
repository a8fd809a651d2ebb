//! End-to-end: the real `intake` binary, a real Chromium, SQLite and PostgreSQL.

use anyhow::Result;
use tests::harness::{Browser, Server, fixture};

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

/// A file of several batches (the worker keeps two at the server at once): every row
/// arrives once, and the import's counters say so.
#[tokio::test]
async fn a_file_of_several_batches_arrives_whole() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Import").await?.click().await?;
        // 4,321 rows: four whole batches of 1,000 and a part.
        let mut csv = String::from("first_name,last_name,email\n");
        for i in 0..4321 {
            csv.push_str(&format!("Name{i},Family{i},row{i}@example.com\n"));
        }
        let path = fixture(server.dir.path(), "batches.csv", csv.as_bytes());
        browser
            .by_label("CSV file")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser.wait_for_text("row0@example.com").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        let counter =
            |n: &str, label: &str| format!("//div[strong='{n}' and contains(., '{label}')]");
        browser
            .wait_for(fantoccini::Locator::XPath(&counter("4,321", "Created")))
            .await?;
        browser
            .wait_for(fantoccini::Locator::XPath(&counter("0", "Failed")))
            .await?;
        browser
            .wait_for(fantoccini::Locator::XPath(&counter("0", "Skipped")))
            .await?;
        browser.screenshot("batches-01-done").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// Switch the UI to Bulgarian, then import what Bulgarian Excel saves: Windows-1251,
/// semicolons, no header line.
#[tokio::test]
async fn a_bulgarian_excel_file_without_header_imports_in_the_bulgarian_ui() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_label("Language").await?.select_by_value("bg").await?;
        browser.wait_for_text("Клиенти").await?;
        browser.by_name("Импортирай").await?.click().await?;
        let text = "Иван;Петров;ivan@example.com;да\r\nМария;Иванова;maria@example.com;не\r\nПетър;Георгиев;petar@example.com;да\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let path = fixture(server.dir.path(), "klienti.csv", &bytes);
        browser.by_label("CSV файл").await?.send_keys(&path.display().to_string()).await?;
        browser.wait_for_text("Мария").await?;
        // What was detected is shown: the encoding, the delimiter, no header line.
        let source = browser.client.source().await?;
        assert!(source.contains("windows-1251"), "the detected encoding is shown");
        let header = browser.by_label("Файлът има описателен ред на колоните").await?;
        assert_eq!(header.prop("checked").await?.as_deref(), Some("false"));
        browser.screenshot("bg-01-import-preview").await?;
        browser.by_name("Импортирай").await?.click().await?;
        browser.wait_for_text("Импортирането завърши").await?;
        browser.by_name("Вижте импортираните клиенти").await?.click().await?;
        browser.wait_for_text("Мария Иванова").await?;
        browser.wait_for_text("petar@example.com").await?;
        browser.screenshot("bg-02-customers").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// In the Bulgarian UI, validation problems read in Bulgarian (from their code and params):
/// in the preview, in the whole-file check's list and in its problems CSV; no English
/// sentence is left.
#[tokio::test]
async fn validation_messages_are_bulgarian_in_the_bulgarian_ui() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_label("Language").await?.select_by_value("bg").await?;
        browser.wait_for_text("Клиенти").await?;
        browser.by_name("Импортирай").await?.click().await?;
        let text = "Email,First Name,Accepts Email Marketing\nbroken,Ivan,yes\nana@example.com,Ana,yes\nana@example.com,Ana,yes\nbob@example.com,Bob,maybe\n";
        let path = fixture(server.dir.path(), "problems.csv", text.as_bytes());
        browser.by_label("CSV файл").await?.send_keys(&path.display().to_string()).await?;
        let invalid = "Имейлът „broken“ не е валиден адрес: в него няма @.";
        browser.wait_for_text(invalid).await?;
        browser.by_name("Провери целия файл").await?.click().await?;
        for wanted in [
            invalid,
            "Съгласието за маркетинг трябва да е „да“ или „не“",
            "Имейлът ana@example.com се среща отново на ред 4",
        ] {
            browser
                .wait_for(fantoccini::Locator::XPath(&format!(
                    "//section//ul/li[starts-with(normalize-space(), 'Ред ') and contains(., '{wanted}')]"
                )))
                .await?;
        }
        browser.screenshot("bg-03-problems").await?;
        let source = browser.client.source().await?;
        for english in ["is not a valid address", "Accepts marketing must", "appears again"] {
            anyhow::ensure!(!source.contains(english), "English on the Bulgarian page: {english}");
        }
        browser.by_name("Изтеглете списъка с проблеми").await?.click().await?;
        let got = String::from_utf8(browser.downloaded("problems.csv").await?)?;
        anyhow::ensure!(got.contains(invalid) && !got.contains("is not a valid"), "{got}");
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// Invalid cells are corrected inline before importing; a second file updates existing
/// customers; Queue jobs lists both jobs, and undoing the second restores the first state.
#[tokio::test]
async fn rows_fixed_inline_then_an_update_import_then_undo_from_queue_jobs() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Import").await?.click().await?;
        let first = "Email,First Name,Last Name,Accepts Email Marketing\nada@example.com,Ada,Lovelace,yes\nbroken-at-example.com,Grace,Hopper,maybe\n";
        let path = fixture(server.dir.path(), "first.csv", first.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;
        // Line 3 has two bad cells: fix both in the preview.
        let email = browser.by_label("Line 3, Email address").await?;
        email.clear().await?;
        email.send_keys("grace@example.com\t").await?;
        let consent = browser.by_label("Line 3, Accepts marketing").await?;
        consent.clear().await?;
        consent.send_keys("no\t").await?;
        browser.screenshot("fix-01-inline").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser.wait_for_count(2, "Created").await?;
        browser.wait_for_count(0, "Failed").await?;

        browser.client.goto(&format!("{}/customers/import", server.url)).await?;
        let second = "Email,First Name,Last Name,Note\nada@example.com,Augusta Ada,King,Countess\nalan@example.com,Alan,Turing,\n";
        let path = fixture(server.dir.path(), "second.csv", second.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;
        browser.wait_for_text("alan@example.com").await?;
        browser.by_label("When an email already exists").await?.select_by_value("update").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser.wait_for_count(1, "Updated").await?;
        browser.wait_for_count(1, "Created").await?;
        browser.client.goto(&format!("{}/customers", server.url)).await?;
        browser.wait_for_text("Augusta Ada King").await?;

        browser.by_name("Queue jobs").await?.click().await?;
        browser.wait_for_text("Customer import #2").await?;
        browser.wait_for_text("Customer import #1").await?;
        browser.screenshot("fix-02-queue-jobs").await?;
        // The newest job is first: undo it.
        browser.by_name("Undo").await?.click().await?;
        browser.wait_for_text("Undone").await?;
        browser.client.goto(&format!("{}/customers", server.url)).await?;
        browser.wait_for_text("Ada Lovelace").await?;
        let source = browser.client.source().await?;
        assert!(!source.contains("alan@example.com"), "the customer the undone import created is gone");
        browser.screenshot("fix-03-after-undo").await?;

        // The undone import's outcome report, downloaded from Queue jobs: each of its rows,
        // now undone.
        browser.by_name("Queue jobs").await?.click().await?;
        browser.by_name("Outcome of each row").await?.click().await?;
        let report = String::from_utf8(browser.downloaded("import-2-outcomes.csv").await?)?;
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "line,email,outcome,customer_id,error_code,error_message");
        assert_eq!(lines.len(), 3, "{report}");
        assert!(lines[1..].iter().all(|l| l.contains(",undone,")), "{report}");
        assert!(report.contains("alan@example.com"), "{report}");
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A group made on the Groups page and a new group made in the wizard; the customer list
/// filtered by group, and its Export link downloads exactly that set.
#[tokio::test]
async fn groups_and_the_filtered_export() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Customer groups").await?.click().await?;
        browser.by_label("New group name").await?.send_keys("Wholesale").await?;
        browser.by_name("Create group").await?.click().await?;
        browser.wait_for_text("Wholesale").await?;
        browser.screenshot("groups-01").await?;

        browser.by_name("Customers").await?.click().await?;
        browser.by_name("Import").await?.click().await?;
        let csv = "email;name\nvip1@example.com;Ana Bell\nvip2@example.com;=HYPERLINK(\"x\")\n";
        let path = fixture(server.dir.path(), "vip.csv", csv.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;
        browser.wait_for_text("vip1@example.com").await?;
        browser.by_label("Customer group the customers join").await?.select_by_value("new").await?;
        browser.by_label("Name of the new group").await?.send_keys("VIP").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;

        browser.client.goto(&format!("{}/customers/import", server.url)).await?;
        let other = "email\nplain@example.com\n";
        let path = fixture(server.dir.path(), "plain.csv", other.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;
        browser.wait_for_text("plain@example.com").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;

        browser.client.goto(&format!("{}/customers", server.url)).await?;
        browser.wait_for_text("plain@example.com").await?;
        browser.by_label("Customer group").await?.select_by_label("VIP").await?;
        browser.by_label("Export delimiter").await?.select_by_value("semicolon").await?;
        browser.wait_for(fantoccini::Locator::XPath("//tbody[count(tr)=2]")).await?;
        browser.screenshot("groups-02-filtered").await?;
        // Fetch what the Export link points at, with the page's session.
        let csv = browser
            .client
            .execute_async(
                "const done = arguments[0];
                 const a = [...document.querySelectorAll('a')].find(a => a.textContent.trim() === 'Export customers');
                 fetch(a.href).then(r => r.text()).then(done);",
                vec![],
            )
            .await?;
        let csv = csv.as_str().unwrap_or_default().to_owned();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "first_name;last_name;email;note;accepts_marketing;group;created_at", "{csv}");
        assert_eq!(lines.len(), 3, "only the VIP customers: {csv}");
        assert!(csv.contains("vip1@example.com") && csv.contains("vip2@example.com") && !csv.contains("plain@"), "{csv}");
        assert!(csv.contains("'=HYPERLINK"), "formulas are neutralised: {csv}");
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// One customer added, edited and deleted by hand; the server's validation shows in the form.
#[tokio::test]
async fn a_single_customer_is_added_edited_and_deleted() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Add customer").await?.click().await?;
        browser
            .by_label("First name")
            .await?
            .send_keys("Ivana")
            .await?;
        browser
            .by_label("Last name")
            .await?
            .send_keys("Petrova")
            .await?;
        browser
            .by_label("Email address")
            .await?
            .send_keys("ivana@example")
            .await?;
        browser.by_name("Save").await?.click().await?;
        browser
            .wait_for_text("The customer has invalid fields")
            .await?;
        let email = browser.by_label("Email address").await?;
        email.clear().await?;
        email.send_keys("Ivana@Example.com").await?;
        browser.by_name("Save").await?.click().await?;
        browser.wait_for_text("ivana@example.com").await?;
        browser.screenshot("crud-01-added").await?;

        browser
            .by_label("Edit ivana@example.com")
            .await?
            .click()
            .await?;
        browser
            .by_label("Note")
            .await?
            .send_keys("Prefers email")
            .await?;
        browser.by_name("Save").await?.click().await?;
        // The form closes once the server has the change.
        browser.wait_for_no_label("Note").await?;
        browser.click_label("Edit ivana@example.com").await?;
        let note = browser.by_label("Note").await?;
        assert_eq!(note.prop("value").await?.as_deref(), Some("Prefers email"));

        browser.by_name("Delete").await?.click().await?;
        browser.client.accept_alert().await?;
        browser.wait_for_text("No customers yet").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A number as the English UI shows it: 75,123.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "Check the whole file" on a file large enough to be checked in two parts at once (the
/// parse worker and its helper; 8 MiB and up), with emails that repeat from its first lines
/// to its last: the counts on screen, the problems listed and the problems CSV the page
/// links to are those of a one-pass check of the same bytes.
#[tokio::test]
async fn the_whole_file_check_of_a_large_file_counts_and_lists_every_problem() -> Result<()> {
    use shared::import::{FileCheck, default_decoders, detect};
    use shared::settings::ReadSettings;
    use shared::testdata::{GenOptions, Generator};

    let mut csv = Vec::new();
    let mut generator = Generator::new(GenOptions::default());
    generator.header(&mut csv);
    for i in 0..40 {
        csv.extend_from_slice(format!("Early,Row{i},early{i}@example.com,,yes,VIP\r\n").as_bytes());
    }
    while csv.len() < 9_000_000 {
        generator.rows(256, &mut csv);
    }
    for i in 0..40 {
        csv.extend_from_slice(format!("Late,Row{i},EARLY{i}@Example.com,,no,VIP\r\n").as_bytes());
    }

    // The expected answer: one pass over the bytes, every problem kept.
    let det = detect(
        &csv[..shared::import::SAMPLE_BYTES],
        &ReadSettings::default(),
    );
    let mut check = FileCheck::new(&det, default_decoders(), usize::MAX);
    check.push(&csv);
    check.finish();
    let (counts, problems) = check.into_result();
    assert!(counts.duplicates >= 40 && counts.invalid > 0, "{counts:?}");
    assert!(
        problems.len() > 50,
        "too few problems to test the list: {}",
        problems.len()
    );
    let mut expected_csv = Vec::new();
    shared::export::write_csv_record(
        &["line", "field", "code", "message"],
        b',',
        &mut expected_csv,
    );
    for (line, e) in &problems {
        shared::export::write_csv_record(
            &[
                &line.to_string(),
                e.field.as_str(),
                e.code.as_str(),
                &e.message,
            ],
            b',',
            &mut expected_csv,
        );
    }

    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Import").await?.click().await?;
        let path = fixture(server.dir.path(), "large.csv", &csv);
        browser
            .by_label("CSV file")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser.wait_for_text("early0@example.com").await?;
        browser
            .by_name("Check the whole file")
            .await?
            .click()
            .await?;
        for (n, label) in [
            (counts.rows, "Rows"),
            (counts.valid, "Valid"),
            (counts.invalid, "Invalid"),
            (counts.duplicates, "Duplicates"),
        ] {
            browser
                .wait_for(fantoccini::Locator::XPath(&format!(
                    "//div[strong='{}' and contains(., '{label}')]",
                    thousands(n)
                )))
                .await?;
        }
        browser.screenshot("check-01-counts").await?;

        // The first 50 problems are listed, starting with the first.
        let items = browser
            .client
            .find_all(fantoccini::Locator::XPath(
                "//section//ul/li[starts-with(normalize-space(), 'Line ')]",
            ))
            .await?;
        anyhow::ensure!(items.len() == 50, "{} problems listed, not 50", items.len());
        let (line, first) = &problems[0];
        let text = items[0].text().await?;
        anyhow::ensure!(
            text.contains(&format!("Line {line},")) && text.contains(&first.message),
            "the first problem listed is {text:?}, not line {line}: {}",
            first.message
        );

        // The link downloads all of them as CSV.
        browser
            .by_name("Download the list of problems")
            .await?
            .click()
            .await?;
        let got = browser.downloaded("problems.csv").await?;
        anyhow::ensure!(
            got == expected_csv,
            "the problems CSV differs: {} bytes, {} expected; starts {:?}",
            got.len(),
            expected_csv.len(),
            String::from_utf8_lossy(&got[..got.len().min(300)])
        );
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A mapping saved as a profile on the import page maps the next file with the same headers
/// (in another order) by itself; the profiles page renames and deletes it.
#[tokio::test]
async fn a_saved_mapping_profile_maps_the_next_file_with_the_same_headers() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser
            .client
            .goto(&format!("{}/customers/import", server.url))
            .await?;
        let first = "Name,Email,Code\nAna Petrova,one@example.com,X17\n";
        let path = fixture(server.dir.path(), "ledger-1.csv", first.as_bytes());
        browser
            .by_label("CSV file")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser.wait_for_text("one@example.com").await?;
        // `Code` is not imported: its column is in the folded list.
        browser
            .wait_for_text("Columns that are not imported")
            .await?
            .click()
            .await?;
        browser
            .by_label("Code")
            .await?
            .select_by_value("first_name")
            .await?;
        browser
            .by_label("Name")
            .await?
            .select_by_value("note")
            .await?;
        browser
            .by_label("Profile name")
            .await?
            .send_keys("Ledger")
            .await?;
        browser
            .by_name("Save this mapping as a profile")
            .await?
            .click()
            .await?;
        browser
            .wait_for_text("Saved: files with these headers will be mapped this way.")
            .await?;
        browser.screenshot("profiles-01-saved").await?;

        // Next month's file: the same headers in another order and case.
        browser
            .client
            .goto(&format!("{}/customers/import", server.url))
            .await?;
        let second = "code,EMAIL,name\nY18,two@example.com,Bob Stone\n";
        let path = fixture(server.dir.path(), "ledger-2.csv", second.as_bytes());
        browser
            .by_label("CSV file")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser
            .wait_for_text("Columns mapped with the saved profile")
            .await?;
        browser.wait_for_text("two@example.com").await?;
        browser.screenshot("profiles-02-applied").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser
            .by_name("See the imported customers")
            .await?
            .click()
            .await?;
        browser.wait_for_text("two@example.com").await?;
        browser.wait_for_text("Y18").await?;

        browser.by_name("Mapping profiles").await?.click().await?;
        browser.wait_for_text("Name, Email, Code").await?;
        browser.by_name("Rename Ledger").await?.click().await?;
        let name = browser.by_label("Name Ledger").await?;
        name.clear().await?;
        name.send_keys("Ledger 2026").await?;
        browser.by_name("Save").await?.click().await?;
        browser.wait_for_text("Ledger 2026").await?;
        browser.by_name("Delete Ledger 2026").await?.click().await?;
        browser.wait_for_text("No saved profiles yet").await?;
        browser.screenshot("profiles-03-deleted").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// An Excel workbook in the browser: the workbook worker reads it, the sheet picker chooses
/// the customers' sheet among two, and the rows import as a CSV's would.
#[tokio::test]
async fn an_excel_workbook_imports_the_sheet_chosen_in_the_browser() -> Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let summary = book.add_worksheet().set_name("Summary")?;
    summary.write_string(0, 0, "Customers exported from the old shop")?;
    let sheet = book.add_worksheet().set_name("Customers")?;
    for (col, header) in ["Email", "First Name", "Last Name", "Phone"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header)?;
    }
    sheet.write_string(1, 0, "ana@example.com")?;
    sheet.write_string(1, 1, "Ana")?;
    sheet.write_string(1, 2, "Petrova")?;
    sheet.write_number(1, 3, 3_598_881_234_567.0)?;
    sheet.write_string(2, 0, "boris@example.com")?;
    sheet.write_string(2, 1, "Boris")?;
    sheet.write_string(2, 2, "Ivanov")?;
    let bytes = book.save_to_buffer()?;

    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser
            .open_import(&server, "customers.xlsx", &bytes)
            .await?;
        // The first sheet holding a value is read first: its title, no customers.
        browser
            .wait_for_text("Customers exported from the old shop")
            .await?;
        browser
            .by_label("Sheet")
            .await?
            .select_by_label("Customers")
            .await?;
        browser.wait_for_text("ana@example.com").await?;
        browser.wait_for_text("boris@example.com").await?;
        browser.screenshot("workbook-01-sheet-chosen").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser.wait_for_count(2, "Created").await?;
        browser
            .by_name("See the imported customers")
            .await?
            .click()
            .await?;
        browser.wait_for_text("Ana Petrova").await?;
        browser.wait_for_text("boris@example.com").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A workbook in the Bulgarian UI: an unknown consent value mapped by hand, the mapping saved
/// as a profile; next month's workbook with the same headers is mapped by the profile and
/// goes straight to the whole-file check.
#[tokio::test]
async fn a_bulgarian_workbook_with_a_value_mapping_and_a_reused_profile() -> Result<()> {
    let book = |rows: &[[&str; 4]]| -> Result<Vec<u8>> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("Клиенти")?;
        for (col, header) in ["Имейл", "Име", "Фамилия", "Абонамент"].iter().enumerate()
        {
            sheet.write_string(0, col as u16, *header)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, *cell)?;
            }
        }
        Ok(book.save_to_buffer()?)
    };
    let november = book(&[
        ["ana@example.com", "Ана", "Петрова", "да"],
        ["boris@example.com", "Борис", "Иванов", "VIP"],
    ])?;
    let december = book(&[["vera@example.com", "Вера", "Колева", "не"]])?;

    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser
            .by_label("Language")
            .await?
            .select_by_value("bg")
            .await?;
        browser.wait_for_text("Клиенти").await?;
        let import_page = format!("{}/customers/import", server.url);
        browser.client.goto(&import_page).await?;
        let path = fixture(server.dir.path(), "klienti-noemvri.xlsx", &november);
        browser
            .by_label("CSV файл")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser.wait_for_text("boris@example.com").await?;
        // "Абонамент" is matched by a word of it, not exactly: the user checks by hand, and
        // the check lists the consent values, "VIP" among them as unknown.
        browser.by_name("Провери целия файл").await?.click().await?;
        browser
            .by_label("Значение на VIP")
            .await?
            .select_by_value("yes")
            .await?;
        browser
            .by_label("Име на профила")
            .await?
            .send_keys("Месечен")
            .await?;
        browser
            .by_name("Запази това съпоставяне като профил")
            .await?
            .click()
            .await?;
        browser
            .wait_for_text("Запазено: файловете с тези заглавия ще се съпоставят така.")
            .await?;
        browser.screenshot("bg-workbook-01-values").await?;
        browser.by_name("Импортирай").await?.click().await?;
        browser.wait_for_text("Импортирането завърши").await?;

        // December: the profile maps it, and the check starts by itself.
        browser.client.goto(&import_page).await?;
        let path = fixture(server.dir.path(), "klienti-dekemvri.xlsx", &december);
        browser
            .by_label("CSV файл")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser
            .wait_for_text("Колоните са съпоставени със запазения профил")
            .await?;
        browser
            .wait_for_text(
                "Всички колони са разпознати, затова проверката на целия файл започна веднага.",
            )
            .await?;
        browser.screenshot("bg-workbook-02-profile").await?;
        browser.by_name("Импортирай").await?.click().await?;
        browser.wait_for_text("Импортирането завърши").await?;
        browser
            .by_name("Вижте импортираните клиенти")
            .await?
            .click()
            .await?;
        browser.wait_for_text("vera@example.com").await?;
        browser
            .client
            .goto(&format!("{}/customers", server.url))
            .await?;
        browser.wait_for_text("boris@example.com").await?;
        // Boris's "VIP" became a yes; no row failed.
        let row = |email: &str| format!("//tr[td[contains(normalize-space(), '{email}')]]");
        for (email, consent) in [
            ("ana@example.com", "Да"),
            ("boris@example.com", "Да"),
            ("vera@example.com", "Не"),
        ] {
            let text = browser
                .wait_for(fantoccini::Locator::XPath(&row(email)))
                .await?
                .text()
                .await?;
            assert!(
                text.split_whitespace().any(|w| w == consent),
                "{email}: {text:?} should say {consent}"
            );
        }
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A workbook of more rows than its first answer holds: the preview comes from the head of the
/// sheet, and the check and the import read every row once the rest has arrived.
#[tokio::test]
async fn a_long_workbook_is_previewed_from_its_head_and_imported_whole() -> Result<()> {
    // Above the workbook worker's first answer (`HEAD_ROWS`, 1,000).
    const ROWS: u32 = 2_500;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Customers")?;
    sheet.write_string(0, 0, "Email")?;
    sheet.write_string(0, 1, "First Name")?;
    for r in 1..=ROWS {
        sheet.write_string(r, 0, format!("c{r}@example.com"))?;
        sheet.write_string(r, 1, ["Ana", "Boris", "Vera"][r as usize % 3])?;
    }
    let bytes = book.save_to_buffer()?;

    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.open_import(&server, "long.xlsx", &bytes).await?;
        browser.wait_for_text("c1@example.com").await?;
        // Exact headers: the check starts by itself, on the whole sheet.
        browser
            .wait_for_text("Every column is known, so the check of the whole file started at once.")
            .await?;
        let counter =
            |n: &str, label: &str| format!("//div[strong='{n}' and contains(., '{label}')]");
        browser
            .wait_for(fantoccini::Locator::XPath(&counter("2,500", "Valid")))
            .await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser
            .wait_for(fantoccini::Locator::XPath(&counter("2,500", "Created")))
            .await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A workbook cell holding line breaks does not shift the line numbers below it: the browser
/// names the sheet's row, as the server does.
#[tokio::test]
async fn a_workbook_problem_is_named_by_its_sheet_row_below_a_multi_line_cell() -> Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Customers")?;
    for (col, header) in ["Email", "First Name", "Note"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header)?;
    }
    sheet.write_string(1, 0, "ana@example.com")?;
    sheet.write_string(1, 1, "Ana")?;
    sheet.write_string(1, 2, "first line\nsecond line\nthird line")?;
    sheet.write_string(2, 0, "not-an-email")?;
    sheet.write_string(2, 1, "Boris")?;
    let bytes = book.save_to_buffer()?;

    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.open_import(&server, "notes.xlsx", &bytes).await?;
        browser.wait_for_text("ana@example.com").await?;
        browser
            .by_name("Check the whole file")
            .await?
            .click()
            .await?;
        // Boris is on the sheet's row 3 (the text has two more physical lines above him).
        browser
            .wait_for(fantoccini::Locator::XPath(
                "//li[starts-with(normalize-space(.), 'Line 3, Email')]",
            ))
            .await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// A receiver on 127.0.0.1 that answers every request 200; how many it got.
async fn webhook_receiver() -> Result<(String, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                // Read the head and the body it announces, then answer.
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    Ok((url, hits))
}

/// A webhook endpoint added on the Webhooks page: its secret shown once, listed, and after an
/// import its delivery log shows the receiver's 200.
#[tokio::test]
async fn a_webhook_endpoint_added_in_the_ui_is_listed_and_its_delivery_logged() -> Result<()> {
    let (hook_url, hits) = webhook_receiver().await?;
    let server = Server::start_with(tests::harness::ServerOptions {
        extra_args: vec![
            "--allow-private-webhooks".into(),
            "--poll-ms".into(),
            "50".into(),
        ],
        ..Default::default()
    })
    .await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Webhooks").await?.click().await?;
        browser
            .by_label("Endpoint URL")
            .await?
            .send_keys(&hook_url)
            .await?;
        // "Import completed" and "Import failed" are chosen already: drop the one, add
        // "Import undone".
        browser.click_label("Import failed").await?;
        browser.click_label("Import undone").await?;
        browser.by_name("Add endpoint").await?.click().await?;
        let secret = browser
            .by_label("Signing secret")
            .await?
            .prop("value")
            .await?;
        anyhow::ensure!(
            secret.as_deref().is_some_and(|s| s.starts_with("whsec_")),
            "the secret is shown once: {secret:?}"
        );
        browser.wait_for_text(&hook_url).await?;
        browser
            .wait_for_text("Import completed, Import undone")
            .await?;
        browser.screenshot("webhooks-01-added").await?;

        browser
            .client
            .goto(&format!("{}/customers/import", server.url))
            .await?;
        let csv = "email\nhooked@example.com\n";
        let path = fixture(server.dir.path(), "hooked.csv", csv.as_bytes());
        browser
            .by_label("CSV file")
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        browser.wait_for_text("hooked@example.com").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;

        browser
            .client
            .goto(&format!("{}/webhooks", server.url))
            .await?;
        // The page shows the log as it is when asked: ask again until the 200 is in.
        let log = format!("Delivery log {hook_url}");
        let mut seen = false;
        for _ in 0..30 {
            browser.by_name(&log).await?.click().await?;
            if browser
                .client
                .find(fantoccini::Locator::XPath("//td[contains(., 'HTTP 200')]"))
                .await
                .is_ok()
            {
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        anyhow::ensure!(seen, "the delivery log never showed HTTP 200");
        browser.wait_for_text("Delivered").await?;
        browser.screenshot("webhooks-02-delivered").await?;
        anyhow::ensure!(hits.load(std::sync::atomic::Ordering::SeqCst) == 1);
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// "What will happen": a file over stored customers is dry-run before it is committed; the
/// page shows its counts and each changed field's before and after, nothing has changed
/// yet; "Import now" then imports it with the same counts.
#[tokio::test]
async fn a_dry_run_shows_what_the_import_will_do_before_it_is_committed() -> Result<()> {
    let server = Server::start(None).await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in(&server.url).await?;
        browser.by_name("Import").await?.click().await?;
        let first = "Email,First Name,Last Name\nada@example.com,Ada,Lovelace\ngrace@example.com,Grace,Hopper\n";
        let path = fixture(server.dir.path(), "first.csv", first.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;
        browser.wait_for_text("grace@example.com").await?;
        browser.by_name("Import").await?.click().await?;
        browser.wait_for_text("Import finished").await?;

        browser.client.goto(&format!("{}/customers/import", server.url)).await?;
        let second = "Email,First Name,Last Name\nada@example.com,Augusta Ada,King\ngrace@example.com,Grace,Hopper\nalan@example.com,Alan,Turing\n";
        let path = fixture(server.dir.path(), "second.csv", second.as_bytes());
        browser.by_label("CSV file").await?.send_keys(&path.display().to_string()).await?;
        browser.wait_for_text("alan@example.com").await?;
        browser.by_label("When an email already exists").await?.select_by_value("update").await?;
        browser.by_name("What will happen").await?.click().await?;
        browser.wait_for_text("Nothing has been changed yet").await?;
        browser.wait_for_count(1, "Created").await?;
        browser.wait_for_count(1, "Updated").await?;
        browser.wait_for_count(1, "unchanged").await?;
        // The sample diff: Ada's first and last name, before and after.
        browser.wait_for_text("Augusta Ada").await?;
        browser.wait_for_text("Lovelace").await?;
        browser.wait_for_text("King").await?;
        browser.screenshot("dry-run-01-what-will-happen").await?;
        // Import now: the same counts, so the dry run had changed nothing (else Alan would
        // exist already and Ada would be unchanged).
        browser.by_name("Import now").await?.click().await?;
        browser.wait_for_text("Import finished").await?;
        browser.wait_for_count(1, "Created").await?;
        // The import's counts take Grace's unchanged row as updated (the dry run's 1 + 1).
        browser.wait_for_count(2, "Updated").await?;
        browser.screenshot("dry-run-02-imported").await?;
        browser.client.goto(&format!("{}/customers", server.url)).await?;
        browser.wait_for_text("Augusta Ada King").await?;
        browser.wait_for_text("alan@example.com").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}
