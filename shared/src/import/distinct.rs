//! The distinct values of the consent and group columns over a whole file, with their
//! counts: what the check shows so that the user can map every value before importing.
//!
//! Values are compared as the rules compare them (consent folded, groups cleaned and in
//! any case) and shown as first seen. Memory is bounded: [`MAX_LISTED`] values are listed;
//! [`MAX_TRACKED`] more are counted by their hash only (`more_distinct`, `more_rows`);
//! rows with values beyond those add to `more_rows` alone (then `more_distinct` is a lower
//! bound). Two parts of a split check merge into what one pass gives ([`Tally::absorb`]).

use serde::{Deserialize, Serialize};

use super::DuplicateTracker;
use super::dups::key_hash;
use crate::rules::{consent_meaning, fold_consent};

/// Values listed per column.
pub const MAX_LISTED: usize = 1000;
/// Values counted beyond the listed ones, by hash.
pub const MAX_TRACKED: usize = 100_000;

/// What the built-in vocabularies make of a consent value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meaning {
    Yes,
    No,
    /// In no vocabulary: a row error unless the user maps it.
    Unknown,
}

impl Meaning {
    pub fn as_str(self) -> &'static str {
        match self {
            Meaning::Yes => "yes",
            Meaning::No => "no",
            Meaning::Unknown => "unknown",
        }
    }
}

/// One distinct value: as first seen, how many rows hold it, and (consent only) what the
/// vocabularies make of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctValue {
    pub value: String,
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meaning: Option<Meaning>,
}

/// The distinct values of one column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCounts {
    /// At most [`MAX_LISTED`], in the order first seen.
    pub values: Vec<DistinctValue>,
    /// Distinct values not listed (exact up to [`MAX_TRACKED`], else at least).
    pub more_distinct: u64,
    /// Rows holding a value that is not listed.
    pub more_rows: u64,
}

/// The distinct values of the columns mapped to accepts_marketing and customer_group
/// (`None`: no column is mapped there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts_marketing: Option<ValueCounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group: Option<ValueCounts>,
}

impl DistinctValues {
    pub fn is_empty(&self) -> bool {
        self.accepts_marketing.is_none() && self.customer_group.is_none()
    }
}

/// The count of one column's values (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    /// Folded value's hash -> its number in `counts`.
    ids: DuplicateTracker,
    hashes: Vec<[u64; 2]>,
    counts: Vec<u64>,
    /// The listed values as first seen: the first `shown.len()` entries of `counts`.
    shown: Vec<String>,
    /// Rows whose value is beyond the tracked ones.
    untracked: u64,
    /// A column is mapped to this field.
    used: bool,
    consent: bool,
    buf: String,
}

impl Tally {
    pub(crate) fn consent() -> Tally {
        Tally {
            consent: true,
            ..Tally::default()
        }
    }

    fn fold(&mut self, cell: &str) -> [u64; 2] {
        if self.consent {
            fold_consent(cell, &mut self.buf);
        } else {
            self.buf.clear();
            self.buf.extend(
                crate::text::clean_line(cell)
                    .chars()
                    .flat_map(char::to_lowercase),
            );
        }
        key_hash(&self.buf)
    }

    /// One row's cell (`None`: the column is not mapped; blank cells are not values).
    pub(crate) fn see(&mut self, cell: Option<&str>) {
        let Some(cell) = cell else { return };
        let shown = crate::text::clean_line(cell);
        if shown.is_empty() {
            return;
        }
        let hash = self.fold(&shown);
        self.add(hash, Some(&shown), 1);
    }

    fn add(&mut self, hash: [u64; 2], shown: Option<&str>, count: u64) {
        if let Some(id) = self.ids.find(&hash) {
            self.counts[id as usize] += count;
            return;
        }
        let n = self.counts.len();
        let listing = self.shown.len() < MAX_LISTED && n == self.shown.len();
        match shown {
            Some(s) if listing => self.shown.push(s.to_owned()),
            // A value with no text to show can only come beyond the listed ones.
            None if listing => {
                self.untracked += count;
                return;
            }
            _ if n >= MAX_LISTED + MAX_TRACKED => {
                self.untracked += count;
                return;
            }
            _ => {}
        }
        self.ids.see_hash(hash, n as u64);
        self.hashes.push(hash);
        self.counts.push(count);
    }

    /// Adds a second part's tally (whose rows come after this one's), as one pass would.
    pub(crate) fn absorb(&mut self, other: Tally) {
        self.used |= other.used;
        for (i, (hash, count)) in other.hashes.iter().zip(&other.counts).enumerate() {
            self.add(*hash, other.shown.get(i).map(String::as_str), *count);
        }
        self.untracked += other.untracked;
    }

    pub(crate) fn report(&self) -> Option<ValueCounts> {
        if !self.used {
            return None;
        }
        let listed = self.shown.len();
        Some(ValueCounts {
            values: self
                .shown
                .iter()
                .zip(&self.counts)
                .map(|(value, &count)| DistinctValue {
                    value: value.clone(),
                    count,
                    meaning: self.consent.then(|| match consent_meaning(value) {
                        Some(true) => Meaning::Yes,
                        Some(false) => Meaning::No,
                        None => Meaning::Unknown,
                    }),
                })
                .collect(),
            more_distinct: (self.counts.len() - listed) as u64,
            more_rows: self.counts[listed..].iter().sum::<u64>() + self.untracked,
        })
    }

    /// The bytes [`Tally::from_bytes`] reads (a split check's part crosses as bytes).
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        let put = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        put(out, u64::from(self.used));
        put(out, self.counts.len() as u64);
        put(out, self.shown.len() as u64);
        put(out, self.untracked);
        for (hash, count) in self.hashes.iter().zip(&self.counts) {
            put(out, hash[0]);
            put(out, hash[1]);
            put(out, *count);
        }
        for s in &self.shown {
            put(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
    }

    /// Reads what [`Tally::write_bytes`] wrote at the start of `bytes`; the rest is
    /// returned. `None` for anything else.
    pub(crate) fn read_bytes(consent: bool, bytes: &[u8]) -> Option<(Tally, &[u8])> {
        let mut r = super::check::ByteReader(bytes);
        let len = |r: &mut super::check::ByteReader| usize::try_from(r.u64()?).ok();
        let mut t = if consent {
            Tally::consent()
        } else {
            Tally::default()
        };
        t.used = r.u64()? == 1;
        let n = len(&mut r)?;
        let listed = len(&mut r)?;
        t.untracked = r.u64()?;
        if listed > n.min(MAX_LISTED) || n > MAX_LISTED + MAX_TRACKED {
            return None;
        }
        for i in 0..n {
            let hash = [r.u64()?, r.u64()?];
            t.ids.see_hash(hash, i as u64);
            t.hashes.push(hash);
            t.counts.push(r.u64()?);
        }
        for _ in 0..listed {
            let size = len(&mut r)?;
            t.shown
                .push(std::str::from_utf8(r.take(size)?).ok()?.to_owned());
        }
        Some((t, r.0))
    }
}

impl PartialEq for Tally {
    fn eq(&self, o: &Tally) -> bool {
        (
            self.used,
            self.consent,
            &self.hashes,
            &self.counts,
            &self.shown,
            self.untracked,
        ) == (
            o.used,
            o.consent,
            &o.hashes,
            &o.counts,
            &o.shown,
            o.untracked,
        )
    }
}

/// The tallies of both columns, as a check keeps them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tallies {
    pub(crate) consent: Tally,
    pub(crate) group: Tally,
}

impl Default for Tallies {
    fn default() -> Self {
        Tallies {
            consent: Tally::consent(),
            group: Tally::default(),
        }
    }
}

impl Tallies {
    /// The tallies of a file read with this mapping (one target per column).
    pub(crate) fn for_mapping(mapping: &[Option<super::Target>]) -> Tallies {
        let mut t = Tallies::default();
        t.consent.used = mapping.contains(&Some(super::Target::AcceptsMarketing));
        t.group.used = mapping.contains(&Some(super::Target::CustomerGroup));
        t
    }

    pub(crate) fn report(&self) -> DistinctValues {
        DistinctValues {
            accepts_marketing: self.consent.report(),
            customer_group: self.group.report(),
        }
    }

    pub(crate) fn absorb(&mut self, other: Tallies) {
        self.consent.absorb(other.consent);
        self.group.absorb(other.group);
    }

    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        self.consent.write_bytes(out);
        self.group.write_bytes(out);
    }

    pub(crate) fn read_bytes(bytes: &[u8]) -> Option<Tallies> {
        let (consent, rest) = Tally::read_bytes(true, bytes)?;
        let (group, rest) = Tally::read_bytes(false, rest)?;
        rest.is_empty().then_some(Tallies { consent, group })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn values_compare_folded_and_show_as_first_seen() {
        let mut t = Tally::consent();
        t.used = true;
        for c in [
            "NEVER_SUBSCRIBED",
            " never subscribed",
            "",
            "Maybe",
            "maybe ",
            "yes",
        ] {
            t.see(Some(c));
        }
        let r = t.report().unwrap();
        let got: Vec<_> = r
            .values
            .iter()
            .map(|v| (v.value.as_str(), v.count, v.meaning))
            .collect();
        assert_eq!(
            got,
            [
                ("NEVER_SUBSCRIBED", 2, Some(Meaning::No)),
                ("Maybe", 2, Some(Meaning::Unknown)),
                ("yes", 1, Some(Meaning::Yes)),
            ]
        );
        let mut g = Tally {
            used: true,
            ..Tally::default()
        };
        for c in ["Gold  tier", "GOLD TIER", "Silver"] {
            g.see(Some(c));
        }
        let r = g.report().unwrap();
        assert_eq!(r.values[0].value, "Gold tier");
        assert_eq!(r.values[0].count, 2);
        assert_eq!(r.values[1].meaning, None);
        assert_eq!(Tally::default().report(), None);
    }

    /// Past the cap the values are counted, not listed; split anywhere, two tallies
    /// absorbed give the one tally of the whole, also through their bytes.
    #[test]
    fn the_cap_and_the_merge() {
        let cells: Vec<String> = (0..2500u32)
            .map(|i| format!("g{}", (i * 7) % 1300))
            .collect();
        let mut whole = Tally {
            used: true,
            ..Tally::default()
        };
        for c in &cells {
            whole.see(Some(c));
        }
        let r = whole.report().unwrap();
        assert_eq!(r.values.len(), MAX_LISTED);
        assert_eq!(r.more_distinct, 300);
        let listed: u64 = r.values.iter().map(|v| v.count).sum();
        assert_eq!(listed + r.more_rows, 2500);
        for at in [0, 1, 400, 1000, 1299, 1300, 2000, 2500] {
            let mapping = [Some(crate::import::Target::CustomerGroup)];
            let (mut a, mut b) = (
                Tallies::for_mapping(&mapping),
                Tallies::for_mapping(&mapping),
            );
            for c in &cells[..at] {
                a.group.see(Some(c));
            }
            for c in &cells[at..] {
                b.group.see(Some(c));
            }
            let mut bytes = Vec::new();
            b.write_bytes(&mut bytes);
            let b = Tallies::read_bytes(&bytes).unwrap();
            a.absorb(b);
            assert_eq!(a.group.report(), whole.report(), "split at {at}");
        }
        assert!(Tallies::read_bytes(&[1, 2, 3]).is_none());
    }
}
