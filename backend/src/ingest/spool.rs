//! A raw upload written to `<data dir>/uploads/<random>.csv` and made durable, whether it
//! comes as an HTTP body (`POST /api/imports/csv`) or as a local file (`intake import`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

/// An upload that sends nothing for this long is cut off.
const UPLOAD_IDLE: Duration = Duration::from_secs(60);
/// After this grace period an upload must have averaged at least the minimum rate.
const UPLOAD_GRACE: Duration = Duration::from_secs(10);
const UPLOAD_MIN_BYTES_PER_SEC: f64 = 1024.0;

/// How much a spool takes, and how slowly.
#[derive(Debug, Clone, Copy)]
pub struct SpoolLimits {
    pub max_bytes: u64,
    /// Whether a sender that stalls or trickles is cut off (an HTTP upload is exempt from the
    /// request timeout, since a big file takes long; a local file needs no such guard).
    pub cut_off_slow: bool,
}

impl SpoolLimits {
    /// An HTTP upload: at most `max_bytes`, slow senders cut off.
    pub fn upload(max_bytes: u64) -> SpoolLimits {
        SpoolLimits {
            max_bytes,
            cut_off_slow: true,
        }
    }

    /// A local file: any size, at any pace.
    pub fn local() -> SpoolLimits {
        SpoolLimits {
            max_bytes: u64::MAX,
            cut_off_slow: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The uploads directory could not be made, or the file named.
    #[error("preparing the uploads directory: {0}")]
    Directory(std::io::Error),
    #[error("the file is larger than the upload limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload stalled or came in too slowly")]
    TooSlow,
    /// The source broke off.
    #[error("the upload broke off: {0}")]
    Interrupted(String),
    /// Writing the file failed (a full disk, ...).
    #[error("writing the upload: {0}")]
    Write(std::io::Error),
}

/// Writes `source` to a new file in `<data_dir>/uploads` and syncs it; returns its absolute
/// path. Nothing is left behind on failure.
pub async fn spool_upload<S, B, E>(
    data_dir: &Path,
    source: &mut S,
    limits: SpoolLimits,
) -> Result<PathBuf, SpoolError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let dir = uploads_dir(data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(SpoolError::Directory)?;
    let path = std::path::absolute(dir.join(format!("{}.csv", crate::auth::random_token(16))))
        .map_err(SpoolError::Directory)?;
    if let Err(e) = write_limited(source, &path, limits).await {
        discard(&path).await;
        return Err(e);
    }
    Ok(path)
}

/// Where uploads are spooled under the data directory.
pub fn uploads_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("uploads")
}

/// How old an unclaimed file must be before the sweep deletes it: one being written now (by
/// another server sharing the directory) is younger.
pub const ORPHAN_MIN_AGE: Duration = Duration::from_secs(3600);

/// Whether a file in the uploads directory is an orphan: no import still needs it, and it
/// was last written `age` ago, long enough not to be an upload in progress.
pub fn is_orphan(path: &Path, in_use: &std::collections::HashSet<PathBuf>, age: Duration) -> bool {
    !in_use.contains(path) && age >= ORPHAN_MIN_AGE
}

/// Delete the orphans under the uploads directory (at start-up: files of imports that ended
/// while the server was down, or of a crash between a split and its clean-up). Returns how
/// many went.
pub async fn sweep_orphans(
    data_dir: &Path,
    in_use: &std::collections::HashSet<PathBuf>,
) -> std::io::Result<usize> {
    let mut entries = match tokio::fs::read_dir(uploads_dir(data_dir)).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let meta = entry.metadata().await?;
        if !meta.is_file() {
            continue;
        }
        let path = std::path::absolute(entry.path())?;
        let age = meta.modified()?.elapsed().unwrap_or_default();
        if is_orphan(&path, in_use, age) {
            discard(&path).await;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes a spooled file once it is no longer needed (split into batches, or refused).
pub async fn discard(path: &Path) {
    let _ = tokio::fs::remove_file(path).await;
}

async fn write_limited<S, B, E>(
    source: &mut S,
    path: &Path,
    limits: SpoolLimits,
) -> Result<u64, SpoolError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(SpoolError::Write)?;
    let mut total = 0u64;
    let started = Instant::now();
    loop {
        let next = if limits.cut_off_slow {
            match tokio::time::timeout(UPLOAD_IDLE, source.next()).await {
                Ok(next) => next,
                Err(_) => return Err(SpoolError::TooSlow),
            }
        } else {
            source.next().await
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| SpoolError::Interrupted(e.to_string()))?;
        let chunk = chunk.as_ref();
        total += chunk.len() as u64;
        let elapsed = started.elapsed();
        if limits.cut_off_slow
            && elapsed > UPLOAD_GRACE
            && (total as f64) < UPLOAD_MIN_BYTES_PER_SEC * elapsed.as_secs_f64()
        {
            return Err(SpoolError::TooSlow);
        }
        if total > limits.max_bytes {
            return Err(SpoolError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        file.write_all(chunk).await.map_err(SpoolError::Write)?;
    }
    // Durable before the import is queued.
    file.sync_all().await.map_err(SpoolError::Write)?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sweep_deletes_old_unclaimed_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = uploads_dir(dir.path());
        std::fs::create_dir_all(&uploads).unwrap();
        let old = std::time::SystemTime::now() - ORPHAN_MIN_AGE - Duration::from_secs(5);
        let file = |name: &str, modified: Option<std::time::SystemTime>| {
            let path = std::path::absolute(uploads.join(name)).unwrap();
            let f = std::fs::File::create(&path).unwrap();
            if let Some(t) = modified {
                f.set_modified(t).unwrap();
            }
            path
        };
        let orphan = file("orphan.csv", Some(old));
        let needed = file("needed.csv", Some(old));
        let fresh = file("fresh.csv", None);
        let in_use = std::collections::HashSet::from([needed.clone()]);
        assert_eq!(sweep_orphans(dir.path(), &in_use).await.unwrap(), 1);
        assert!(!orphan.exists());
        assert!(needed.exists() && fresh.exists());
        // No uploads directory yet: nothing to do.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(sweep_orphans(empty.path(), &in_use).await.unwrap(), 0);
    }

    fn chunks(
        parts: &[&'static [u8]],
    ) -> impl Stream<Item = Result<&'static [u8], String>> + Unpin {
        futures::stream::iter(parts.iter().map(|p| Ok(*p)).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn a_spooled_upload_holds_every_byte_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = spool_upload(
            dir.path(),
            &mut chunks(&[b"a,b\n", b"1,2\n"]),
            SpoolLimits::local(),
        )
        .await
        .unwrap();
        assert!(path.is_absolute() && path.starts_with(dir.path().join("uploads")));
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n1,2\n");
    }

    #[tokio::test]
    async fn an_upload_over_the_limit_is_refused_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let refused = spool_upload(
            dir.path(),
            &mut chunks(&[b"12345", b"6789"]),
            SpoolLimits::upload(8),
        )
        .await;
        assert!(
            matches!(refused, Err(SpoolError::TooLarge { limit: 8 })),
            "{refused:?}"
        );
        let left = std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .count();
        assert_eq!(left, 0);
    }

    #[tokio::test]
    async fn a_source_that_breaks_off_is_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let mut source = futures::stream::iter(vec![Ok(&b"a"[..]), Err("reset".to_owned())]);
        let broken = spool_upload(dir.path(), &mut source, SpoolLimits::local()).await;
        assert!(
            matches!(&broken, Err(SpoolError::Interrupted(e)) if e == "reset"),
            "{broken:?}"
        );
    }
}
