//! Customers: the list with its filters and sorts, the export's pages, and edits by hand.

use async_trait::async_trait;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use shared::api::{Customer, CustomerFilter, CustomerSort, Id, Page};
use shared::customer::CustomerFields;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, QueryBuilder, Type};

use super::engine::{Engine, Store};
use super::{CustomerUpdate, CustomerValues, ExportRow, Result, StorageError};

const CUSTOMER_COLUMNS: &str = "c.id, c.first_name, c.last_name, c.full_name, c.email, c.note, \
    c.accepts_marketing, c.group_id, g.name AS group_name, c.import_id, c.created_at, c.updated_at";

/// `q` as a LIKE pattern over `search_text`: lower-cased, wildcards escaped.
fn like_pattern(q: &Option<String>) -> Option<String> {
    let q = q.as_deref()?.trim();
    if q.is_empty() {
        return None;
    }
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    // NUL is never stored (the rules drop it) and PostgreSQL refuses it in a parameter.
    for ch in q.to_lowercase().chars().filter(|c| *c != '\0') {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    Some(p)
}

fn order_by(sort: CustomerSort) -> &'static str {
    match sort {
        CustomerSort::CreatedAt => "c.created_at ASC, c.id ASC",
        CustomerSort::CreatedAtDesc => "c.created_at DESC, c.id DESC",
        CustomerSort::Email => "c.email_key ASC, c.id ASC",
        CustomerSort::LastName => "c.last_name ASC, c.first_name ASC, c.id ASC",
    }
}

/// A customer as [`CUSTOMER_COLUMNS`] reads it; `From` is the one conversion to the API's.
#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    first_name: String,
    last_name: String,
    full_name: String,
    email: String,
    note: String,
    accepts_marketing: bool,
    group_id: i64,
    group_name: String,
    import_id: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Customer {
            id: r.id,
            fields: CustomerFields {
                first_name: r.first_name,
                last_name: r.last_name,
                full_name: r.full_name,
                email: r.email,
                note: r.note,
                accepts_marketing: r.accepts_marketing,
            },
            group_id: r.group_id,
            group_name: r.group_name,
            import_id: r.import_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Customers read, written by hand and exported.
#[async_trait]
pub trait Customers: Send + Sync {
    async fn list_customers(
        &self,
        filter: &CustomerFilter,
        sort: CustomerSort,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Customer>>;
    /// The lowest and highest customer id and the number of customers (None without
    /// customers): the span the export's pages divide into id ranges.
    async fn customer_id_span(&self) -> Result<Option<(Id, Id, i64)>>;
    /// Up to `limit` matching customers with ids in `after_id + 1..=up_to`, in id order,
    /// with the export's columns: the export's pages (id ranges or keyset, so memory stays
    /// flat however many match).
    async fn export_page(
        &self,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) -> Result<Vec<ExportRow>>;
    async fn get_customer(&self, id: Id) -> Result<Customer>;
    async fn create_customer(&self, values: &CustomerValues) -> Result<Customer>;
    async fn update_customer(&self, id: Id, values: &CustomerValues) -> Result<Customer>;
    async fn delete_customer(&self, id: Id) -> Result<()>;
}

#[async_trait]
impl<E> Customers for Store<E>
where
    E: Engine,
    for<'c> &'c mut E::Connection: Executor<'c, Database = E>,
    for<'q> E::Arguments<'q>: IntoArguments<'q, E>,
    usize: ColumnIndex<E::Row>,
    for<'a> &'a str: ColumnIndex<E::Row> + Type<E> + Encode<'a, E>,
    for<'a> Option<&'a str>: Type<E> + Encode<'a, E>,
    i64: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    bool: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    String: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    DateTime<Utc>: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
{
    async fn list_customers(
        &self,
        filter: &CustomerFilter,
        sort: CustomerSort,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Customer>> {
        let by_group_only = like_pattern(&filter.q).is_none()
            && CustomerFilter {
                group_id: None,
                q: None,
                ..filter.clone()
            } == CustomerFilter::default();
        // The page's ids first, from the sort's index alone, then their rows: rows
        // skipped by OFFSET are never read (a deep page of a million costs an index
        // walk, not thousands of row lookups). Two statements rather than a join, so
        // that no query planner can turn it back into a scan.
        let searched = like_pattern(&filter.q).is_some();
        if searched {
            self.searches.searched();
        }
        let mut ids: QueryBuilder<E> = QueryBuilder::new("SELECT c.id, ");
        if by_group_only {
            // The total, kept by triggers (migration 0002), comes with the page: one
            // round trip fewer per page.
            Self::push_counted_total(&mut ids, filter);
        } else if searched {
            // A text filter reads every match anyway: the total comes from the same
            // statement (a search used to read them twice: 116 ms against 70 for 22,000
            // matches of 202,000 customers).
            ids.push("COUNT(*) OVER ()");
        } else {
            // Other filters walk the sort's index and stop after the page; a total over
            // the window would read every match first (100 ms against 29 + 0.1).
            ids.push("CAST(0 AS BIGINT)");
        }
        ids.push(" FROM customers c WHERE TRUE");
        Self::push_filter(&mut ids, filter, None);
        ids.push(format!(" ORDER BY {} LIMIT ", order_by(sort)));
        ids.push_bind(per_page);
        ids.push(" OFFSET ");
        ids.push_bind((page - 1) * per_page);
        let rows: Vec<(i64, i64)> = E::built_as(&mut ids).fetch_all(&self.read).await?;
        let total = rows
            .first()
            .filter(|_| by_group_only || searched)
            .map(|&(_, total)| total);
        let ids: Vec<i64> = rows.into_iter().map(|(id, _)| id).collect();
        let total = match total {
            Some(total) => total,
            // Counted apart, or a page past the last match (no row carried the total).
            None => self.count_customers(filter, by_group_only).await?,
        };
        let mut items = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let mut qb: QueryBuilder<E> = QueryBuilder::new(format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers c JOIN customer_groups g ON g.id = c.group_id WHERE c.id IN ("
            ));
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            let rows: Vec<CustomerRow> = E::built_as(&mut qb).fetch_all(&self.read).await?;
            let mut by_id: HashMap<i64, CustomerRow> =
                rows.into_iter().map(|r| (r.id, r)).collect();
            // A customer deleted between the two reads is left out of the page.
            items.extend(
                ids.iter()
                    .filter_map(|id| by_id.remove(id))
                    .map(Customer::from),
            );
        }
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    async fn customer_id_span(&self) -> Result<Option<(Id, Id, i64)>> {
        // The count is the one kept by triggers (migration 0002), not a scan.
        let (first, last, count): (Option<Id>, Option<Id>, i64) = sqlx::query_as(
            "SELECT (SELECT MIN(id) FROM customers), (SELECT MAX(id) FROM customers), \
             (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM customer_counts)",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(first.zip(last).map(|(first, last)| (first, last, count)))
    }

    async fn export_page(
        &self,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) -> Result<Vec<ExportRow>> {
        if like_pattern(&filter.q).is_some() {
            self.searches.searched();
        }
        E::export_rows(self, filter, after_id, up_to, limit).await
    }

    async fn get_customer(&self, id: Id) -> Result<Customer> {
        let row: CustomerRow = sqlx::query_as(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c JOIN customer_groups g ON g.id = c.group_id WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StorageError::NotFound)?;
        Ok(row.into())
    }

    async fn create_customer(&self, values: &CustomerValues) -> Result<Customer> {
        let mut tx = self.begin_write().await?;
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM customers WHERE email_key = $1")
            .bind(&values.email_key)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StorageError::Conflict(format!(
                "a customer with the email {} already exists",
                values.fields.email
            )));
        }
        let taken = || {
            format!(
                "a customer with the email {} already exists",
                values.fields.email
            )
        };
        let ids = E::insert_customers(
            &mut tx,
            std::slice::from_ref(values),
            None,
            None,
            Utc::now(),
        )
        .await
        .map_err(|e| e.unique_violation_as(taken))?;
        let Some(Some(id)) = ids.first().copied() else {
            return Err(StorageError::Conflict(taken()));
        };
        tx.commit()
            .await
            .map_err(|e| StorageError::from(e).unique_violation_as(taken))?;
        self.get_customer(id).await
    }

    async fn update_customer(&self, id: Id, values: &CustomerValues) -> Result<Customer> {
        let mut tx = self.begin_write().await?;
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM customers WHERE email_key = $1 AND id <> $2")
                .bind(&values.email_key)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StorageError::Conflict(format!(
                "a customer with the email {} already exists",
                values.fields.email
            )));
        }
        let import_id: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT import_id FROM customers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((import_id,)) = import_id else {
            return Err(StorageError::NotFound);
        };
        let update = CustomerUpdate {
            id,
            values: values.clone(),
            import_id,
        };
        let taken = || {
            format!(
                "a customer with the email {} already exists",
                values.fields.email
            )
        };
        E::update_customers(&mut tx, std::slice::from_ref(&update), Utc::now())
            .await
            .map_err(|e| StorageError::from(e).unique_violation_as(taken))?;
        tx.commit()
            .await
            .map_err(|e| StorageError::from(e).unique_violation_as(taken))?;
        self.get_customer(id).await
    }

    async fn delete_customer(&self, id: Id) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM customers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if E::rows_affected(&done) == 0 {
            Err(StorageError::NotFound)
        } else {
            Ok(())
        }
    }
}

impl<E> Store<E>
where
    E: Engine,
    for<'c> &'c mut E::Connection: Executor<'c, Database = E>,
    for<'q> E::Arguments<'q>: IntoArguments<'q, E>,
    usize: ColumnIndex<E::Row>,
    for<'a> &'a str: ColumnIndex<E::Row> + Type<E> + Encode<'a, E>,
    for<'a> Option<&'a str>: Type<E> + Encode<'a, E>,
    i64: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    bool: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    String: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    DateTime<Utc>: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
{
    /// The number of customers in the filter's group (or in all), from the counters kept
    /// by triggers (migration 0002), as a scalar subquery.
    fn push_counted_total(qb: &mut QueryBuilder<'_, E>, filter: &CustomerFilter) {
        qb.push("(SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM customer_counts WHERE TRUE");
        if let Some(g) = filter.group_id {
            qb.push(" AND group_id = ").push_bind(g);
        }
        qb.push(")");
    }

    /// How many customers the filter matches: from the counters kept by triggers
    /// (migration 0002, no scan) when it filters by group only, else counted.
    async fn count_customers(&self, filter: &CustomerFilter, by_group_only: bool) -> Result<i64> {
        let mut count: QueryBuilder<E> = if by_group_only {
            let mut qb = QueryBuilder::new("SELECT ");
            Self::push_counted_total(&mut qb, filter);
            qb
        } else {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM customers c WHERE TRUE");
            Self::push_filter(&mut qb, filter, None);
            qb
        };
        let (total,): (i64,) = E::built_as(&mut count).fetch_one(&self.read).await?;
        Ok(total)
    }

    /// The export page's query: the exported columns of the matching customers after
    /// `after_id`, in id order (each engine reads it its own way).
    pub(super) fn push_export_page(
        qb: &mut QueryBuilder<'_, E>,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) {
        qb.push(
            "SELECT c.id, c.first_name, c.last_name, c.email, c.note, c.accepts_marketing, \
             c.group_id, c.created_at FROM customers c WHERE c.id > ",
        );
        qb.push_bind(after_id);
        qb.push(" AND c.id <= ");
        qb.push_bind(up_to);
        Self::push_filter(qb, filter, Some((after_id, up_to)));
        qb.push(" ORDER BY c.id LIMIT ");
        qb.push_bind(limit);
    }

    /// Append the filter's active conditions (` AND ...`), so that the query planner
    /// sees only real predicates and can use the indexes (a `$1 IS NULL OR ...` form
    /// defeats them in both engines). `ids`, the range `(after, up_to]` the statement is
    /// limited to, if any, also limits the text index's part.
    pub(super) fn push_filter(
        qb: &mut QueryBuilder<'_, E>,
        filter: &CustomerFilter,
        ids: Option<(Id, Id)>,
    ) {
        if let Some(g) = filter.group_id {
            qb.push(" AND c.group_id = ").push_bind(g);
        }
        if let Some(m) = filter.accepts_marketing {
            qb.push(" AND c.accepts_marketing = ").push_bind(m);
        }
        if let Some(p) = like_pattern(&filter.q) {
            match E::TEXT_INDEX {
                // A trigram index takes a LIKE of three or more characters, but only
                // without ESCAPE (so not for text with `%`, `_` or `\`).
                Some(index) if !p.contains('\\') && p.chars().count() >= 5 => {
                    qb.push(" AND c.id IN (").push(index.index);
                    if let Some((after, up_to)) = ids {
                        qb.push(index.index_id).push(" > ").push_bind(after);
                        qb.push(" AND ").push(index.index_id).push(" <= ");
                        qb.push_bind(up_to).push(" AND ");
                    }
                    qb.push("search_text LIKE ").push_bind(p.clone());
                    qb.push(index.tail);
                    if let Some((after, up_to)) = ids {
                        qb.push(index.tail_id).push(" > ").push_bind(after);
                        qb.push(" AND ").push(index.tail_id).push(" <= ");
                        qb.push_bind(up_to).push(" AND ");
                    }
                    qb.push(index.tail_condition);
                    qb.push(" AND search_text LIKE ").push_bind(p).push(")");
                }
                _ => {
                    qb.push(" AND c.search_text LIKE ")
                        .push_bind(p)
                        .push(" ESCAPE '\\'");
                }
            }
        }
        if let Some(from) = filter.created_from {
            qb.push(" AND c.created_at >= ").push_bind(from);
        }
        if let Some(to) = filter.created_to {
            qb.push(" AND c.created_at <= ").push_bind(to);
        }
        if let Some(i) = filter.import_id {
            qb.push(" AND c.import_id = ").push_bind(i);
        }
    }
}
