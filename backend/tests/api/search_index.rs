//! SQLite's search index is filled in the background (storage/search_index.rs): the text
//! filter must be exact before, while and after the indexer reaches a customer, and the
//! index must match the customers at the end.

use intake::storage::{CustomerValues, SqliteStorage, Storage};
use shared::api::{CustomerFilter, CustomerSort};
use sqlx::Connection;

fn values(first: &str, last: &str, email: &str, group_id: i64) -> CustomerValues {
    CustomerValues {
        first_name: first.into(),
        last_name: last.into(),
        full_name: format!("{first} {last}"),
        email: email.into(),
        email_key: email.to_lowercase(),
        note: String::new(),
        accepts_marketing: false,
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
    let found: Vec<String> = page.items.into_iter().map(|c| c.email).collect();
    assert_eq!(page.total, found.len() as i64, "{q}");
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
        .bind(&c.first_name)
        .bind(&c.last_name)
        .bind(&c.full_name)
        .bind(&c.email)
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
