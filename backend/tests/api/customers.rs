//! Customers and groups: validation, uniqueness, filters, export.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::each_engine;

#[tokio::test]
async fn a_customer_is_validated_like_an_import_row_and_emails_are_unique_case_insensitively() {
    each_engine!("customer_crud", |app| {
        let bad = app
            .post("/api/customers", json!({"email": "not-an-email"}))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY)
            .json();
        assert_eq!(bad["error"]["details"]["errors"][0]["field"], "email");

        let created = app
            .post("/api/customers", json!({"full_name": "Мария Иванова", "email": "Maria@Example.COM", "accepts_marketing": "да"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        assert_eq!(created["first_name"], "Мария");
        assert_eq!(created["last_name"], "Иванова");
        assert_eq!(created["accepts_marketing"], true);
        assert_eq!(created["group_name"], "Default");

        let dup = app
            .post("/api/customers", json!({"email": "maria@example.com"}))
            .await
            .expect(StatusCode::CONFLICT);
        assert_eq!(dup.json()["error"]["code"], "email_exists");

        let id = created["id"].as_i64().unwrap();
        let patched = app
            .request(
                Method::PATCH,
                &format!("/api/customers/{id}"),
                Some(json!({"note": "VIP"})),
            )
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(patched["note"], "VIP");
        assert_eq!(patched["first_name"], "Мария", "absent fields stay");
        app.request(Method::DELETE, &format!("/api/customers/{id}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
        app.get(&format!("/api/customers/{id}"))
            .await
            .expect(StatusCode::NOT_FOUND);
    });
}

#[tokio::test]
async fn concurrent_creates_and_edits_to_one_email_give_one_customer_and_conflicts_not_errors() {
    each_engine!("customer_races", |app| {
        let count = |statuses: &[StatusCode], code| statuses.iter().filter(|s| **s == code).count();
        // Both engines: one create wins, every other one is a 409 (on PostgreSQL the
        // loser of the race meets the unique index, not our check).
        let creates = (0..8).map(|i| {
            app.post(
                "/api/customers",
                json!({"email": "Race@Example.com", "first_name": format!("R{i}")}),
            )
        });
        let statuses: Vec<StatusCode> = futures::future::join_all(creates)
            .await
            .into_iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(count(&statuses, StatusCode::CREATED), 1, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::CONFLICT), 7, "{statuses:?}");

        // Two other customers renamed to one free email at once: one edit wins.
        let mut ids = Vec::new();
        for email in ["a@example.com", "b@example.com"] {
            let c = app
                .post("/api/customers", json!({"email": email}))
                .await
                .expect(StatusCode::CREATED)
                .json();
            ids.push(c["id"].as_i64().unwrap());
        }
        let paths: Vec<String> = ids
            .iter()
            .map(|id| format!("/api/customers/{id}"))
            .collect();
        let edits = paths.iter().map(|path| {
            app.request(
                Method::PATCH,
                path,
                Some(json!({"email": "same@example.com"})),
            )
        });
        let statuses: Vec<StatusCode> = futures::future::join_all(edits)
            .await
            .into_iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(count(&statuses, StatusCode::OK), 1, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::CONFLICT), 1, "{statuses:?}");
        let list = app
            .get("/api/customers?q=example.com&per_page=50")
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(list["total"], 3, "{list}");
    });
}

#[tokio::test]
async fn groups_are_unique_by_name_and_cannot_be_deleted_while_they_have_customers() {
    each_engine!("groups", |app| {
        let groups = app.get("/api/groups").await.expect(StatusCode::OK).json();
        assert_eq!(groups[0]["name"], "Default");
        let vip = app
            .post("/api/groups", json!({"name": "ВИП"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let again = app
            .post("/api/groups", json!({"name": "вип"}))
            .await
            .expect(StatusCode::CONFLICT);
        assert_eq!(again.json()["error"]["code"], "group_exists");
        let vip_id = vip["id"].as_i64().unwrap();
        app.post(
            "/api/customers",
            json!({"email": "a@example.com", "group_id": vip_id}),
        )
        .await
        .expect(StatusCode::CREATED);
        app.request(Method::DELETE, &format!("/api/groups/{vip_id}"), None)
            .await
            .expect(StatusCode::CONFLICT);
        let default_id = groups[0]["id"].as_i64().unwrap();
        app.request(
            Method::DELETE,
            &format!("/api/groups/{vip_id}?reassign_to={default_id}"),
            None,
        )
        .await
        .expect(StatusCode::NO_CONTENT);
        let groups = app.get("/api/groups").await.expect(StatusCode::OK).json();
        assert_eq!(groups.as_array().unwrap().len(), 1);
        assert_eq!(groups[0]["customer_count"], 1);
    });
}

#[tokio::test]
async fn the_list_filters_by_group_consent_and_text_and_pages() {
    each_engine!("list_filters", |app| {
        let vip = app.create_group("VIP").await;
        for i in 0..7 {
            app.post(
                "/api/customers",
                json!({"first_name": format!("Name{i}"), "last_name": "Петров", "email": format!("p{i}@example.com"),
                       "accepts_marketing": i % 2 == 0, "group_id": if i < 3 { Some(vip) } else { None }}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
        let by_group = app
            .get(&format!("/api/customers?group_id={vip}"))
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(by_group["total"], 3);
        let consenting = app
            .get("/api/customers?accepts_marketing=true")
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(consenting["total"], 4);
        let text = app
            .get("/api/customers?q=%D0%BF%D0%B5%D1%82%D1%80")
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(text["total"], 7, "Cyrillic search is case-insensitive");
        let page = app
            .get("/api/customers?per_page=5&page=2&sort=email")
            .await
            .expect(StatusCode::OK)
            .json();
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert_eq!(page["items"][0]["email"], "p5@example.com");
        app.get("/api/customers?per_page=501")
            .await
            .expect(StatusCode::BAD_REQUEST);
    });
}

#[tokio::test]
async fn the_export_honours_filters_neutralises_formulas_and_supports_excel_options() {
    each_engine!("export", |app| {
        let vip = app.create_group("VIP").await;
        app.post("/api/customers", json!({"first_name": "=HYPERLINK(\"x\")", "email": "evil@example.com", "group_id": vip}))
            .await
            .expect(StatusCode::CREATED);
        app.post(
            "/api/customers",
            json!({"first_name": "Plain", "email": "plain@example.com"}),
        )
        .await
        .expect(StatusCode::CREATED);

        let all = app
            .get("/api/customers/export.csv")
            .await
            .expect(StatusCode::OK);
        assert!(
            all.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            all.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let text = all.text();
        assert!(
            text.starts_with("first_name,last_name,email,note,accepts_marketing,group,created_at"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 3);
        assert!(text.contains("'=HYPERLINK"), "{text}");

        let vip_only = app
            .get(&format!(
                "/api/customers/export.csv?group_id={vip}&delimiter=semicolon&bom=true"
            ))
            .await
            .expect(StatusCode::OK);
        assert!(vip_only.body.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = vip_only.text();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("first_name;last_name;email"));
        assert!(!text.contains("plain@example.com"));
    });
}

/// Three imports; the middle one, of `middle` customers, undone: a gap of ids wider than a
/// page. The export must give every other customer once, in id order, with and without a
/// filter.
async fn export_across_a_gap(app: &crate::support::TestApp, middle: usize) {
    let import = |prefix: &'static str, n: usize, group: &'static str| async move {
        let rows: Vec<serde_json::Value> = (0..n)
            .map(|i| json!({"line": i + 2, "first_name": "F", "email": format!("{prefix}{i:05}@example.com"), "group": group}))
            .collect();
        let batches: Vec<serde_json::Value> = rows
            .chunks(1000)
            .map(|c| serde_json::Value::Array(c.to_vec()))
            .collect();
        let done = app.import_batches("skip", &batches).await;
        assert_eq!(done["counts"]["created"], n, "{done}");
        done["id"].as_i64().unwrap()
    };
    import("a", 2100, "").await;
    let gap = import("b", middle, "").await;
    import("c", 1900, "Late").await;
    app.undo_import(gap).await;

    let emails = |text: String| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().to_owned())
            .collect()
    };
    let expected: Vec<String> = (0..2100)
        .map(|i| format!("a{i:05}@example.com"))
        .chain((0..1900).map(|i| format!("c{i:05}@example.com")))
        .collect();
    let all = app
        .get("/api/customers/export.csv")
        .await
        .expect(StatusCode::OK)
        .text();
    assert_eq!(emails(all), expected, "every customer once, in id order");
    let late = app
        .get("/api/groups")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Late")
        .unwrap()["id"]
        .clone();
    let only_late = app
        .get(&format!("/api/customers/export.csv?group_id={late}"))
        .await
        .expect(StatusCode::OK)
        .text();
    assert_eq!(emails(only_late), expected[2100..].to_vec());
}

#[tokio::test]
async fn the_export_reads_every_customer_once_in_order_across_pages_and_gaps_in_ids() {
    // Ids spanning less than four per customer: pages are id ranges, read two at a time.
    each_engine!("export_pages", |app| {
        export_across_a_gap(&app, 2600).await;
    });
}

#[tokio::test]
async fn the_export_of_customers_whose_ids_are_far_apart_pages_by_keyset() {
    // 4,000 customers over 24,000 ids: pages follow each other by keyset.
    each_engine!("export_sparse", |app| {
        export_across_a_gap(&app, 20_000).await;
    });
}

#[tokio::test]
async fn list_totals_kept_by_the_database_match_a_count_of_the_rows_after_every_kind_of_write() {
    each_engine!("list_totals", |app| {
        // The totals of the plain and by-group list come from counters kept by triggers;
        // adding a no-op date filter makes the server count the rows instead.
        async fn check(app: &crate::support::TestApp, step: &str) {
            let groups = app.get("/api/groups").await.expect(StatusCode::OK).json();
            let mut filters = vec![String::new()];
            for g in groups.as_array().unwrap() {
                filters.push(format!("group_id={}&", g["id"]));
            }
            // The groups page and a group's own count show the kept counts too.
            for g in groups.as_array().unwrap() {
                let counted = app
                    .get(&format!(
                        "/api/customers?group_id={}&created_from=1970-01-01T00:00:00Z&per_page=1",
                        g["id"]
                    ))
                    .await
                    .json();
                assert_eq!(
                    g["customer_count"], counted["total"],
                    "after {step}, group {g}"
                );
                let one = app
                    .get(&format!("/api/groups/{}", g["id"]))
                    .await
                    .expect(StatusCode::OK)
                    .json();
                assert_eq!(
                    one["customer_count"], counted["total"],
                    "after {step}, group {one}"
                );
            }
            for f in filters {
                let kept = app
                    .get(&format!("/api/customers?{f}per_page=1"))
                    .await
                    .expect(StatusCode::OK)
                    .json();
                let counted = app
                    .get(&format!(
                        "/api/customers?{f}created_from=1970-01-01T00:00:00Z&per_page=1"
                    ))
                    .await
                    .expect(StatusCode::OK)
                    .json();
                assert_eq!(
                    kept["total"], counted["total"],
                    "after {step}, filter {f:?}"
                );
            }
        }
        let vip = app.create_group("VIP").await;
        let row = |line: u32, email: &str, group: &str| json!({"line": line, "email": email, "group": group});
        let first = app
            .import_batches(
                "skip",
                &[json!([
                    row(2, "a@example.com", "VIP"),
                    row(3, "b@example.com", ""),
                    row(4, "c@example.com", "Wholesale")
                ])],
            )
            .await;
        assert_eq!(first["counts"]["created"], 3, "{first}");
        check(&app, "an import into three groups").await;

        // Moves between groups: by an update import and by an edit.
        let moved = app
            .import_batches(
                "update",
                &[json!([
                    row(2, "b@example.com", "VIP"),
                    row(3, "d@example.com", "VIP")
                ])],
            )
            .await;
        check(&app, "an update import moving a customer").await;
        let one = app
            .post("/api/customers", json!({"email": "e@example.com"}))
            .await
            .expect(StatusCode::CREATED)
            .json();
        let e = one["id"].as_i64().unwrap();
        app.request(
            Method::PATCH,
            &format!("/api/customers/{e}"),
            Some(json!({"group_id": vip})),
        )
        .await
        .expect(StatusCode::OK);
        check(&app, "a create and an edit moving a customer").await;

        // Undo: created customers go, updated ones move back.
        let id = moved["id"].as_i64().unwrap();
        app.undo_import(id).await;
        check(&app, "an undo").await;

        // A delete, and a group deleted with its customers reassigned.
        app.request(Method::DELETE, &format!("/api/customers/{e}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
        let default_id = app.get("/api/groups").await.json()[0]["id"]
            .as_i64()
            .unwrap();
        app.request(
            Method::DELETE,
            &format!("/api/groups/{vip}?reassign_to={default_id}"),
            None,
        )
        .await
        .expect(StatusCode::NO_CONTENT);
        check(&app, "a delete and a group reassigned").await;
        let all = app.get("/api/customers?per_page=1").await.json();
        assert_eq!(all["total"], 3, "{all}");
    });
}

#[tokio::test]
async fn paging_through_every_sort_order_gives_each_customer_once_in_order() {
    each_engine!("paging_sorts", |app| {
        let vip = app.create_group("VIP").await;
        for i in 0..23 {
            let last = ["Zhou", "Adams", "Иванов", "adams", "Miller"][i % 5];
            app.post(
                "/api/customers",
                json!({"first_name": format!("F{}", 23 - i), "last_name": last,
                       "email": format!("p{:02}@example.com", (i * 7) % 23),
                       "group_id": if i % 3 == 0 { Some(vip) } else { None }}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
        for filter in ["", "&group_id=VIP", "&q=example"] {
            let filter = filter.replace("VIP", &vip.to_string());
            for sort in ["created_at", "-created_at", "email", "last_name"] {
                let whole = app
                    .get(&format!("/api/customers?per_page=100&sort={sort}{filter}"))
                    .await
                    .expect(StatusCode::OK)
                    .json();
                let total = whole["total"].as_u64().unwrap() as usize;
                let whole: Vec<i64> = whole["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap())
                    .collect();
                assert_eq!(whole.len(), total, "{sort}{filter}");
                let mut paged = Vec::new();
                for page in 1..=total.div_ceil(5) {
                    let p = app
                        .get(&format!(
                            "/api/customers?per_page=5&page={page}&sort={sort}{filter}"
                        ))
                        .await
                        .expect(StatusCode::OK)
                        .json();
                    paged.extend(
                        p["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c["id"].as_i64().unwrap()),
                    );
                }
                assert_eq!(paged, whole, "pages of {sort}{filter}");
                let mut ids = whole.clone();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), whole.len(), "each customer once: {sort}{filter}");
            }
        }
        // The orders themselves.
        let by_email = app
            .get("/api/customers?per_page=100&sort=email")
            .await
            .json();
        let emails: Vec<&str> = by_email["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap())
            .collect();
        let mut sorted = emails.clone();
        sorted.sort();
        assert_eq!(emails, sorted);
        let newest = app
            .get("/api/customers?per_page=100&sort=-created_at")
            .await
            .json();
        let ids: Vec<i64> = newest["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        let mut descending = ids.clone();
        descending.sort_by(|a, b| b.cmp(a));
        assert_eq!(ids, descending, "created one after another, newest first");
    });
}

#[tokio::test]
async fn the_text_filter_matches_substrings_exactly_whether_or_not_an_index_answers_it() {
    each_engine!("text_filter", |app| {
        for (first, last, email) in [
            ("Abcxbcd", "Stone", "one@example.com"),
            ("Мария", "Иванова", "maria@abv.bg"),
            ("Ivan", "O'Brien", "ivan_100%@example.com"),
            ("Zoe", "Abcd", "zoe@example.org"),
        ] {
            app.post(
                "/api/customers",
                json!({"first_name": first, "last_name": last, "email": email}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
        let emails = |q: &str| {
            let q = q.to_owned();
            let app = &app;
            async move {
                let url = format!("/api/customers?sort=email&q={}", urlencode(&q));
                let list = app.get(&url).await.expect(StatusCode::OK).json();
                let items: Vec<String> = list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["email"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(list["total"], items.len(), "{q}");
                items
            }
        };
        // "abcd" is not in "abcxbcd" although each of its trigrams is.
        assert_eq!(emails("abcd").await, ["zoe@example.org"]);
        assert_eq!(emails("ABC").await, ["one@example.com", "zoe@example.org"]);
        assert_eq!(emails("ИВАНОВА").await, ["maria@abv.bg"]);
        assert_eq!(emails("иван").await, ["maria@abv.bg"]);
        assert_eq!(emails("o'br").await, ["ivan_100%@example.com"]);
        // Two characters, and text with LIKE's wildcards: taken literally.
        assert_eq!(emails("zo").await, ["zoe@example.org"]);
        assert_eq!(emails("100%").await, ["ivan_100%@example.com"]);
        assert_eq!(emails("n_1").await, ["ivan_100%@example.com"]);
        assert_eq!(emails("%").await, ["ivan_100%@example.com"]);
        assert!(emails("example.net").await.is_empty());

        // Edits and deletes reach the index.
        let zoe = app.get("/api/customers?q=zoe").await.json()["items"][0]["id"]
            .as_i64()
            .unwrap();
        app.request(
            Method::PATCH,
            &format!("/api/customers/{zoe}"),
            Some(json!({"last_name": "Quill"})),
        )
        .await
        .expect(StatusCode::OK);
        assert!(emails("abcd").await.is_empty());
        assert_eq!(emails("quill").await, ["zoe@example.org"]);
        app.request(Method::DELETE, &format!("/api/customers/{zoe}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
        assert!(emails("quill").await.is_empty());
    });
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
