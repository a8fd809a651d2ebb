//! The import page's state machine, message by message: which answers of the parse worker
//! move the wizard and which leave it where it is.

use frontend::pages::import::phase::{Phase, apply, choose_target, rate, straight_to_check};
use frontend::protocol::{FromWorker, Preview, PreviewColumn, Progress};
use shared::api::FieldError;
use shared::import::{IgnoredReason, MatchReason, Target, ValueEvidence, ValueKind};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn preview() -> FromWorker {
    FromWorker::Preview(Preview {
        encoding: "utf-8".into(),
        delimiter: b',',
        has_header: true,
        header_line: Some(1),
        columns: Vec::new(),
        rows: Vec::new(),
        problem: None,
        file_size: 10.0,
    })
}

fn uploading(import: Option<i64>) -> Phase {
    Phase::Uploading {
        import,
        paused: false,
    }
}

fn failed() -> FromWorker {
    FromWorker::Failed {
        message: "no".into(),
    }
}

/// Answers that report and never move the wizard.
fn reports() -> Vec<FromWorker> {
    let p = Progress::default();
    vec![
        FromWorker::Ready,
        FromWorker::Progress(p),
        FromWorker::BatchSent {
            seq: 3,
            progress: p,
        },
        FromWorker::Checked {
            progress: p,
            errors: vec![(
                2,
                FieldError {
                    field: shared::api::Field::Email,
                    code: shared::api::ErrorCode::InvalidEmail,
                    message: "Not an email.".into(),
                    params: None,
                },
            )],
            values: Default::default(),
        },
        FromWorker::Problems,
        FromWorker::Validated {
            line: 2,
            errors: Vec::new(),
        },
    ]
}

#[wasm_bindgen_test]
fn the_first_preview_makes_the_wizard_ready_and_later_ones_keep_the_phase() {
    assert_eq!(apply(Phase::Choose, &preview()), Phase::Ready);
    assert_eq!(apply(Phase::Ready, &preview()), Phase::Ready);
    assert_eq!(apply(uploading(Some(4)), &preview()), uploading(Some(4)));
    assert_eq!(apply(Phase::Following(4), &preview()), Phase::Following(4));
}

#[wasm_bindgen_test]
fn an_uploaded_file_waits_stored_for_the_page_to_commit_it() {
    let progress = Progress {
        rows: 12,
        ..Progress::default()
    };
    assert_eq!(
        apply(
            uploading(Some(7)),
            &FromWorker::Uploaded {
                progress,
                batches: 2,
            }
        ),
        Phase::Stored {
            import: 7,
            batches: 2,
            rows: 12
        }
    );
    let paused = Phase::Uploading {
        import: Some(8),
        paused: true,
    };
    let done = FromWorker::Uploaded {
        progress: Progress::default(),
        batches: 1,
    };
    assert_eq!(
        apply(paused, &done),
        Phase::Stored {
            import: 8,
            batches: 1,
            rows: 0
        }
    );
    // Stored waits for the page: nothing the worker says moves it.
    let stored = Phase::Stored {
        import: 8,
        batches: 1,
        rows: 0,
    };
    assert_eq!(apply(stored.clone(), &done), stored);
    assert!(stored.busy());
    // No import to follow (not created yet) or no upload under way: nothing moves.
    assert_eq!(apply(uploading(None), &done), uploading(None));
    assert_eq!(apply(Phase::Ready, &done), Phase::Ready);
}

#[wasm_bindgen_test]
fn a_stopped_upload_returns_to_ready_from_any_phase() {
    for phase in [
        Phase::Choose,
        Phase::Ready,
        uploading(Some(1)),
        uploading(None),
    ] {
        assert_eq!(apply(phase, &FromWorker::Stopped), Phase::Ready);
    }
}

#[wasm_bindgen_test]
fn a_failure_ends_an_upload_but_not_a_preview_or_a_followed_import() {
    assert_eq!(apply(uploading(Some(3)), &failed()), Phase::Ready);
    assert_eq!(apply(uploading(None), &failed()), Phase::Ready);
    assert_eq!(apply(Phase::Choose, &failed()), Phase::Choose);
    assert_eq!(apply(Phase::Ready, &failed()), Phase::Ready);
    assert_eq!(apply(Phase::Following(3), &failed()), Phase::Following(3));
}

#[wasm_bindgen_test]
fn progress_checks_and_corrections_never_move_the_wizard() {
    for phase in [
        Phase::Choose,
        Phase::Ready,
        uploading(Some(5)),
        Phase::Following(5),
    ] {
        for answer in reports() {
            assert_eq!(apply(phase.clone(), &answer), phase, "{answer:?}");
        }
    }
}

#[wasm_bindgen_test]
fn the_wizard_is_busy_while_uploading_or_following() {
    assert!(!Phase::Choose.busy());
    assert!(!Phase::Ready.busy());
    assert!(uploading(None).busy());
    assert!(Phase::Following(1).busy());
    assert_eq!(uploading(Some(9)).uploading_to(), Some(9));
    assert_eq!(Phase::Following(9).uploading_to(), None);
}

#[wasm_bindgen_test]
fn a_field_taken_by_another_column_is_freed_there() {
    let mapping = vec![Some(Target::Email), None, Some(Target::Note)];
    assert_eq!(
        choose_target(mapping.clone(), 1, Some(Target::Email)),
        vec![None, Some(Target::Email), Some(Target::Note)]
    );
    assert_eq!(
        choose_target(mapping.clone(), 2, None),
        vec![Some(Target::Email), None, None]
    );
    // A column that is not there changes nothing but still frees the field.
    assert_eq!(
        choose_target(mapping, 5, Some(Target::Note)),
        vec![Some(Target::Email), None, None]
    );
}

#[wasm_bindgen_test]
fn the_rate_is_said_after_half_a_second_and_some_bytes() {
    assert_eq!(rate(100, 10.0, 100.0, 0.4), None);
    assert_eq!(rate(100, 0.0, 100.0, 2.0), None);
    assert_eq!(rate(100, 25.0, 100.0, 2.0), Some((50.0, 6.0)));
}

fn col(
    target: Option<Target>,
    reason: MatchReason,
    ignored: Option<IgnoredReason>,
) -> PreviewColumn {
    PreviewColumn {
        index: 0,
        header: Some("h".into()),
        target,
        confidence: 1.0,
        samples: Vec::new(),
        ignored_reason: ignored,
        reason: Some(reason),
        demoted: None,
    }
}

fn previewed(columns: Vec<PreviewColumn>, has_header: bool) -> Preview {
    let FromWorker::Preview(mut p) = preview() else {
        unreachable!()
    };
    p.columns = columns;
    p.has_header = has_header;
    p
}

#[wasm_bindgen_test]
fn only_a_file_whose_every_column_is_known_goes_straight_to_the_check() {
    let exact = |t| {
        col(
            Some(t),
            MatchReason::Synonym {
                synonym: "email".into(),
            },
            None,
        )
    };
    let phone = col(
        None,
        MatchReason::NotImportable,
        Some(IgnoredReason::NotImportable),
    );
    let known = previewed(
        vec![
            exact(Target::Email),
            exact(Target::FirstName),
            phone.clone(),
        ],
        true,
    );
    assert!(straight_to_check(&known, false));

    // A column nobody recognised, a guess from values, a typo: the user looks first.
    let unknown = col(None, MatchReason::Unknown, Some(IgnoredReason::Unknown));
    let guessed = col(
        Some(Target::Email),
        MatchReason::values(ValueEvidence::new(ValueKind::Emails, 1.0)),
        None,
    );
    let typo = col(
        Some(Target::Email),
        MatchReason::Fuzzy {
            synonym: "email".into(),
            score: 0.8,
        },
        None,
    );
    for odd in [unknown, guessed, typo] {
        let p = previewed(vec![exact(Target::FirstName), odd.clone()], true);
        assert!(!straight_to_check(&p, false), "{odd:?}");
        // ...unless a saved profile mapped the file.
        assert!(straight_to_check(&p, true), "{odd:?}");
    }
    // No header line, nothing imported, or a file that could not be read: never.
    assert!(!straight_to_check(
        &previewed(vec![exact(Target::Email)], false),
        false
    ));
    assert!(!straight_to_check(&previewed(vec![phone], true), true));
    let mut broken = previewed(vec![exact(Target::Email)], true);
    broken.problem = Some(FieldError {
        field: shared::api::Field::Email,
        code: shared::api::ErrorCode::EmptyFile,
        message: "empty".into(),
        params: None,
    });
    assert!(!straight_to_check(&broken, true));
}
