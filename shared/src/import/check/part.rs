//! What a second part of a split check hands to the first: [`PartResult`] and its byte form.
//! Invariant: [`PartResult::from_bytes`] accepts exactly what [`PartResult::into_bytes`]
//! wrote (anything else is `None`).

use super::CheckCounts;
use crate::api::{ErrorCode, Field, FieldError};
use crate::import::distinct::Tallies;

/// What a second part found, for [`FileCheck::merge`](super::FileCheck::merge); crosses
/// between workers as bytes ([`PartResult::into_bytes`]): a million rows' keys as JSON would
/// cost more than the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct PartResult {
    pub(super) counts: CheckCounts,
    /// The part's distinct consent and group values.
    pub(super) values: Tallies,
    /// (line, later line of a duplicate or 0, problem), lines counted from the part's start.
    pub(super) problems: Vec<(u64, u64, FieldError)>,
    /// Per first row of a key: its hash (2 x u64), line (u64) and the number of problems
    /// listed before it (u32); its email stays behind ([`PartEmails`]).
    pub(super) firsts: Vec<u8>,
    pub(super) nfirsts: u64,
}

/// One entry of [`PartResult::firsts`].
pub(super) struct First {
    pub(super) hash: [u64; 2],
    pub(super) line: u64,
    pub(super) at: u32,
}

pub(super) const FIRST_HEAD: usize = 28;

impl PartResult {
    pub fn counts(&self) -> CheckCounts {
        self.counts
    }

    pub(super) fn firsts(&self) -> impl Iterator<Item = First> + '_ {
        self.firsts.chunks_exact(FIRST_HEAD).map(|head| {
            let u64_at =
                |i: usize| u64::from_le_bytes(head[i..i + 8].try_into().unwrap_or_default());
            let u32_at =
                |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().unwrap_or_default());
            First {
                hash: [u64_at(0), u64_at(8)],
                line: u64_at(16),
                at: u32_at(24),
            }
        })
    }

    /// The bytes [`PartResult::from_bytes`] reads: the first rows as they are (no copy),
    /// then the problems, then the distinct values, then the counts and the lengths.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut out = self.firsts;
        let firsts_len = out.len() as u64;
        out.reserve(TRAILER + self.problems.len() * 96);
        for (line, later, e) in &self.problems {
            out.extend_from_slice(&line.to_le_bytes());
            out.extend_from_slice(&later.to_le_bytes());
            // The params as JSON: the worker links their serde already (batch answers).
            let params = e
                .params
                .as_ref()
                .and_then(|p| serde_json::to_string(p).ok())
                .unwrap_or_default();
            for s in [e.field.as_str(), e.code.as_str(), &e.message, &params] {
                out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
        let problems_end = out.len();
        self.values.write_bytes(&mut out);
        let values_len = (out.len() - problems_end) as u64;
        let c = &self.counts;
        let trailer = [
            values_len,
            c.rows,
            c.valid,
            c.invalid,
            c.duplicates,
            c.problems,
            self.nfirsts,
            self.problems.len() as u64,
            firsts_len,
        ];
        for v in trailer {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// The reverse of [`PartResult::into_bytes`], keeping the first rows where they are;
    /// `None` for bytes it did not write.
    pub fn from_bytes(mut bytes: Vec<u8>) -> Option<PartResult> {
        let body = bytes.len().checked_sub(TRAILER)?;
        let mut t = ByteReader(&bytes[body..]);
        let values_len = usize::try_from(t.u64()?).ok().filter(|&n| n <= body)?;
        let counts = CheckCounts {
            rows: t.u64()?,
            valid: t.u64()?,
            invalid: t.u64()?,
            duplicates: t.u64()?,
            problems: t.u64()?,
        };
        let nfirsts = t.u64()?;
        let nproblems = t.u64()?;
        let values_at = body - values_len;
        let firsts_len = usize::try_from(t.u64()?).ok().filter(|&n| n <= values_at)?;
        let values = Tallies::read_bytes(&bytes[values_at..body])?;
        let mut r = ByteReader(&bytes[firsts_len..values_at]);
        let mut problems = Vec::new();
        for _ in 0..nproblems {
            let line = r.u64()?;
            let later = r.u64()?;
            let field = Field::parse(&r.string()?)?;
            let code = ErrorCode::parse(&r.string()?)?;
            let message = r.string()?;
            let params = r.string()?;
            let params = match params.as_str() {
                "" => None,
                p => Some(serde_json::from_str(p).ok()?),
            };
            problems.push((
                line,
                later,
                FieldError {
                    field,
                    code,
                    message,
                    params,
                },
            ));
        }
        if !r.0.is_empty() {
            return None;
        }
        bytes.truncate(firsts_len);
        let part = PartResult {
            counts,
            values,
            problems,
            firsts: bytes,
            nfirsts,
        };
        // Every entry whole, as many as announced.
        let whole = u64::try_from(part.firsts.len()).ok() == nfirsts.checked_mul(FIRST_HEAD as u64);
        whole.then_some(part)
    }
}

/// The end of [`PartResult::into_bytes`]: nine u64.
pub(super) const TRAILER: usize = 9 * 8;

pub(crate) struct ByteReader<'a>(pub(crate) &'a [u8]);

impl<'a> ByteReader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.u64()?).ok()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}
