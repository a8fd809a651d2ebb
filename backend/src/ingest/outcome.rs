//! The per-row outcome report's records: what applying a batch did to each accepted row
//! ([`RowResult`], stored compactly with the batch: [`encode`], [`decode`]), and a batch's
//! report lines, its accepted rows and its failed ones merged in line order
//! ([`report_lines`]). Pure: storage stores the text, `crate::report` serves the lines.

use std::collections::HashMap;

use shared::api::{Id, OutcomeLine, RowOutcome};

use super::records::StoredRow;

/// What applying a batch did to one accepted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    pub line: u64,
    pub outcome: RowOutcome,
    pub customer_id: Option<Id>,
    pub email: String,
}

/// One stored error of a failed row (the error report's row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCell {
    pub line: i64,
    pub field: String,
    pub value: String,
    pub code: String,
    pub message: String,
}

/// The results of a batch's rows (or a lane's share): `created` (row index, new id) and
/// `decided` (the plan's outcomes for rows whose email was stored). Every other row is an
/// earlier row of an email that a later row of the batch has: skipped, naming the
/// customer of that later row.
pub fn row_results(
    rows: &[StoredRow],
    created: &[(usize, Id)],
    decided: &[(usize, RowOutcome, Id)],
) -> Vec<RowResult> {
    let mut found: Vec<Option<(RowOutcome, Id)>> = vec![None; rows.len()];
    for &(i, id) in created {
        found[i] = Some((RowOutcome::Created, id));
    }
    for &(i, outcome, id) in decided {
        found[i] = Some((outcome, id));
    }
    let by_key: HashMap<&str, Id> = rows
        .iter()
        .zip(&found)
        .filter_map(|(r, f)| f.map(|(_, id)| (r.email_key.as_str(), id)))
        .collect();
    rows.iter()
        .zip(found)
        .map(|(r, f)| {
            let (outcome, customer_id) = match f {
                Some((o, id)) => (o, Some(id)),
                None => (
                    RowOutcome::SkippedDuplicate,
                    by_key.get(r.email_key.as_str()).copied(),
                ),
            };
            RowResult {
                line: r.line,
                outcome,
                customer_id,
                email: r.fields.email.clone(),
            }
        })
        .collect()
}

/// The stored letter of an outcome (a million rows: one byte each, not a word).
fn letter(o: RowOutcome) -> &'static str {
    match o {
        RowOutcome::Created => "c",
        RowOutcome::Updated => "u",
        RowOutcome::Unchanged => "n",
        RowOutcome::SkippedDuplicate => "s",
        RowOutcome::Failed => "f",
        RowOutcome::Undone => "x",
    }
}

/// Results as stored: a JSON array of `[line, letter, customer id or null, email]`.
pub fn encode(results: &[RowResult]) -> serde_json::Result<String> {
    let cells: Vec<(u64, &str, Option<Id>, &str)> = results
        .iter()
        .map(|r| (r.line, letter(r.outcome), r.customer_id, r.email.as_str()))
        .collect();
    serde_json::to_string(&cells)
}

/// Stored results read back strictly (an unknown letter is an error).
pub fn decode(text: &str) -> Result<Vec<RowResult>, String> {
    let cells: Vec<(u64, String, Option<Id>, String)> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    cells
        .into_iter()
        .map(|(line, l, customer_id, email)| {
            let outcome = RowOutcome::ALL
                .into_iter()
                .find(|o| letter(*o) == l)
                .ok_or_else(|| format!("unknown outcome {l:?}"))?;
            Ok(RowResult {
                line,
                outcome,
                customer_id,
                email,
            })
        })
        .collect()
}

/// A batch's report lines in line order: its accepted rows' results (from every part) and
/// one line per failed row (its errors: the first code, the messages joined, the email
/// cell if that is what failed). `undone`: the import was undone, so what it created or
/// updated is reported `undone`.
pub fn report_lines(
    mut results: Vec<RowResult>,
    mut errors: Vec<FailedCell>,
    undone: bool,
) -> Vec<OutcomeLine> {
    results.sort_by_key(|r| r.line);
    errors.sort_by_key(|e| e.line);
    let mut failed: Vec<OutcomeLine> = Vec::new();
    for e in errors {
        match failed.last_mut() {
            Some(last) if last.line == e.line => {
                if let Some(m) = last.error_message.as_mut() {
                    m.push_str("; ");
                    m.push_str(&e.message);
                }
                if e.field == "email" && last.email.is_empty() {
                    last.email = e.value;
                }
            }
            _ => failed.push(OutcomeLine {
                line: e.line,
                email: if e.field == "email" {
                    e.value
                } else {
                    String::new()
                },
                outcome: RowOutcome::Failed,
                customer_id: None,
                error_code: Some(e.code),
                error_message: Some(e.message),
            }),
        }
    }
    let accepted = results.into_iter().map(|r| OutcomeLine {
        line: r.line as i64,
        email: r.email,
        outcome: match r.outcome {
            RowOutcome::Created | RowOutcome::Updated | RowOutcome::Unchanged if undone => {
                RowOutcome::Undone
            }
            o => o,
        },
        customer_id: r.customer_id,
        error_code: None,
        error_message: None,
    });
    let mut lines: Vec<OutcomeLine> = Vec::with_capacity(failed.len());
    let mut failed = failed.into_iter().peekable();
    for a in accepted {
        while let Some(f) = failed.next_if(|f| f.line < a.line) {
            lines.push(f);
        }
        lines.push(a);
    }
    lines.extend(failed);
    lines
}

#[cfg(test)]
mod tests {
    use shared::customer::CustomerFields;

    use super::*;

    fn row(line: u64, email: &str) -> StoredRow {
        StoredRow {
            line,
            fields: CustomerFields {
                first_name: String::new(),
                last_name: String::new(),
                full_name: String::new(),
                email: email.into(),
                note: String::new(),
                accepts_marketing: None,
            },
            email_key: email.to_lowercase(),
            group: None,
        }
    }

    #[test]
    fn an_earlier_row_of_an_email_is_skipped_and_names_the_later_rows_customer() {
        let rows = [
            row(2, "ann@example.com"),
            row(3, "bob@example.com"),
            row(4, "ANN@example.com"),
            row(5, "cy@example.com"),
        ];
        let got = row_results(
            &rows,
            &[(2, 10)],
            &[
                (1, RowOutcome::Updated, 7),
                (3, RowOutcome::SkippedDuplicate, 8),
            ],
        );
        let short: Vec<(u64, RowOutcome, Option<Id>)> = got
            .iter()
            .map(|r| (r.line, r.outcome, r.customer_id))
            .collect();
        assert_eq!(
            short,
            [
                (2, RowOutcome::SkippedDuplicate, Some(10)),
                (3, RowOutcome::Updated, Some(7)),
                (4, RowOutcome::Created, Some(10)),
                (5, RowOutcome::SkippedDuplicate, Some(8)),
            ]
        );
        assert_eq!(got[2].email, "ANN@example.com");
    }

    #[test]
    fn results_read_back_as_stored_and_a_bad_letter_is_refused() {
        let results = vec![
            RowResult {
                line: 2,
                outcome: RowOutcome::Created,
                customer_id: Some(1),
                email: "a\"b@example.com".into(),
            },
            RowResult {
                line: u64::MAX,
                outcome: RowOutcome::SkippedDuplicate,
                customer_id: None,
                email: String::new(),
            },
        ];
        let text = encode(&results).unwrap();
        assert_eq!(decode(&text).unwrap(), results);
        assert!(decode(r#"[[2,"q",null,""]]"#).is_err());
    }

    fn cell(line: i64, field: &str, value: &str, code: &str) -> FailedCell {
        FailedCell {
            line,
            field: field.into(),
            value: value.into(),
            code: code.into(),
            message: format!("{field} is bad"),
        }
    }

    #[test]
    fn failed_rows_go_between_the_accepted_ones_once_each_with_their_errors() {
        let result = |line, outcome| RowResult {
            line,
            outcome,
            customer_id: Some(line as Id),
            email: format!("r{line}@example.com"),
        };
        let lines = report_lines(
            vec![
                result(5, RowOutcome::Updated),
                result(2, RowOutcome::Created),
                result(6, RowOutcome::SkippedDuplicate),
            ],
            vec![
                cell(7, "first_name", "x", "too_long"),
                cell(3, "email", "not-an-email", "invalid_email"),
                cell(3, "note", "y", "too_long"),
            ],
            false,
        );
        let short: Vec<(i64, RowOutcome)> = lines.iter().map(|l| (l.line, l.outcome)).collect();
        assert_eq!(
            short,
            [
                (2, RowOutcome::Created),
                (3, RowOutcome::Failed),
                (5, RowOutcome::Updated),
                (6, RowOutcome::SkippedDuplicate),
                (7, RowOutcome::Failed),
            ]
        );
        assert_eq!(lines[1].email, "not-an-email");
        assert_eq!(lines[1].error_code.as_deref(), Some("invalid_email"));
        assert_eq!(
            lines[1].error_message.as_deref(),
            Some("email is bad; note is bad")
        );
        assert_eq!((lines[4].email.as_str(), lines[4].customer_id), ("", None));

        // Undone: what was written is undone; skipped and failed rows stay.
        let lines = report_lines(
            vec![
                result(2, RowOutcome::Created),
                result(3, RowOutcome::Unchanged),
                result(4, RowOutcome::SkippedDuplicate),
            ],
            vec![cell(5, "email", "", "required")],
            true,
        );
        let short: Vec<RowOutcome> = lines.iter().map(|l| l.outcome).collect();
        assert_eq!(
            short,
            [
                RowOutcome::Undone,
                RowOutcome::Undone,
                RowOutcome::SkippedDuplicate,
                RowOutcome::Failed
            ]
        );
    }
}
