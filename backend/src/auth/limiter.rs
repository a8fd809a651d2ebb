//! The sign-in limiter. Three counters of failed sign-ins within a window, each keyed by a
//! keyed hash (never the submitted name itself, which a caller may make huge):
//! - per (user, address): the targeted guess. Past `per_pair` failures that address gets
//!   429 for that user; the user's other addresses are not affected.
//! - per address (IPv6 by /64): spraying many names from one place. A success does not
//!   reset it, so logging in to one's own account between guesses buys nothing.
//! - per user, from every address: a distributed guess. Past `user_slow_after` failures the
//!   user is slowed, never locked: one attempt per `user_interval` from addresses that have
//!   not signed in as that user before; addresses that have are exempt, so an anonymous
//!   caller cannot keep the owner out of their store.
//!
//! An attempt is reserved (counted as a failure) before its password is hashed, so many
//! concurrent guesses cannot all slip past the check; a success takes its reservation back.
//! Hashing itself (Argon2id, 19 MiB each) runs in a bounded number of slots.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limiter's numbers.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub window: Duration,
    pub per_pair: u32,
    pub per_address: u32,
    pub user_slow_after: u32,
    pub user_interval: Duration,
    /// How long an address that signed in as a user stays exempt from that user's slowdown.
    pub trusted_for: Duration,
    /// Entries kept at most per table; past it the oldest half is dropped.
    pub max_entries: usize,
    /// Passwords hashed at once, and sign-ins waiting for a slot before 503.
    pub hash_slots: usize,
    pub hash_queue: usize,
}

impl Default for Policy {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            window: Duration::from_secs(300),
            per_pair: 10,
            per_address: 50,
            user_slow_after: 20,
            user_interval: Duration::from_secs(2),
            trusted_for: Duration::from_secs(30 * 24 * 3600),
            max_entries: 100_000,
            hash_slots: cores,
            hash_queue: 8 * cores,
        }
    }
}

/// Why an attempt is refused, with the seconds to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures for this user from this address (429).
    UserAtAddress { retry_after: u64 },
    /// Too many failures from this address (429).
    Address { retry_after: u64 },
    /// This user is being guessed from many addresses: slowed down (429).
    UserSlowed { retry_after: u64 },
    /// Every hashing slot is taken and the queue is full (503).
    Busy { retry_after: u64 },
}

impl Refusal {
    pub fn retry_after(self) -> u64 {
        match self {
            Refusal::UserAtAddress { retry_after }
            | Refusal::Address { retry_after }
            | Refusal::UserSlowed { retry_after }
            | Refusal::Busy { retry_after } => retry_after,
        }
    }

    /// For the log.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::UserAtAddress { .. } => "too many failures for this user from this address",
            Refusal::Address { .. } => "too many failures from this address",
            Refusal::UserSlowed { .. } => "user slowed down: failures from many addresses",
            Refusal::Busy { .. } => "every password hashing slot is busy",
        }
    }
}

/// One reserved attempt: the keys it counted under.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pair: u64,
    address: u64,
    user: u64,
}

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    since: Instant,
}

#[derive(Default)]
struct Tables {
    pairs: HashMap<u64, Count>,
    addresses: HashMap<u64, Count>,
    users: HashMap<u64, Count>,
    /// When a slowed user was last tried from an untrusted address.
    user_last_try: HashMap<u64, Instant>,
    /// (user, address) pairs that signed in, and when.
    trusted: HashMap<u64, Instant>,
}

pub struct LoginLimiter {
    policy: Policy,
    keys: RandomState,
    tables: Mutex<Tables>,
    slots: std::sync::Arc<Semaphore>,
    waiting: AtomicUsize,
}

impl LoginLimiter {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            keys: RandomState::new(),
            tables: Mutex::new(Tables::default()),
            slots: std::sync::Arc::new(Semaphore::new(policy.hash_slots.max(1))),
            waiting: AtomicUsize::new(0),
        }
    }

    fn key(&self, kind: u8, user: Option<&str>, address: Option<IpAddr>) -> u64 {
        self.keys
            .hash_one((kind, user.map(str::to_lowercase), address.map(address_key)))
    }

    /// Count this attempt before its password is checked, or say why it may not be made.
    pub fn reserve(&self, ip: Option<IpAddr>, username: &str) -> Result<Attempt, Refusal> {
        self.reserve_at(ip, username, Instant::now())
    }

    fn reserve_at(
        &self,
        ip: Option<IpAddr>,
        username: &str,
        now: Instant,
    ) -> Result<Attempt, Refusal> {
        let attempt = Attempt {
            pair: self.key(0, Some(username), ip),
            address: self.key(1, None, ip),
            user: self.key(2, Some(username), None),
        };
        let p = &self.policy;
        let mut guard = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let t = &mut *guard;
        let wait = |c: Count| secs_left(p.window, c.since, now);
        if let Some(c) = live(&t.pairs, attempt.pair, p.window, now)
            && c.failures >= p.per_pair
        {
            return Err(Refusal::UserAtAddress {
                retry_after: wait(c),
            });
        }
        if let Some(c) = live(&t.addresses, attempt.address, p.window, now)
            && c.failures >= p.per_address
        {
            return Err(Refusal::Address {
                retry_after: wait(c),
            });
        }
        let trusted = t
            .trusted
            .get(&attempt.pair)
            .is_some_and(|at| now.duration_since(*at) < p.trusted_for);
        let slowed = live(&t.users, attempt.user, p.window, now)
            .is_some_and(|c| c.failures >= p.user_slow_after);
        if slowed && !trusted {
            if let Some(last) = t.user_last_try.get(&attempt.user)
                && now.duration_since(*last) < p.user_interval
            {
                return Err(Refusal::UserSlowed {
                    retry_after: secs_left(p.user_interval, *last, now),
                });
            }
            t.user_last_try.insert(attempt.user, now);
        }
        let max = p.max_entries;
        bump(&mut t.pairs, attempt.pair, p.window, now, max);
        bump(&mut t.addresses, attempt.address, p.window, now, max);
        bump(&mut t.users, attempt.user, p.window, now, max);
        prune(
            &mut t.user_last_try,
            |at| now.duration_since(*at) < p.window,
            max,
        );
        Ok(attempt)
    }

    /// The password was right: the attempt was no failure. The pair starts afresh and is
    /// trusted; the address and user counts only lose this attempt's reservation.
    pub fn succeeded(&self, attempt: Attempt) {
        let now = Instant::now();
        let p = &self.policy;
        let mut guard = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let t = &mut *guard;
        t.pairs.remove(&attempt.pair);
        for (table, key) in [
            (&mut t.addresses, attempt.address),
            (&mut t.users, attempt.user),
        ] {
            if let Some(c) = table.get_mut(&key) {
                c.failures = c.failures.saturating_sub(1);
            }
        }
        t.trusted.insert(attempt.pair, now);
        prune(
            &mut t.trusted,
            |at| now.duration_since(*at) < p.trusted_for,
            p.max_entries,
        );
    }

    /// A slot to hash a password in, waited for in a bounded queue (at most 5 s).
    pub async fn hash_slot(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let busy = Refusal::Busy { retry_after: 1 };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.policy.hash_queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy);
        }
        let permit =
            tokio::time::timeout(Duration::from_secs(5), self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(p)) => Ok(p),
            _ => Err(busy),
        }
    }

    /// Entries held, all tables together (for tests of the memory bound).
    pub fn entries(&self) -> usize {
        let t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        t.pairs.len() + t.addresses.len() + t.users.len() + t.user_last_try.len() + t.trusted.len()
    }
}

/// The address a counter is kept for: IPv4 whole, IPv6 by its /64 (one host's share).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

fn secs_left(span: Duration, since: Instant, now: Instant) -> u64 {
    span.saturating_sub(now.duration_since(since))
        .as_secs()
        .max(1)
}

fn live(table: &HashMap<u64, Count>, key: u64, window: Duration, now: Instant) -> Option<Count> {
    table
        .get(&key)
        .copied()
        .filter(|c| now.duration_since(c.since) < window)
}

fn bump(table: &mut HashMap<u64, Count>, key: u64, window: Duration, now: Instant, max: usize) {
    let c = table.entry(key).or_insert(Count {
        failures: 0,
        since: now,
    });
    if now.duration_since(c.since) >= window {
        *c = Count {
            failures: 0,
            since: now,
        };
    }
    c.failures += 1;
    prune(table, |c| now.duration_since(c.since) < window, max);
}

/// Past `max` entries, drop the expired ones; if that is not enough, the older half.
fn prune<V: Copy>(table: &mut HashMap<u64, V>, keep: impl Fn(&V) -> bool, max: usize) {
    if table.len() <= max {
        return;
    }
    table.retain(|_, v| keep(v));
    if table.len() > max / 2 {
        // Under a flood of distinct keys: keep every other entry (no order is kept, and the
        // flood's own keys are most of them).
        let mut i = 0usize;
        table.retain(|_, _| {
            i += 1;
            i.is_multiple_of(2)
        });
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(Policy {
            max_entries: 1000,
            ..Policy::default()
        })
    }

    #[test]
    fn attempts_are_counted_before_they_are_checked() {
        // Sixty guesses at once: only the first ten are let through to hashing.
        let l = limiter();
        let now = Instant::now();
        let let_through = (0..60)
            .filter(|_| l.reserve_at(ip(1), "admin", now).is_ok())
            .count();
        assert_eq!(let_through, 10);
        assert!(matches!(
            l.reserve_at(ip(1), "Admin", now),
            Err(Refusal::UserAtAddress { retry_after: 300 })
        ));
    }

    #[test]
    fn one_address_guessing_does_not_lock_the_owner_out_elsewhere() {
        let l = limiter();
        let now = Instant::now();
        for _ in 0..10 {
            l.reserve_at(ip(66), "admin", now).unwrap();
        }
        assert!(l.reserve_at(ip(66), "admin", now).is_err());
        let owner = l.reserve_at(ip(1), "admin", now).unwrap();
        l.succeeded(owner);
    }

    #[test]
    fn a_success_does_not_reset_the_address_count() {
        let l = limiter();
        let now = Instant::now();
        let mut guesses = 0;
        // Spraying other names, with a sign-in to one's own account after every nine.
        while l
            .reserve_at(ip(7), &format!("victim{guesses}"), now)
            .is_ok()
        {
            guesses += 1;
            if guesses % 9 == 0 {
                let own = l.reserve_at(ip(7), "me", now).unwrap();
                l.succeeded(own);
            }
            assert!(guesses <= 50, "the address was never limited");
        }
        assert_eq!(guesses, 50);
        assert!(matches!(
            l.reserve_at(ip(7), "me", now),
            Err(Refusal::Address { .. })
        ));
    }

    #[test]
    fn a_user_guessed_from_many_addresses_is_slowed_not_locked_and_trusted_addresses_pass() {
        let l = limiter();
        let start = Instant::now();
        let home = l.reserve_at(ip(1), "admin", start).unwrap();
        l.succeeded(home);
        for n in 0..20u8 {
            l.reserve_at(ip(100 + n), "admin", start).unwrap();
        }
        // A new address: one try per interval, then told how long to wait.
        l.reserve_at(ip(200), "admin", start).unwrap();
        assert!(matches!(
            l.reserve_at(ip(201), "admin", start),
            Err(Refusal::UserSlowed { retry_after: 2 })
        ));
        l.reserve_at(ip(201), "admin", start + Duration::from_secs(2))
            .unwrap();
        // The owner's own address is never slowed.
        for _ in 0..3 {
            let owner = l.reserve_at(ip(1), "admin", start).unwrap();
            l.succeeded(owner);
        }
    }

    #[test]
    fn counts_expire_after_the_window() {
        let l = limiter();
        let now = Instant::now();
        for _ in 0..10 {
            l.reserve_at(ip(1), "admin", now).unwrap();
        }
        assert!(l.reserve_at(ip(1), "admin", now).is_err());
        l.reserve_at(ip(1), "admin", now + Duration::from_secs(300))
            .unwrap();
    }

    #[test]
    fn a_flood_of_names_and_addresses_keeps_the_tables_bounded() {
        let l = limiter();
        let now = Instant::now();
        for n in 0..20_000u32 {
            let addr = Some(IpAddr::V4(Ipv4Addr::from(n)));
            let _ = l.reserve_at(addr, &format!("name {n}"), now);
        }
        assert!(l.entries() <= 5 * 1000, "{} entries", l.entries());
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(address_key(mapped), ip(1).unwrap());
    }

    #[tokio::test]
    async fn hashing_slots_are_bounded_and_a_full_queue_is_refused_at_once() {
        let l = std::sync::Arc::new(LoginLimiter::new(Policy {
            hash_slots: 2,
            hash_queue: 3,
            ..Policy::default()
        }));
        let held = [l.hash_slot().await.unwrap(), l.hash_slot().await.unwrap()];
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let l = l.clone();
                tokio::spawn(async move { l.hash_slot().await.is_ok() })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            l.hash_slot().await.unwrap_err(),
            Refusal::Busy { retry_after: 1 }
        );
        drop(held);
        for w in waiters {
            assert!(w.await.unwrap());
        }
    }
}
