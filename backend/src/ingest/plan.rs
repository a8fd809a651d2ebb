//! What applying one batch of an import does, decided without a database: which rows
//! become new customers, which overwrite stored ones (per `on_duplicate`), which are
//! skipped, and the undo records. Storage runs the statements this plan asks for
//! ("functional core, imperative shell"); nothing here does I/O.
//!
//! The rules:
//! - Within a batch the later row wins: only the last row of each email counts, every
//!   earlier row of that email is skipped.
//! - A row whose email no stored customer has becomes a new customer (an undo record of
//!   `Created` covers it).
//! - A row whose email a customer has that an earlier batch of this import wrote overwrites
//!   it with the row's values whatever `on_duplicate` says (the later row wins across
//!   batches too) and counts as skipped: the earlier row's change already counted, and its
//!   undo record already holds the values from before the import.
//! - Otherwise `on_duplicate` decides: `Skip` leaves the customer, `Update` overwrites it,
//!   `UpdateNonBlank` overwrites only the fields the row has a value for. An overwrite keeps
//!   the customer's values from before as an `Updated` undo record.

use std::collections::HashMap;

use shared::api::{Id, OnDuplicate, RowOutcome};
use shared::customer::CustomerFields;

use super::records::{CustomerSnapshot, CustomerUpdate, CustomerValues, StoredRow};

/// A stored customer that an import row's email names.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub id: Id,
    /// Its values now (what undo restores).
    pub values: CustomerSnapshot,
    /// An earlier batch of this import created or overwrote it.
    pub written_by_import: bool,
}

/// An undo record: the customers an import created (a run of consecutive ids) or one
/// customer it overwrote, with its values from before.
#[derive(Debug, Clone, PartialEq)]
pub enum Undo {
    Created { first: Id, last: Id },
    Updated { id: Id, before: CustomerSnapshot },
}

/// What to do with a batch's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// New customers: the index of the row (in the batch) and its values.
    pub insert: Vec<(usize, CustomerValues)>,
    /// Stored customers to overwrite.
    pub update: Vec<CustomerUpdate>,
    /// `Updated` records of the overwritten customers that this import had not written
    /// before (the records of the created ones follow from their ids: [`created_runs`]).
    pub undo: Vec<Undo>,
    /// Customers overwritten that count as updated.
    pub updated: i64,
    /// Rows that change nothing, or overwrite what this import wrote (see the module doc).
    pub skipped: i64,
    /// The outcome of each row that found its email stored (the row's index, its outcome
    /// for the report, the stored customer), in the candidates' order.
    pub decided: Vec<(usize, RowOutcome, Id)>,
}

/// The indices of the rows that count, in file order: the last row of each email.
pub fn latest_rows(rows: &[StoredRow]) -> Vec<usize> {
    let mut last_of: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last_of.insert(r.email_key.as_str(), i);
    }
    (0..rows.len())
        .filter(|&i| last_of[rows[i].email_key.as_str()] == i)
        .collect()
}

/// Whether a row names a group (a blank name is no group).
fn names_group(row: &StoredRow) -> bool {
    row.group.as_deref().is_some_and(|g| !g.trim().is_empty())
}

/// A row's values as a customer: its group from `groups` (the ids of the non-blank group
/// names of the batch), else the import's `default_group`; no marketing consent when the
/// cell was blank.
pub fn values_of(
    row: &StoredRow,
    groups: &HashMap<String, Id>,
    default_group: Id,
) -> CustomerValues {
    CustomerValues {
        fields: row.fields.clone().into_stored(),
        email_key: row.email_key.clone(),
        group_id: row
            .group
            .as_deref()
            .and_then(|n| groups.get(n).copied())
            .unwrap_or(default_group),
    }
}

/// The stored values with the row's non-blank ones over them (`UpdateNonBlank`).
/// Each field decides here (a new field must too: the struct is built whole).
fn merge_non_blank(row: &StoredRow, new: CustomerValues, old: &CustomerSnapshot) -> CustomerValues {
    let pick = |new: String, old: &str| if new.is_empty() { old.to_owned() } else { new };
    let (n, o) = (new.fields, &old.fields);
    CustomerValues {
        fields: CustomerFields {
            first_name: pick(n.first_name, &o.first_name),
            last_name: pick(n.last_name, &o.last_name),
            full_name: pick(n.full_name, &o.full_name),
            email: n.email,
            note: pick(n.note, &o.note),
            accepts_marketing: row.fields.accepts_marketing.unwrap_or(o.accepts_marketing),
        },
        email_key: new.email_key,
        group_id: if names_group(row) {
            new.group_id
        } else {
            old.group_id
        },
    }
}

/// Decide for `candidates` (rows that count, each email once: the row's index in `rows`
/// and its values) against what `stored` gives for an email key (None: no customer has it,
/// so the row is inserted).
///
/// Storage calls this for the rows whose insert found their email taken, with what it then
/// read of those customers; [`plan`] calls it for a whole batch.
pub fn resolve(
    rows: &[StoredRow],
    candidates: impl IntoIterator<Item = (usize, CustomerValues)>,
    mut stored: impl FnMut(&str) -> Option<Stored>,
    on_duplicate: OnDuplicate,
    import_id: Id,
) -> Plan {
    let mut plan = Plan::default();
    for (i, new) in candidates {
        let row = &rows[i];
        let Some(old) = stored(&row.email_key) else {
            plan.insert.push((i, new));
            continue;
        };
        let mode = if old.written_by_import {
            plan.skipped += 1;
            OnDuplicate::Update
        } else {
            on_duplicate
        };
        let values = match mode {
            OnDuplicate::Skip => {
                plan.skipped += 1;
                plan.decided.push((i, RowOutcome::SkippedDuplicate, old.id));
                continue;
            }
            OnDuplicate::Update => new,
            OnDuplicate::UpdateNonBlank => merge_non_blank(row, new, &old.values),
        };
        // The report's outcome follows the counts: an overwrite of what this import wrote
        // counts as skipped; an update to the values the customer has is `unchanged`.
        let outcome = if old.written_by_import {
            RowOutcome::SkippedDuplicate
        } else if values.fields == old.values.fields && values.group_id == old.values.group_id {
            RowOutcome::Unchanged
        } else {
            RowOutcome::Updated
        };
        plan.decided.push((i, outcome, old.id));
        plan.update.push(CustomerUpdate {
            id: old.id,
            values,
            import_id: Some(import_id),
        });
        if !old.written_by_import {
            plan.updated += 1;
            plan.undo.push(Undo::Updated {
                id: old.id,
                before: old.values,
            });
        }
    }
    plan
}

/// The whole decision for one batch: the later row wins within it, then [`resolve`].
pub fn plan(
    rows: &[StoredRow],
    stored: impl FnMut(&str) -> Option<Stored>,
    groups: &HashMap<String, Id>,
    default_group: Id,
    on_duplicate: OnDuplicate,
    import_id: Id,
) -> Plan {
    let latest = latest_rows(rows);
    let candidates = latest
        .iter()
        .map(|&i| (i, values_of(&rows[i], groups, default_group)));
    let mut plan = resolve(rows, candidates, stored, on_duplicate, import_id);
    plan.skipped += (rows.len() - latest.len()) as i64;
    plan
}

/// The `Created` records of these new customers' ids: one per run of consecutive ids, so a
/// million new customers need about a thousand records (ids come from one writer's
/// sequence, so a batch's are consecutive unless another writer took some between).
pub fn created_runs(mut ids: Vec<Id>) -> Vec<Undo> {
    ids.sort_unstable();
    let mut runs: Vec<Undo> = Vec::new();
    for id in ids {
        match runs.last_mut() {
            Some(Undo::Created { last, .. }) if *last == id - 1 => *last = id,
            _ => runs.push(Undo::Created {
                first: id,
                last: id,
            }),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;
    use shared::api::{Id, OnDuplicate};

    use super::*;

    const IMPORT: Id = 9;
    const DEFAULT_GROUP: Id = 1;
    const VIP: Id = 2;

    fn groups() -> HashMap<String, Id> {
        HashMap::from([("VIP".to_owned(), VIP)])
    }

    fn row(line: u64, email: &str, first: &str, note: &str) -> StoredRow {
        StoredRow {
            line,
            fields: CustomerFields {
                first_name: first.into(),
                last_name: String::new(),
                full_name: first.into(),
                email: email.into(),
                note: note.into(),
                accepts_marketing: None,
            },
            email_key: email.to_lowercase(),
            group: None,
        }
    }

    fn snapshot(email: &str, first: &str) -> CustomerSnapshot {
        CustomerSnapshot {
            fields: CustomerFields {
                first_name: first.into(),
                last_name: "Stored".into(),
                full_name: format!("{first} Stored"),
                email: email.into(),
                note: "kept".into(),
                accepts_marketing: true,
            },
            group_id: VIP,
            import_id: None,
        }
    }

    /// One stored customer (id 100) with this email, written by this import or not.
    fn one_stored(email: &str, written_by_import: bool) -> impl FnMut(&str) -> Option<Stored> {
        let stored = Stored {
            id: 100,
            values: snapshot(email, "Old"),
            written_by_import,
        };
        let key = email.to_lowercase();
        move |k: &str| (k == key).then(|| stored.clone())
    }

    fn run(
        rows: &[StoredRow],
        stored: impl FnMut(&str) -> Option<Stored>,
        mode: OnDuplicate,
    ) -> Plan {
        plan(rows, stored, &groups(), DEFAULT_GROUP, mode, IMPORT)
    }

    #[test]
    fn a_new_email_is_inserted_in_the_import_group_and_nothing_else() {
        let mut r = row(2, "Ann@Example.com", "Ann", "");
        r.group = Some("VIP".into());
        let rows = vec![r, row(3, "bob@example.com", "Bob", "")];
        for mode in [
            OnDuplicate::Skip,
            OnDuplicate::Update,
            OnDuplicate::UpdateNonBlank,
        ] {
            let p = run(&rows, |_| None, mode);
            assert_eq!(p.insert.len(), 2);
            assert_eq!(p.insert[0].0, 0);
            assert_eq!(p.insert[0].1.email_key, "ann@example.com");
            assert_eq!(p.insert[0].1.group_id, VIP);
            assert_eq!(p.insert[1].1.group_id, DEFAULT_GROUP);
            assert!(!p.insert[1].1.fields.accepts_marketing);
            assert_eq!(
                (p.update.len(), p.undo.len(), p.updated, p.skipped),
                (0, 0, 0, 0)
            );
        }
    }

    #[test]
    fn skip_leaves_a_stored_customer_alone_and_counts_the_row_skipped() {
        let rows = vec![row(2, "ann@example.com", "Ann", "new note")];
        let p = run(
            &rows,
            one_stored("ann@example.com", false),
            OnDuplicate::Skip,
        );
        assert_eq!(
            p,
            Plan {
                skipped: 1,
                decided: vec![(0, RowOutcome::SkippedDuplicate, 100)],
                ..Plan::default()
            }
        );
    }

    #[test]
    fn update_overwrites_every_field_blank_ones_too_and_keeps_the_values_before() {
        let rows = vec![row(2, "ann@example.com", "Ann", "")];
        let p = run(
            &rows,
            one_stored("ann@example.com", false),
            OnDuplicate::Update,
        );
        assert!(p.insert.is_empty());
        assert_eq!((p.updated, p.skipped), (1, 0));
        assert_eq!(p.update.len(), 1);
        let u = &p.update[0];
        assert_eq!((u.id, u.import_id), (100, Some(IMPORT)));
        assert_eq!(u.values.fields.first_name, "Ann");
        assert_eq!(
            u.values.fields.last_name, "",
            "a blank cell overwrites with Update"
        );
        assert_eq!(u.values.fields.note, "");
        assert!(!u.values.fields.accepts_marketing);
        assert_eq!(u.values.group_id, DEFAULT_GROUP);
        assert_eq!(
            p.undo,
            vec![Undo::Updated {
                id: 100,
                before: snapshot("ann@example.com", "Old")
            }]
        );
    }

    #[test]
    fn update_non_blank_overwrites_only_the_cells_that_have_a_value() {
        let mut r = row(2, "ann@example.com", "Ann", "");
        r.fields.accepts_marketing = Some(false);
        let p = run(
            &[r],
            one_stored("ann@example.com", false),
            OnDuplicate::UpdateNonBlank,
        );
        assert_eq!((p.updated, p.skipped), (1, 0));
        let v = &p.update[0].values;
        assert_eq!(v.fields.first_name, "Ann");
        assert_eq!(v.fields.full_name, "Ann");
        assert_eq!(
            v.fields.last_name, "Stored",
            "a blank cell keeps the stored value"
        );
        assert_eq!(v.fields.note, "kept");
        assert!(!v.fields.accepts_marketing, "a given consent overwrites");
        assert_eq!(v.group_id, VIP, "no group named: the stored group stays");
        assert_eq!(p.undo.len(), 1);

        // A blank consent and a blank group name keep the stored ones; a named group wins.
        let mut r = row(2, "ann@example.com", "", "");
        r.group = Some("  ".into());
        let p = run(
            &[r.clone()],
            one_stored("ann@example.com", false),
            OnDuplicate::UpdateNonBlank,
        );
        let v = &p.update[0].values;
        assert_eq!(
            (
                v.fields.first_name.as_str(),
                v.fields.accepts_marketing,
                v.group_id
            ),
            ("Old", true, VIP)
        );
        let mut stored = one_stored("ann@example.com", false);
        let mut moved = move |k: &str| {
            stored(k).map(|mut s| {
                s.values.group_id = 5;
                s
            })
        };
        r.group = Some("VIP".into());
        let p = run(&[r], &mut moved, OnDuplicate::UpdateNonBlank);
        assert_eq!(p.update[0].values.group_id, VIP);
    }

    #[test]
    fn each_stored_email_gets_its_report_outcome_per_mode() {
        // Same values as stored: unchanged; other values: updated; skip: skipped.
        let mut same = row(2, "ann@example.com", "Old", "kept");
        same.fields.last_name = "Stored".into();
        same.fields.full_name = "Old Stored".into();
        same.fields.accepts_marketing = Some(true);
        same.group = Some("VIP".into());
        let other = row(2, "ann@example.com", "Ann", "");
        let cases = [
            (OnDuplicate::Skip, &same, RowOutcome::SkippedDuplicate),
            (OnDuplicate::Update, &same, RowOutcome::Unchanged),
            (OnDuplicate::Update, &other, RowOutcome::Updated),
            (OnDuplicate::UpdateNonBlank, &other, RowOutcome::Updated),
        ];
        for (mode, r, want) in cases {
            let p = run(
                std::slice::from_ref(r),
                one_stored("ann@example.com", false),
                mode,
            );
            assert_eq!(p.decided, vec![(0, want, 100)], "{mode:?}");
        }
        // Blank cells under update_non_blank keep every stored value: unchanged.
        let blank = row(2, "ann@example.com", "", "");
        let p = run(
            &[blank],
            one_stored("ann@example.com", false),
            OnDuplicate::UpdateNonBlank,
        );
        assert_eq!(p.decided, vec![(0, RowOutcome::Unchanged, 100)]);
        assert_eq!(p.updated, 1, "the counts still say updated");
        // What this import wrote before: skipped, as the counts say.
        let p = run(
            &[row(2, "ann@example.com", "Ann", "")],
            one_stored("ann@example.com", true),
            OnDuplicate::Update,
        );
        assert_eq!(p.decided, vec![(0, RowOutcome::SkippedDuplicate, 100)]);
    }

    #[test]
    fn a_customer_this_import_wrote_is_overwritten_whatever_the_mode_and_counts_skipped() {
        for mode in [
            OnDuplicate::Skip,
            OnDuplicate::Update,
            OnDuplicate::UpdateNonBlank,
        ] {
            let rows = vec![row(2, "ann@example.com", "Ann", "")];
            let p = run(&rows, one_stored("ann@example.com", true), mode);
            assert_eq!((p.updated, p.skipped), (0, 1), "{mode:?}");
            assert_eq!(p.update.len(), 1);
            // The later row wins entirely: blank cells overwrite too.
            assert_eq!(p.update[0].values.fields.note, "");
            assert!(
                p.undo.is_empty(),
                "its first record already holds the values before"
            );
        }
    }

    #[test]
    fn the_later_row_of_an_email_wins_within_a_batch_and_the_earlier_ones_are_skipped() {
        let rows = vec![
            row(2, "ann@example.com", "First", "x"),
            row(3, "bob@example.com", "Bob", ""),
            row(4, "ANN@example.com", "Second", ""),
            row(5, "ann@example.com", "Third", ""),
        ];
        assert_eq!(latest_rows(&rows), vec![1, 3]);
        let p = run(&rows, |_| None, OnDuplicate::Skip);
        let inserted: Vec<(usize, &str)> = p
            .insert
            .iter()
            .map(|(i, v)| (*i, v.fields.first_name.as_str()))
            .collect();
        assert_eq!(inserted, vec![(1, "Bob"), (3, "Third")]);
        assert_eq!(p.skipped, 2);

        let p = run(
            &rows,
            one_stored("ann@example.com", false),
            OnDuplicate::Update,
        );
        assert_eq!(
            (p.insert.len(), p.update.len(), p.updated, p.skipped),
            (1, 1, 1, 2)
        );
        assert_eq!(p.update[0].values.fields.first_name, "Third");
    }

    #[test]
    fn created_ids_become_runs_of_consecutive_ids() {
        let runs = |ids: Vec<Id>| -> Vec<(Id, Id)> {
            created_runs(ids)
                .into_iter()
                .map(|u| match u {
                    Undo::Created { first, last } => (first, last),
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(runs(vec![]), vec![]);
        assert_eq!(runs(vec![7]), vec![(7, 7)]);
        // Out of order, with a gap where another writer took ids 4 and 5.
        assert_eq!(runs(vec![3, 1, 2, 6, 8, 7]), vec![(1, 3), (6, 8)]);
        assert_eq!(runs((10..1010).collect()), vec![(10, 1009)]);
    }

    // ---- against a model ----

    const EMAILS: [&str; 4] = ["a@x.io", "b@x.io", "c@x.io", "d@x.io"];

    /// A customer's values the way the model keeps them.
    type Values = (String, String, String, bool, Id);

    fn arb_row() -> impl Strategy<Value = StoredRow> {
        (
            0..EMAILS.len(),
            prop_oneof![Just(""), Just("Ann"), Just("Bo")],
            prop_oneof![Just(""), Just("note")],
            proptest::option::of(any::<bool>()),
            prop_oneof![Just(None), Just(Some(" ")), Just(Some("VIP"))],
        )
            .prop_map(|(e, first, note, consent, group)| {
                let mut r = row(0, EMAILS[e], first, note);
                r.fields.last_name = first.to_lowercase();
                r.fields.accepts_marketing = consent;
                r.group = group.map(str::to_owned);
                r
            })
    }

    fn arb_stored() -> impl Strategy<Value = Vec<Option<(bool, &'static str, bool)>>> {
        proptest::collection::vec(
            proptest::option::of((
                any::<bool>(),
                prop_oneof![Just(""), Just("Old")],
                any::<bool>(),
            )),
            EMAILS.len(),
        )
    }

    fn arb_mode() -> impl Strategy<Value = OnDuplicate> {
        prop_oneof![
            Just(OnDuplicate::Skip),
            Just(OnDuplicate::Update),
            Just(OnDuplicate::UpdateNonBlank)
        ]
    }

    fn values(v: &CustomerValues) -> Values {
        (
            v.fields.first_name.clone(),
            v.fields.last_name.clone(),
            v.fields.note.clone(),
            v.fields.accepts_marketing,
            v.group_id,
        )
    }

    proptest! {
        /// The plan, applied to a store, leaves what a plain reading of the rules says,
        /// counts every row once and keeps the values from before of each customer it
        /// overwrites for the first time.
        #[test]
        fn the_plan_does_what_the_rules_say(
            mut rows in proptest::collection::vec(arb_row(), 0..12),
            stored in arb_stored(),
            mode in arb_mode(),
        ) {
            for (i, r) in rows.iter_mut().enumerate() {
                r.line = i as u64 + 2;
            }
            let store: HashMap<String, Stored> = stored
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
                .map(|(i, (written, first, consent))| {
                    let mut values = snapshot(EMAILS[i], first);
                    values.fields.accepts_marketing = *consent;
                    (EMAILS[i].to_owned(), Stored { id: 100 + i as Id, values, written_by_import: *written })
                })
                .collect();
            let p = plan(&rows, |k| store.get(k).cloned(), &groups(), DEFAULT_GROUP, mode, IMPORT);

            // The model: walk the file backwards; the first row met of an email is its last.
            let mut seen = HashSet::new();
            let mut expect: HashMap<String, Values> = HashMap::new();
            let (mut created, mut updated, mut skipped) = (0i64, 0i64, 0i64);
            let mut undo_ids = Vec::new();
            for r in rows.iter().rev() {
                if !seen.insert(r.email_key.clone()) {
                    skipped += 1;
                    continue;
                }
                let group = match r.group.as_deref() { Some("VIP") => VIP, _ => DEFAULT_GROUP };
                let f = &r.fields;
                let full: Values = (f.first_name.clone(), f.last_name.clone(), f.note.clone(),
                    f.accepts_marketing == Some(true), group);
                match store.get(&r.email_key) {
                    None => { created += 1; expect.insert(r.email_key.clone(), full); }
                    Some(s) if s.written_by_import => { skipped += 1; expect.insert(r.email_key.clone(), full); }
                    Some(_) if mode == OnDuplicate::Skip => skipped += 1,
                    Some(s) => {
                        updated += 1;
                        undo_ids.push(s.id);
                        let v = if mode == OnDuplicate::Update { full } else {
                            let or = |new: &str, old: &str| if new.is_empty() { old.to_owned() } else { new.to_owned() };
                            let o = &s.values.fields;
                            (or(&f.first_name, &o.first_name), or(&f.last_name, &o.last_name),
                             or(&f.note, &o.note), f.accepts_marketing.unwrap_or(o.accepts_marketing),
                             if r.group.as_deref() == Some("VIP") { VIP } else { s.values.group_id })
                        };
                        expect.insert(r.email_key.clone(), v);
                    }
                }
            }

            prop_assert_eq!(p.insert.len() as i64, created);
            prop_assert_eq!(p.updated, updated);
            prop_assert_eq!(p.skipped, skipped);
            prop_assert_eq!(p.insert.len() as i64 + p.updated + p.skipped, rows.len() as i64);
            let mut got: HashMap<String, Values> = HashMap::new();
            for (i, v) in &p.insert {
                prop_assert_eq!(&rows[*i].email_key, &v.email_key);
                got.insert(v.email_key.clone(), values(v));
            }
            for u in &p.update {
                prop_assert_eq!(u.import_id, Some(IMPORT));
                let key = EMAILS[(u.id - 100) as usize];
                prop_assert_eq!(&u.values.email_key, key);
                got.insert(key.to_owned(), values(&u.values));
            }
            prop_assert_eq!(got, expect);
            let mut undone: Vec<Id> = p.undo.iter().map(|u| match u {
                Undo::Updated { id, before } => {
                    assert_eq!(before, &store[EMAILS[(*id - 100) as usize]].values);
                    *id
                }
                Undo::Created { .. } => panic!("created records come from ids"),
            }).collect();
            undone.sort_unstable();
            undo_ids.sort_unstable();
            prop_assert_eq!(undone, undo_ids);
        }
    }
}
