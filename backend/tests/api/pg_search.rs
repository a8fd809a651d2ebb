//! PostgreSQL's search index is filled in the background (storage/postgres/search.rs,
//! migration 0013): the text filter must be exact before, while and after the indexer moves
//! a customer from the pending list into the index; each customer is in exactly one of the
//! two; edits and deletes of indexed customers reach the index; export pages, whose id range
//! also limits both parts, find the same customers as the list.

use intake::storage::{CustomerValues, Customers, Groups, PgStorage};
use shared::api::{CustomerFilter, CustomerSort};
use shared::customer::CustomerFields;

use crate::support;

fn values(first: &str, last: &str, email: &str, group_id: i64) -> CustomerValues {
    CustomerValues {
        fields: CustomerFields {
            first_name: first.into(),
            last_name: last.into(),
            full_name: format!("{first} {last}"),
            email: email.into(),
            note: String::new(),
            accepts_marketing: false,
        },
        email_key: email.to_lowercase(),
        group_id,
    }
}

fn text(q: &str) -> CustomerFilter {
    CustomerFilter {
        q: Some(q.into()),
        ..CustomerFilter::default()
    }
}

/// The list's answer (its total checked against its items).
async fn emails(storage: &PgStorage, q: &str) -> Vec<String> {
    let page = storage
        .list_customers(&text(q), CustomerSort::Email, 1, 100)
        .await
        .unwrap();
    let found: Vec<String> = page.items.into_iter().map(|c| c.fields.email).collect();
    assert_eq!(page.total, found.len() as i64, "{q}");
    found
}

/// The export's answer, in pages of one id range each (`span` ids wide).
async fn exported(storage: &PgStorage, q: &str, span: i64) -> Vec<String> {
    let (first, last, _) = storage.customer_id_span().await.unwrap().unwrap();
    let mut found = Vec::new();
    for after in (first - 1..last).step_by(span as usize) {
        let page = storage
            .export_page(&text(q), after, (after + span).min(last), 100)
            .await
            .unwrap();
        found.extend(page.into_iter().map(|r| r.record.email));
    }
    found.sort();
    found
}

/// The ids a query returns, in order.
async fn ids(db: &mut sqlx::PgConnection, sql: &'static str) -> Vec<i64> {
    let rows: Vec<(i64,)> = sqlx::query_as(sql).fetch_all(db).await.unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

/// (indexed, pending) customer ids; also checks each customer is in exactly one, and
/// that the index holds each indexed customer's current text.
async fn parts(url: &str) -> (Vec<i64>, Vec<i64>) {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(url).await.unwrap();
    let indexed = ids(&mut db, "SELECT id FROM customers_search ORDER BY id").await;
    let pending = ids(
        &mut db,
        "SELECT id FROM customers_search_pending ORDER BY id",
    )
    .await;
    let mut both: Vec<i64> = indexed.iter().chain(&pending).copied().collect();
    both.sort();
    let all = ids(&mut db, "SELECT id FROM customers ORDER BY id").await;
    assert_eq!(both, all, "every customer is indexed or pending, not both");
    let (stale,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM customers_search s JOIN customers c USING (id) \
         WHERE s.search_text <> c.search_text",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(stale, 0, "the index holds the customers' current text");
    let (stale,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM customers_search_pending p JOIN customers c USING (id) \
         WHERE p.search_text <> c.search_text",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(
        stale, 0,
        "the pending list holds the customers' current text"
    );
    (indexed, pending)
}

#[tokio::test]
async fn the_postgres_text_filter_is_exact_before_and_after_the_indexer_reaches_a_customer() {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = support::databases("pg_search", dir.path())
        .await
        .into_iter()
        .find(|u| u.starts_with("postgres"))
    else {
        return;
    };
    let storage = PgStorage::open(&url, false).await.unwrap();
    let group = storage.default_group_id().await.unwrap();
    let mut ids = Vec::new();
    for (first, last, email) in [
        ("Abcxbcd", "Stone", "one@example.com"),
        ("Gone", "Abcdgone", "gone@example.com"),
        ("Мария", "Иванова", "maria@abv.bg"),
        ("Zoe", "Abcde", "zoe@example.org"),
        ("Petar", "Abcdef", "petar@example.net"),
    ] {
        let c = values(first, last, email, group);
        ids.push(storage.create_customer(&c).await.unwrap().id);
    }

    // Nothing is indexed yet: every customer is pending, and found by the scan.
    assert_eq!(parts(&url).await, (vec![], ids.clone()));
    assert_eq!(
        emails(&storage, "abcd").await,
        ["gone@example.com", "petar@example.net", "zoe@example.org"]
    );
    assert_eq!(emails(&storage, "ИВАНОВА").await, ["maria@abv.bg"]);

    // The indexer moves customers a chunk at a time, lowest ids first.
    assert_eq!(storage.index_search(2).await.unwrap(), 2);
    assert_eq!(parts(&url).await, (ids[..2].to_vec(), ids[2..].to_vec()));
    assert_eq!(
        emails(&storage, "example").await,
        [
            "gone@example.com",
            "one@example.com",
            "petar@example.net",
            "zoe@example.org"
        ]
    );
    for span in [1, 2, 10] {
        assert_eq!(
            exported(&storage, "example", span).await,
            emails(&storage, "example").await,
            "pages of {span} ids"
        );
    }

    // An indexed customer edited and another deleted: the index follows.
    let edited = values("Gone", "Quill", "gone@example.com", group);
    storage.update_customer(ids[1], &edited).await.unwrap();
    assert!(emails(&storage, "abcdgone").await.is_empty());
    assert_eq!(emails(&storage, "quill").await, ["gone@example.com"]);
    storage.delete_customer(ids[0]).await.unwrap();
    assert!(emails(&storage, "abcxbcd").await.is_empty());
    // A pending customer deleted leaves the pending list.
    storage.delete_customer(ids[4]).await.unwrap();
    assert_eq!(parts(&url).await, (vec![ids[1]], vec![ids[2], ids[3]]));
    // A pending customer edited: a search scans the pending list's own copy of the text
    // (migration 0014), which follows the customer.
    let renamed = values("Мария", "Петрова", "maria@abv.bg", group);
    storage.update_customer(ids[2], &renamed).await.unwrap();
    assert!(emails(&storage, "иванова").await.is_empty());
    assert_eq!(emails(&storage, "петрова").await, ["maria@abv.bg"]);
    assert_eq!(parts(&url).await, (vec![ids[1]], vec![ids[2], ids[3]]));

    assert_eq!(storage.index_search(100).await.unwrap(), 2);
    assert_eq!(storage.index_search(100).await.unwrap(), 0);
    assert_eq!(parts(&url).await, (vec![ids[1], ids[2], ids[3]], vec![]));
    assert_eq!(emails(&storage, "abcd").await, ["zoe@example.org"]);
    assert_eq!(emails(&storage, "петрова").await, ["maria@abv.bg"]);
    // Text with LIKE's special characters goes around the index, and still matches.
    assert_eq!(
        emails(&storage, "e@exa").await,
        ["gone@example.com", "zoe@example.org"]
    );
    assert_eq!(emails(&storage, "e_ex").await, Vec::<String>::new());
    assert!(emails(&storage, "100%").await.is_empty());
}

/// After an import completes, PostgreSQL's customers are vacuumed (`after_bulk_change`): a
/// list page is an index-only scan, which reads a table row for every index entry it passes
/// until VACUUM marks the pages all-visible (autovacuum comes a minute or more later).
#[tokio::test]
async fn a_completed_import_leaves_the_customers_vacuumed_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = support::databases("pg_vacuum", dir.path())
        .await
        .into_iter()
        .find(|u| u.starts_with("postgres"))
    else {
        return;
    };
    let app = support::TestApp::signed_in(&url, dir.path()).await;
    let vacuums = || async {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'customers'",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        n
    };
    let before = vacuums().await;
    let done = app
        .import_batches("skip", &[support::rows("vac", 0, 50)])
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    // The worker vacuums right after marking the job completed: allow it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while vacuums().await == before {
        assert!(
            std::time::Instant::now() < deadline,
            "customers not vacuumed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
