//! The import page's state machine: where the wizard is, and how each answer of the parse
//! worker moves it. Plain data and pure functions (no signals, no DOM), so the wasm tests
//! can drive it message by message.

use shared::api::{Id, Import};
use shared::import::{IgnoredReason, MatchReason, Target};

use crate::protocol::{FromWorker, Preview};

/// Where the wizard is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// No preview yet (no file, or the first preview is under way).
    Choose,
    /// A preview is shown: the user maps, checks, starts.
    Ready,
    /// The worker sends the file to `import` (`None` while the import is being created).
    Uploading {
        import: Option<Id>,
        paused: bool,
    },
    /// Every batch is stored, the import not committed yet: the page commits it, at once or
    /// after showing a dry run ("What will happen").
    Stored {
        import: Id,
        batches: u32,
        rows: u64,
    },
    /// The import is committed; the page polls it until it ends.
    Following(Id),
    Done(Import),
}

impl Phase {
    /// An upload or a queued import is under way: the controls that would change it are off.
    pub fn busy(&self) -> bool {
        matches!(
            self,
            Phase::Uploading { .. } | Phase::Stored { .. } | Phase::Following(_)
        )
    }

    /// The import being uploaded, once it exists.
    pub fn uploading_to(&self) -> Option<Id> {
        match self {
            Phase::Uploading { import, .. } => *import,
            _ => None,
        }
    }
}

/// The phase after the worker's `answer`.
pub fn apply(phase: Phase, answer: &FromWorker) -> Phase {
    match (phase, answer) {
        // The first preview of a file.
        (Phase::Choose, FromWorker::Preview(_)) => Phase::Ready,
        // Every batch is stored: the page commits (see `Phase::Stored`).
        (
            Phase::Uploading {
                import: Some(id), ..
            },
            FromWorker::Uploaded { progress, batches },
        ) => Phase::Stored {
            import: id,
            batches: *batches,
            rows: progress.rows,
        },
        (_, FromWorker::Stopped) => Phase::Ready,
        (Phase::Uploading { .. }, FromWorker::Failed { .. }) => Phase::Ready,
        (phase, _) => phase,
    }
}

/// The columns' targets after the user picks `chosen` for `column`: a field is filled by one
/// column, so taking it elsewhere frees it there.
pub fn choose_target(
    mut mapping: Vec<Option<Target>>,
    column: usize,
    chosen: Option<Target>,
) -> Vec<Option<Target>> {
    if chosen.is_some() {
        for m in mapping.iter_mut() {
            if *m == chosen {
                *m = None;
            }
        }
    }
    if let Some(slot) = mapping.get_mut(column) {
        *slot = chosen;
    }
    mapping
}

/// The rows per second and seconds left of a transfer `elapsed` seconds in; `None` in its
/// first half second (too early to say) and before any byte.
pub fn rate(rows: u64, bytes_done: f64, bytes_total: f64, elapsed: f64) -> Option<(f64, f64)> {
    (elapsed > 0.5 && bytes_done > 0.0).then(|| {
        let per_second = rows as f64 / elapsed;
        let left = elapsed * (bytes_total - bytes_done) / bytes_done;
        (per_second, left)
    })
}

/// Whether a file's first preview can go straight on to the whole-file check, one click less:
/// a saved profile mapped it, or it has a header line whose every column is either a known
/// name of its field or a known name of something that cannot be imported (a phone, an
/// address), and some column is imported. A guess from values, a fuzzy or keyword match, or
/// an unknown column waits for the user.
pub fn straight_to_check(p: &Preview, from_profile: bool) -> bool {
    if p.problem.is_some() || !p.columns.iter().any(|c| c.target.is_some()) {
        return false;
    }
    from_profile
        || (p.has_header
            && p.columns.iter().all(|c| match c.target {
                Some(_) => matches!(c.reason, Some(MatchReason::Synonym { .. })),
                None => c.ignored_reason == Some(IgnoredReason::NotImportable),
            }))
}
