//! SQLite's search index is filled in the background (storage/search_index.rs): the text
//! filter must be exact before, while and after the indexer reaches a customer, and the
//! index must match the customers at the end. Also: an older database keeps all of that
//! through migration 0008's rebuild of the customers table.

use intake::storage::{CustomerValues, Customers, Groups, SqliteStorage};
use shared::api::{CustomerFilter, CustomerSort};
use shared::customer::CustomerFields;
use sqlx::Connection;

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

async fn emails(storage: &SqliteStorage, q: &str) -> Vec<String> {
    let filter = CustomerFilter {
        q: Some(q.into()),
        ..CustomerFilter::default()
    };
    let page = storage
        .list_customers(&filter, CustomerSort::Email, 1, 100)
        .await
        .unwrap();
    let found: Vec<String> = page.items.into_iter().map(|c| c.fields.email).collect();
    assert_eq!(page.total, found.len() as i64, "{q}");
    found
}

/// The export's answer for `q`, read in pages of one id range each (`span` ids wide), as
/// the export reads them: each page's range also limits the index and the scan above the
/// mark, so a customer must be found by exactly the page whose range holds it.
async fn exported(storage: &SqliteStorage, q: &str, span: i64) -> Vec<String> {
    let filter = CustomerFilter {
        q: Some(q.into()),
        ..CustomerFilter::default()
    };
    let (first, last, _) = storage.customer_id_span().await.unwrap().unwrap();
    let mut found = Vec::new();
    for after in (first - 1..last).step_by(span as usize) {
        let page = storage
            .export_page(&filter, after, (after + span).min(last), 100)
            .await
            .unwrap();
        assert!(page.iter().all(|r| r.id > after && r.id <= after + span));
        found.extend(page.into_iter().map(|r| r.record.email));
    }
    found.sort();
    found
}

/// The ids the index alone answers for `q` (customers above the mark are not in it).
async fn indexed_ids(db: &mut sqlx::SqliteConnection, q: &str) -> Vec<i64> {
    sqlx::query_as::<_, (i64,)>(
        "SELECT rowid FROM customers_search WHERE search_text LIKE $1 ORDER BY rowid",
    )
    .bind(format!("%{q}%"))
    .fetch_all(db)
    .await
    .unwrap()
    .into_iter()
    .map(|(id,)| id)
    .collect()
}

async fn assert_index_matches_customers(db: &mut sqlx::SqliteConnection) {
    sqlx::query("INSERT INTO customers_search (customers_search) VALUES ('integrity-check')")
        .execute(db)
        .await
        .expect("the search index matches the customers");
}

#[tokio::test]
async fn the_sqlite_text_filter_is_exact_before_and_after_the_indexer_reaches_a_customer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("search.db").display());
    let storage = SqliteStorage::open(&url, false).await.unwrap();
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let group = storage.default_group_id().await.unwrap();
    let mut ids = Vec::new();
    for (first, last, email) in [
        ("Abcxbcd", "Stone", "one@example.com"),
        ("Gone", "Abcdgone", "gone@example.com"),
        ("Мария", "Иванова", "maria@abv.bg"),
        ("Zoe", "Abcde", "zoe@example.org"),
        ("Petar", "Abcdef", "petar@example.net"),
    ] {
        ids.push(
            storage
                .create_customer(&values(first, last, email, group))
                .await
                .unwrap()
                .id,
        );
    }

    // Nothing is indexed yet: the filter scans, and finds substrings exactly.
    assert!(indexed_ids(&mut db, "abcd").await.is_empty());
    assert_eq!(
        emails(&storage, "abcd").await,
        ["gone@example.com", "petar@example.net", "zoe@example.org"]
    );
    assert_eq!(emails(&storage, "ИВАНОВА").await, ["maria@abv.bg"]);
    // Changes above the mark need no index work.
    storage.delete_customer(ids[1]).await.unwrap();
    storage
        .update_customer(ids[3], &values("Zoe", "Quill", "zoe@example.org", group))
        .await
        .unwrap();
    assert_eq!(emails(&storage, "abcd").await, ["petar@example.net"]);

    // The indexer takes customers in id order, a chunk at a time.
    assert_eq!(storage.index_search(2).await.unwrap(), 2);
    assert_eq!(indexed_ids(&mut db, "example").await, [ids[0]]);
    assert_eq!(
        emails(&storage, "example").await,
        ["one@example.com", "petar@example.net", "zoe@example.org"]
    );
    // Export pages of one and of two ids, below and above the mark, find the same.
    for span in [1, 2, 10] {
        assert_eq!(
            exported(&storage, "example", span).await,
            emails(&storage, "example").await,
            "pages of {span} ids"
        );
    }
    assert_eq!(storage.index_search(100).await.unwrap(), 2);
    assert_eq!(storage.index_search(100).await.unwrap(), 0);
    assert_eq!(indexed_ids(&mut db, "abcd").await, [ids[4]]);
    assert_eq!(indexed_ids(&mut db, "quill").await, [ids[3]]);
    assert_index_matches_customers(&mut db).await;

    // Indexed customers: edits and deletes reach the index.
    storage
        .update_customer(ids[3], &values("Zoe", "Abcd", "zoe@example.org", group))
        .await
        .unwrap();
    assert_eq!(
        emails(&storage, "abcd").await,
        ["petar@example.net", "zoe@example.org"]
    );
    assert!(emails(&storage, "quill").await.is_empty());
    storage.delete_customer(ids[4]).await.unwrap();
    assert_eq!(emails(&storage, "abcd").await, ["zoe@example.org"]);
    assert_index_matches_customers(&mut db).await;

    // The highest id was deleted; the next customer still gets a new id (ids are never
    // given twice, migration 0008), above the mark: found by the scan until indexed.
    let again = storage
        .create_customer(&values("Ada", "Abcdxyz", "ada@example.net", group))
        .await
        .unwrap();
    assert!(again.id > ids[4], "{} after {}", again.id, ids[4]);
    assert!(indexed_ids(&mut db, "abcdxyz").await.is_empty());
    assert_eq!(
        emails(&storage, "abcd").await,
        ["ada@example.net", "zoe@example.org"]
    );
    assert_eq!(storage.index_search(100).await.unwrap(), 1);
    assert_eq!(indexed_ids(&mut db, "abcdxyz").await, [again.id]);
    assert_eq!(storage.index_search(100).await.unwrap(), 0);
    assert_index_matches_customers(&mut db).await;
}

#[tokio::test]
async fn the_background_indexer_reaches_every_customer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("indexer.db").display());
    let storage = SqliteStorage::open(&url, true).await.unwrap();
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let group = storage.default_group_id().await.unwrap();
    let n = intake::storage::SEARCH_INDEX_CHUNK * 2 + 17;
    // One transaction, as an import writes them: thousands of single-row commits would grow
    // the write-ahead log past 100 MB before the checkpointer starts it over.
    let mut tx = db.begin().await.unwrap();
    for i in 0..n {
        let c = values(
            "Many",
            &format!("Customer{i:05}"),
            &format!("c{i}@example.com"),
            group,
        );
        sqlx::query(
            "INSERT INTO customers (first_name, last_name, full_name, email, email_key, note, \
             accepts_marketing, group_id, search_text, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, '', FALSE, $6, $7, $8, $8)",
        )
        .bind(&c.fields.first_name)
        .bind(&c.fields.last_name)
        .bind(&c.fields.full_name)
        .bind(&c.fields.email)
        .bind(&c.email_key)
        .bind(group)
        .bind(c.search_text())
        .bind(chrono::Utc::now())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (mark, max): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT indexed_through FROM search_index_state), (SELECT MAX(id) FROM customers)",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        if mark == max {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "indexed through {mark} of {max}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(indexed_ids(&mut db, "many").await.len() as i64, n);
    assert_eq!(
        indexed_ids(&mut db, &format!("customer{:05}", n - 1))
            .await
            .len(),
        1
    );
    assert_index_matches_customers(&mut db).await;
}

/// A database written before migration 0008 (customer ids as plain `INTEGER PRIMARY KEY`)
/// keeps its customers, counts and search index through the table's rebuild, and ids that
/// its undo records name are never given again.
#[tokio::test]
async fn a_database_from_before_ids_were_never_reused_upgrades_intact() {
    let dir = tempfile::tempdir().unwrap();
    let earlier = dir.path().join("migrations");
    std::fs::create_dir(&earlier).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0008" {
            std::fs::copy(&path, earlier.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    {
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::migrate::Migrator::new(earlier.as_path())
            .await
            .unwrap()
            .run(&mut db)
            .await
            .unwrap();
        for (id, first, email) in [
            (1, "Ana", "ana@example.com"),
            (2, "Boris", "boris@example.com"),
            (3, "Vera", "vera@example.com"),
        ] {
            sqlx::query(
                "INSERT INTO customers (id, first_name, last_name, full_name, email, email_key, \
                 note, accepts_marketing, group_id, search_text, created_at, updated_at) \
                 VALUES ($1, $2, 'Petrova', '', $3, $3, '', FALSE, 1, $4, $5, $5)",
            )
            .bind(id)
            .bind(first)
            .bind(email)
            .bind(format!("{} petrova {email}", first.to_lowercase()))
            .bind("2026-01-01T00:00:00Z")
            .execute(&mut db)
            .await
            .unwrap();
        }
        // The customers up to 2 are in the search index; an import created ids up to 10, of
        // which only 3 is left, and 3 is then deleted by hand.
        sqlx::query("UPDATE search_index_state SET indexed_through = 2")
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO imports (id, file_name, status, group_id, on_duplicate, settings, created_at) \
             VALUES (1, 'old.csv', 'completed', 1, 'skip', '{}', '2026-01-01T00:00:00Z')",
        )
        .execute(&mut db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO import_changes (import_id, customer_id, last_customer_id, action) \
             VALUES (1, 3, 10, 'created')",
        )
        .execute(&mut db)
        .await
        .unwrap();
        sqlx::query("DELETE FROM customers WHERE id = 3")
            .execute(&mut db)
            .await
            .unwrap();
    }

    let storage = SqliteStorage::open(&url, false).await.unwrap();
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let kept: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM customers ORDER BY id")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert_eq!(
        kept,
        [
            (1, "ana@example.com".into()),
            (2, "boris@example.com".into())
        ]
    );
    let group = storage.default_group_id().await.unwrap();
    let groups = storage.list_groups().await.unwrap();
    let default = groups.iter().find(|g| g.id == group).unwrap();
    assert_eq!(default.customer_count, 2, "the kept counter survives");
    assert_eq!(indexed_ids(&mut db, "petrova").await, [1, 2]);
    assert_eq!(
        emails(&storage, "petrova").await,
        ["ana@example.com", "boris@example.com"]
    );

    let new = storage
        .create_customer(&values("Dana", "Petrova", "dana@example.com", group))
        .await
        .unwrap();
    assert_eq!(
        new.id, 11,
        "the next id after every id an undo record names"
    );
    assert_eq!(
        emails(&storage, "petrova").await,
        ["ana@example.com", "boris@example.com", "dana@example.com"]
    );
    // The indexer still advances (its trigger was recreated with the table).
    assert_eq!(storage.index_search(100).await.unwrap(), 1);
    assert_eq!(indexed_ids(&mut db, "petrova").await, [1, 2, 11]);
    assert_index_matches_customers(&mut db).await;
}
