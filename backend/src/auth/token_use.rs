//! When an API token's last use is written. Every bearer request looking up its token must
//! not also be a database write: a use is written when the stored one is older than
//! [`RECORD_EVERY`] (or missing), at most once per interval per token from this process
//! (concurrent requests do not each start a write), off the request's path, and a write
//! that fails is logged, never the request's failure. The write itself is conditional, so
//! several servers on one database write about once per interval too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use shared::api::Id;

/// A token's `last_used_at` is at most this stale.
pub const RECORD_EVERY: Duration = Duration::from_secs(60);

/// Tokens remembered before old entries are dropped (tokens are made by hand; this only
/// bounds the table whatever happens).
const MAX_REMEMBERED: usize = 10_000;

/// Whether a use at `now` should be written, given the stored last use.
pub fn due(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|last| now - last >= every())
}

/// The stored use that makes a new one not worth writing: anything since this.
pub fn unless_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - every()
}

fn every() -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(RECORD_EVERY).expect("a minute fits")
}

/// Which tokens this process has begun to record a use of, and when.
#[derive(Default)]
pub struct TokenUses {
    started: Mutex<HashMap<Id, Instant>>,
}

impl TokenUses {
    /// True for the one caller that should write this token's use now: none has begun to
    /// within [`RECORD_EVERY`].
    pub fn claim(&self, token_id: Id, now: Instant) -> bool {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if started
            .get(&token_id)
            .is_some_and(|&at| now.duration_since(at) < RECORD_EVERY)
        {
            return false;
        }
        if started.len() >= MAX_REMEMBERED {
            started.retain(|_, at| now.duration_since(*at) < RECORD_EVERY);
        }
        started.insert(token_id, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_due_when_none_is_stored_or_the_last_is_a_minute_old() {
        let now = Utc::now();
        assert!(due(None, now));
        assert!(!due(Some(now), now));
        assert!(!due(Some(now - chrono::TimeDelta::seconds(59)), now));
        assert!(due(Some(now - chrono::TimeDelta::seconds(60)), now));
        assert!(due(Some(now - chrono::TimeDelta::days(3)), now));
        assert_eq!(unless_since(now), now - chrono::TimeDelta::seconds(60));
    }

    #[test]
    fn one_claim_per_token_per_interval() {
        let uses = TokenUses::default();
        let t0 = Instant::now();
        assert!(uses.claim(1, t0));
        assert!(!uses.claim(1, t0));
        assert!(!uses.claim(1, t0 + Duration::from_secs(59)));
        assert!(uses.claim(2, t0), "another token has its own interval");
        assert!(uses.claim(1, t0 + RECORD_EVERY));
    }

    #[test]
    fn the_table_stays_bounded() {
        let uses = TokenUses::default();
        let t0 = Instant::now();
        for id in 0..MAX_REMEMBERED as Id {
            assert!(uses.claim(id, t0));
        }
        let later = t0 + RECORD_EVERY;
        assert!(uses.claim(-1, later));
        assert_eq!(uses.started.lock().unwrap().len(), 1);
    }
}
