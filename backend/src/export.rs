//! The customer export: CSV written page by page from storage, used by
//! `GET /api/customers/export.csv` and `intake export`. No HTTP in it.

use std::collections::HashMap;

use futures::StreamExt;
use shared::api::{CustomerFilter, Id};
use shared::export::ExportOptions;

use crate::storage::{Storage, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A delimiter the export does not write.
    #[error("delimiter must be comma, semicolon or tab, not {0}.")]
    InvalidDelimiter(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Customer ids per export page (one database round trip; at most this many customers).
const EXPORT_PAGE: i64 = 2000;
/// Pages written ahead of the response.
const EXPORT_PAGES_AHEAD: usize = 2;
/// Pages read from the database at once.
const EXPORT_PAGES_READ_AT_ONCE: usize = 2;
/// Id ranges as pages while the ids span less than this many per customer; keyset pages
/// beyond (see `write_export_pages`).
const RANGES_UP_TO_SPAN_PER_CUSTOMER: i64 = 4;

/// The spreadsheet options: `comma` (default), `semicolon` or `tab` (or the character), and
/// whether to start with a byte-order mark.
pub fn export_options(
    delimiter: Option<&str>,
    bom: Option<bool>,
) -> Result<ExportOptions, ExportError> {
    let delimiter = match delimiter.unwrap_or("comma") {
        "comma" | "," => b',',
        "semicolon" | ";" => b';',
        "tab" | "\t" => b'\t',
        other => return Err(ExportError::InvalidDelimiter(other.to_owned())),
    };
    Ok(ExportOptions {
        delimiter,
        bom: bom.unwrap_or(false),
    })
}

/// The export as a stream of CSV chunks: the header, then one chunk per page of customers,
/// fetched by keyset so memory stays flat and the first byte leaves at once. A task writes
/// the pages ahead of the response (at most [`EXPORT_PAGES_AHEAD`]), so that the database
/// read, the CSV writing and the sending overlap; dropping the stream (a client that went
/// away) stops it.
pub fn export_stream(
    storage: std::sync::Arc<dyn Storage>,
    filter: CustomerFilter,
    opts: ExportOptions,
) -> impl futures::Stream<Item = Result<Vec<u8>, ExportError>> + Send {
    let (tx, rx) = tokio::sync::mpsc::channel(EXPORT_PAGES_AHEAD);
    let task =
        tokio::spawn(async move { write_export(storage.as_ref(), &filter, &opts, tx).await });
    let task = crate::task::AbortOnDrop(task);
    futures::stream::unfold((rx, task), |(mut rx, task)| async move {
        rx.recv().await.map(|chunk| (chunk, (rx, task)))
    })
}

/// Writes the export (the header, then a chunk per page, or an error) into `tx`, until it
/// is complete or the receiver is gone.
pub async fn write_export(
    storage: &dyn Storage,
    filter: &CustomerFilter,
    opts: &ExportOptions,
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, ExportError>>,
) {
    let mut header = Vec::new();
    shared::export::write_export_header(opts, &mut header);
    if tx.send(Ok(header)).await.is_err() {
        return;
    }
    if let Err(e) = write_export_pages(storage, filter, opts, &tx).await {
        let _ = tx.send(Err(e.into())).await;
    }
}

async fn write_export_pages(
    storage: &dyn Storage,
    filter: &CustomerFilter,
    opts: &ExportOptions,
    tx: &tokio::sync::mpsc::Sender<Result<Vec<u8>, ExportError>>,
) -> Result<(), StorageError> {
    let Some((first, last, count)) = storage.customer_id_span().await? else {
        return Ok(());
    };
    let mut pages = if last - first < RANGES_UP_TO_SPAN_PER_CUSTOMER * count {
        // Pages are ranges of ids, known before any is read (unlike keyset pages, which
        // need the previous page's last id), so the next page is read while this one is
        // written: the database and the CSV writing work at the same time. Customers
        // created after the export started (ids above the span) are not part of it.
        let ranges = (first - 1..last)
            .step_by(EXPORT_PAGE as usize)
            .map(move |after| (after, (after + EXPORT_PAGE).min(last)));
        futures::stream::iter(ranges)
            .map(|(after, up_to)| storage.export_page(filter, after, up_to, EXPORT_PAGE))
            .buffered(EXPORT_PAGES_READ_AT_ONCE)
            .boxed()
    } else {
        // Ids far apart (many customers deleted, e.g. imports undone): ranges would be
        // mostly empty queries, so pages follow each other by keyset, one at a time.
        futures::stream::try_unfold(Some(first - 1), move |after| async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let page = storage
                .export_page(filter, after, last, EXPORT_PAGE)
                .await?;
            let next = (page.len() as i64 == EXPORT_PAGE)
                .then(|| page.last().map(|r| r.id))
                .flatten();
            Ok(Some((page, next)))
        })
        .boxed()
    };
    // Groups are few: named from a map, read again if a page names a group created since.
    let mut groups: HashMap<Id, String> = HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page?;
        if page.is_empty() {
            continue;
        }
        if page.iter().any(|r| !groups.contains_key(&r.group_id)) {
            groups = storage
                .list_groups()
                .await?
                .into_iter()
                .map(|g| (g.id, g.name))
                .collect();
        }
        let out = crate::cpu::heavy(|| {
            let mut out = Vec::with_capacity(page.len() * 112);
            for r in &page {
                // A group deleted since the page was read: its customers moved.
                let group_name = groups.get(&r.group_id).map_or("", String::as_str);
                shared::export::write_export_record(&r.record, group_name, opts, &mut out);
            }
            out
        });
        if tx.send(Ok(out)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}
