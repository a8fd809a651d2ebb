//! The connection loop. `axum::serve` gives hyper no timer and no limits, so here:
//! - every connection is closed once it has been idle too long (no request in flight),
//!   whatever it sent, on HTTP/1 and HTTP/2 alike ([`activity`]); the limit shrinks when the
//!   server is crowded, so silent sockets cannot use up its file descriptors;
//! - HTTP/1 request headers must arrive within the header timeout (slowloris);
//! - open connections are capped below the process's file-descriptor limit: past the cap,
//!   new connections wait in the listen backlog and a warning is logged;
//! - each request learns the client's address (the rate limiters); shutdown is graceful.

mod activity;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use activity::Activity;
pub use activity::IdleLimits;

/// File descriptors kept back from connections: the database pool, upload spools, logs.
const RESERVED_FDS: u64 = 64;
/// How long a connection asked to close gracefully (idle, or the server stopping between
/// requests) may take before its socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The limits of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time a client may take to send an HTTP/1 request's headers.
    pub header_timeout: Duration,
    /// Time a connection may stay open without a request in flight.
    pub idle_timeout: Duration,
    /// Most connections open at once (lowered to fit the file-descriptor limit).
    pub max_connections: usize,
}

impl ServeLimits {
    /// The cap actually used: `max_connections`, but never more than the process may open
    /// with `RESERVED_FDS` to spare (`fd_limit` is the soft `RLIMIT_NOFILE`).
    pub fn connection_cap(&self, fd_limit: Option<u64>) -> usize {
        let room = fd_limit.map_or(usize::MAX, |l| {
            usize::try_from(l.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX)
        });
        self.max_connections.min(room).max(1)
    }

    /// Past three quarters of the cap, idle connections get a second.
    pub fn idle_limits(&self, cap: usize) -> IdleLimits {
        IdleLimits {
            normal: self.idle_timeout,
            crowded_limit: Duration::from_secs(1),
            crowded: (cap / 4 * 3).max(1),
        }
    }
}

fn fd_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// Serve `app` until `shutdown` resolves, then let open requests finish (30 s at most).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);

    let cap = limits.connection_cap(fd_limit());
    let idle = limits.idle_limits(cap);
    tracing::info!(
        max_connections = cap,
        idle_timeout_secs = limits.idle_timeout.as_secs_f64(),
        "accepting connections"
    );
    let permits = Arc::new(Semaphore::new(cap));
    let connections = TaskTracker::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    let full_logged = AtomicBool::new(false);
    tokio::pin!(shutdown);
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if !full_logged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        max_connections = cap,
                        "open connections reached the limit; new ones wait until idle ones close"
                    );
                }
                tokio::select! {
                    p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if permits.available_permits() > cap / 2 {
            // Room again: the next time the cap is reached is worth a line in the log.
            full_logged.store(false, Ordering::Relaxed);
        }
        // Responses are written whole or streamed in large chunks: Nagle's algorithm would
        // only hold a small first chunk (an export's header row) back for a delayed ACK.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY failed");
        }
        let builder = builder.clone();
        let app = app.clone();
        let mut stop = stop_rx.clone();
        let permits_left = permits.clone();
        connections.spawn(async move {
            let _permit = permit;
            let activity = Activity::default();
            let service = service(app, remote, activity.clone());
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
            tokio::pin!(connection);
            let open = || cap - permits_left.available_permits();
            let stopping = tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = activity.idle_too_long(idle, open) => false,
                _ = stop.wait_for(|s| *s) => true,
            };
            connection.as_mut().graceful_shutdown();
            if stopping {
                // The server is stopping: requests in flight get the server's grace period.
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            } else if tokio::time::timeout(CLOSE_GRACE, connection).await.is_err() {
                // Idle with half a request, or an HTTP/2 client ignoring GOAWAY: drop the socket.
                tracing::debug!(%remote, "closed an idle connection");
            }
        });
    }
    // Give open requests (a long export, say) a while to finish.
    let _ = stop_tx.send(true);
    connections.close();
    tokio::select! {
        () = connections.wait() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => tracing::warn!("connections still open after 30 s; closing"),
    }
    Ok(())
}

/// The app as one connection's service: each request carries the client's address, and
/// counts as in flight until its response body is sent or dropped.
fn service(
    app: Router,
    remote: SocketAddr,
    activity: Activity,
) -> impl tower::Service<
    axum::http::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
        let in_flight = activity.begin();
        let app = app.clone();
        async move {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            let response = app.oneshot(req).await?;
            Ok(response.map(|body| {
                axum::body::Body::new(body.map_frame(move |frame| {
                    let _held = &in_flight;
                    frame
                }))
            }))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize) -> ServeLimits {
        ServeLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(20),
            max_connections: max,
        }
    }

    #[test]
    fn the_connection_cap_fits_the_file_descriptor_limit() {
        assert_eq!(limits(10_000).connection_cap(Some(256)), 192);
        assert_eq!(limits(100).connection_cap(Some(256)), 100);
        assert_eq!(limits(10_000).connection_cap(None), 10_000);
        // A limit below the reserve still lets one connection in.
        assert_eq!(limits(10_000).connection_cap(Some(10)), 1);
    }

    #[test]
    fn idle_connections_get_a_second_past_three_quarters_of_the_cap() {
        let idle = limits(10_000).idle_limits(192);
        assert_eq!(idle.crowded, 144);
        assert_eq!(idle.limit(143), Duration::from_secs(20));
        assert_eq!(idle.limit(144), Duration::from_secs(1));
    }
}
