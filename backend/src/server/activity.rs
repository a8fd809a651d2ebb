//! When a connection is idle. A connection is busy from the moment a request's headers are
//! in until its response body has been sent (or dropped); otherwise it is idle, whatever
//! bytes it has sent: nothing, a byte, half a request line, an HTTP/2 preface, or a finished
//! keep-alive exchange. The connection's task closes it once it has been idle too long.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How long an idle connection may stay open. Under pressure (many connections open) the
/// limit shrinks, so silent sockets cannot hold the server's file descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleLimits {
    /// The limit while the server has room.
    pub normal: Duration,
    /// The limit once `crowded` connections or more are open.
    pub crowded_limit: Duration,
    pub crowded: usize,
}

impl IdleLimits {
    /// The idle limit when `open` connections are open.
    pub fn limit(&self, open: usize) -> Duration {
        if open >= self.crowded {
            self.normal.min(self.crowded_limit)
        } else {
            self.normal
        }
    }
}

/// One connection's count of requests in flight (several at once on HTTP/2).
#[derive(Clone)]
pub struct Activity(Arc<watch::Sender<usize>>);

/// A request in flight: held by the response body until it is sent or dropped.
pub struct InFlight(Arc<watch::Sender<usize>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl Default for Activity {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }
}

impl Activity {
    pub fn begin(&self) -> InFlight {
        self.0.send_modify(|n| *n += 1);
        InFlight(self.0.clone())
    }

    /// Resolves once the connection has been idle for its limit; `open` says how many
    /// connections are open now (looked at again every `RECHECK`, as it changes).
    pub async fn idle_too_long(&self, limits: IdleLimits, open: impl Fn() -> usize) {
        /// How often a waiting connection looks at the server's load again.
        const RECHECK: Duration = Duration::from_millis(250);
        let mut rx = self.0.subscribe();
        loop {
            if rx.wait_for(|n| *n == 0).await.is_err() {
                return;
            }
            let since = Instant::now();
            loop {
                let left = limits.limit(open()).saturating_sub(since.elapsed());
                if left.is_zero() {
                    return;
                }
                tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        // A request began (or one of several ended): count again from zero.
                        break;
                    }
                    () = tokio::time::sleep(left.min(RECHECK)) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: IdleLimits = IdleLimits {
        normal: Duration::from_secs(20),
        crowded_limit: Duration::from_secs(1),
        crowded: 100,
    };

    #[test]
    fn the_limit_shrinks_once_the_server_is_crowded() {
        assert_eq!(LIMITS.limit(0), Duration::from_secs(20));
        assert_eq!(LIMITS.limit(99), Duration::from_secs(20));
        assert_eq!(LIMITS.limit(100), Duration::from_secs(1));
        let short = IdleLimits {
            normal: Duration::from_millis(500),
            ..LIMITS
        };
        assert_eq!(short.limit(1000), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_times_out_after_its_limit() {
        let activity = Activity::default();
        let started = Instant::now();
        activity.idle_too_long(LIMITS, || 1).await;
        assert_eq!(started.elapsed().as_secs(), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_keeps_the_connection_open_and_restarts_the_clock() {
        let activity = Activity::default();
        let request = activity.begin();
        let started = Instant::now();
        let waiter = tokio::spawn({
            let activity = activity.clone();
            async move { activity.idle_too_long(LIMITS, || 1).await }
        });
        // A long export: an hour in flight is not idle.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!waiter.is_finished());
        drop(request);
        waiter.await.unwrap();
        assert_eq!(started.elapsed().as_secs(), 3600 + 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_crowded_server_closes_idle_connections_sooner() {
        let activity = Activity::default();
        let open = std::sync::atomic::AtomicUsize::new(1);
        let started = Instant::now();
        let waiter = async {
            activity
                .idle_too_long(LIMITS, || open.load(std::sync::atomic::Ordering::Relaxed))
                .await
        };
        let crowd = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            open.store(500, std::sync::atomic::Ordering::Relaxed);
            std::future::pending::<()>().await
        };
        tokio::select! {
            () = waiter => {}
            () = crowd => unreachable!(),
        }
        // Idle for 5 s already when the crowd came: past the crowded limit at once.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
            "{waited:?}"
        );
    }
}
