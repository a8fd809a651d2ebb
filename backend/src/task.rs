//! Background tasks that live only as long as the value that started them.

/// Stops a task when dropped: a reader or writer working ahead of its consumer ends with it
/// (a client that went away, a transaction that failed).
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
