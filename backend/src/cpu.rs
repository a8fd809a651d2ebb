//! CPU-heavy steps (validating, hashing and encoding a batch of up to 10,000 rows, parsing
//! a chunk of an uploaded file) taken off the async worker threads' queues, so that a
//! running import does not hold up the requests of everyone else.

/// Run `f` and, on a multi-threaded runtime, let the other tasks of this worker thread move
/// to another thread meanwhile. On a current-thread runtime (in-process tests) `f` just runs.
pub fn heavy<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
