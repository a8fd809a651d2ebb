//! Excel workbooks through the raw upload (`POST /api/imports/csv`): recognised by content,
//! a sheet chosen by name, line numbers equal to the sheet's rows, clear refusals.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::each_engine;
use crate::support::TestApp;

/// Two sheets: `Notes` (empty) and `Customers`, whose title is on row 1, the header on
/// row 3, a note with a line break on row 4 and a bad email on row 6.
pub fn customers_workbook() -> Vec<u8> {
    let mut w = Workbook::new();
    w.add_worksheet().set_name("Notes").unwrap();
    let ws = w.add_worksheet();
    ws.set_name("Customers").unwrap();
    ws.merge_range(0, 0, 0, 3, "Customers", &Format::new())
        .unwrap();
    for (c, h) in ["First name", "Email", "Note", "Since"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let rows = [
        ("Иван", "ivan@example.com", "first line\nsecond line"),
        ("Ann", "ann@example.com", ""),
        ("Bad", "not-an-email", ""),
        ("Eve", "eve@example.com", ""),
    ];
    for (i, (first, email, note)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 0, *first).unwrap();
        ws.write_string(r, 1, *email).unwrap();
        if !note.is_empty() {
            ws.write_string(r, 2, *note).unwrap();
        }
        let day = ExcelDateTime::from_ymd(2024, 3, 1 + i as u8).unwrap();
        ws.write_datetime_with_format(r, 3, &day, &date).unwrap();
    }
    w.save_to_buffer().unwrap()
}

async fn upload(app: &TestApp, query: &str, bytes: Vec<u8>) -> crate::support::Reply {
    let req = app
        .builder(Method::POST, &format!("/api/imports/csv?{query}"))
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(Body::from(bytes))
        .unwrap();
    app.raw(req).await
}

#[tokio::test]
async fn an_xlsx_upload_imports_its_sheet_with_errors_on_the_sheets_rows() {
    each_engine!("xlsx_upload", |app| {
        let uploads = app.state.config.data_dir.join("uploads");
        let import = upload(&app, "file_name=shop.xlsx", customers_workbook())
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let id = import["id"].as_i64().unwrap();
        let done = app.wait_for_import(id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["counts"]["created"], 3, "{done}");
        assert_eq!(done["counts"]["failed"], 1, "{done}");
        let list = app
            .get(&format!("/api/customers?sort=email&import_id={id}"))
            .await
            .json();
        let emails: Vec<_> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            emails,
            ["ann@example.com", "eve@example.com", "ivan@example.com"]
        );
        let ivan = &list["items"][2];
        assert_eq!(ivan["first_name"], "Иван");
        assert_eq!(ivan["note"], "first line\nsecond line");
        // Row 6 of the sheet, past a merged title and a cell with a line break.
        let errors = app
            .get(&format!("/api/imports/{id}/errors.csv"))
            .await
            .expect(StatusCode::OK)
            .text();
        let lines: Vec<&str> = errors.lines().skip(1).collect();
        assert_eq!(lines.len(), 1, "{errors}");
        assert!(
            lines[0].starts_with("6,email,not-an-email,invalid_email,"),
            "{errors}"
        );
        // The workbook and its text leave the disk once split, as a CSV upload does.
        for _ in 0..100 {
            if std::fs::read_dir(&uploads).map_or(0, |d| d.count()) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(std::fs::read_dir(&uploads).map_or(0, |d| d.count()), 0);
        // The sheet by name (the first, empty one is what the default skipped).
        let import = upload(&app, "sheet=Customers", customers_workbook())
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(done["counts"]["skipped"], 3, "{done}");
        let import = upload(&app, "sheet=Notes", customers_workbook())
            .await
            .expect(StatusCode::ACCEPTED)
            .json();
        let done = app.wait_for_import(import["id"].as_i64().unwrap()).await;
        assert_eq!(done["status"], "failed", "{done}");
        assert!(done["error"].as_str().unwrap().contains("empty"), "{done}");
    });
}

#[tokio::test]
async fn an_unknown_sheet_a_corrupt_and_an_encrypted_workbook_are_refused_with_their_codes() {
    each_engine!("xlsx_refused", |app| {
        let uploads = app.state.config.data_dir.join("uploads");
        let reply = upload(&app, "sheet=Orders", customers_workbook())
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .json();
        assert_eq!(reply["error"]["code"], "unknown_sheet", "{reply}");
        assert_eq!(
            reply["error"]["details"]["sheets"],
            serde_json::json!(["Notes", "Customers"])
        );
        let good = customers_workbook();
        let reply = upload(&app, "", good[..good.len() / 2].to_vec())
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .json();
        assert_eq!(reply["error"]["code"], "workbook_unreadable", "{reply}");
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.resize(4096, 0);
        let name: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        ole.splice(1024..1024 + name.len(), name);
        let reply = upload(&app, "", ole)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .json();
        assert_eq!(reply["error"]["code"], "workbook_encrypted", "{reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .unwrap()
                .contains("password"),
            "{reply}"
        );
        // No import was created, and nothing stays on disk.
        let list = app.get("/api/imports").await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
        assert_eq!(std::fs::read_dir(&uploads).map_or(0, |d| d.count()), 0);
    });
}

#[tokio::test]
async fn the_command_line_inspects_and_imports_a_workbook() {
    use crate::process::{Client, Server, intake, run};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.xlsx");
    std::fs::write(&file, customers_workbook()).unwrap();
    let path = file.to_string_lossy().into_owned();

    let out = run(intake(&["inspect", &path, "--json"]), "");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["sheets"], serde_json::json!(["Notes", "Customers"]));
    assert_eq!(report["sheet"], "Customers");
    assert_eq!(report["header_line"], 3);
    assert_eq!(report["columns"][1]["target"], "email");
    assert_eq!(report["columns"][3]["samples"][0], "2024-03-01");
    assert_eq!(report["rows"]["total"], 4);
    assert_eq!(report["errors"][0]["line"], 6, "{report}");
    let table = run(intake(&["inspect", &path, "--sheet", "Customers"]), "");
    assert!(
        table.starts_with("sheet: Customers (sheets: Notes, Customers)"),
        "{table}"
    );
    let refused = intake(&["inspect", &path, "--sheet", "Orders"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("no sheet named \"Orders\""), "{stderr}");

    for db in crate::support::databases("cli_xlsx", dir.path()).await {
        let data = dir.path().join(if db.starts_with("sqlite") {
            "sqlite"
        } else {
            "pg"
        });
        std::fs::create_dir_all(&data).unwrap();
        let server = Server::start(&db, &data, "cli_xlsx", &["--workers", "1"]);
        let data_arg = data.to_string_lossy().into_owned();
        let cli = |args: &[&str]| {
            let mut cmd = intake(args);
            cmd.args(["--database-url", &db, "--data-dir", &data_arg]);
            cmd
        };
        let token = run(cli(&["token", "create", "--name", "ci"]), "")
            .trim()
            .to_owned();
        let out = run(
            cli(&[
                "import",
                &path,
                "--sheet",
                "Customers",
                "--group",
                "Shop",
                "--wait",
            ]),
            "",
        );
        assert!(out.contains("queued import"), "{out}");
        let client = Client::new(&server, &token);
        let imports = client.get("/api/imports").await;
        let import = &imports["items"][0];
        assert_eq!(import["status"], "completed", "{import}");
        assert_eq!(import["file_name"], "shop.xlsx");
        assert_eq!(import["counts"]["created"], 3, "{import}");
        assert_eq!(import["counts"]["failed"], 1, "{import}");
    }
}
