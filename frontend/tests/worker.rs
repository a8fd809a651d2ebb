//! The parse worker's reading and preview, run inside a real dedicated worker in headless
//! Chromium (`FileReaderSync` exists only there).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use frontend::i18n::Lang;
use frontend::protocol::{FromWorker, Progress, ReadSettings, ToWorker};
use frontend::worker::{
    CheckResult, FIRST_SHARE, PartJob, PartRunner, Split, check, check_part, check_with, preview,
};
use shared::import::{PartEmails, Target};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn file(bytes: &[u8], name: &str) -> web_sys::File {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap()
}

#[wasm_bindgen_test]
fn a_utf8_file_with_a_header_previews_mapped_normalised_rows() {
    let f = file(b"first_name,last_name,email\nAda,Lovelace,ada@example.com\nGrace,Hopper,GRACE@Example.com\n", "a.csv");
    let p = preview(&f, &ReadSettings::default(), 10).unwrap();
    assert_eq!(p.encoding, "utf-8");
    assert_eq!(p.delimiter, b',');
    assert!(p.has_header);
    let targets: Vec<_> = p.columns.iter().map(|c| c.target).collect();
    assert_eq!(
        targets,
        vec![
            Some(Target::FirstName),
            Some(Target::LastName),
            Some(Target::Email)
        ]
    );
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].line, 2);
    assert_eq!(p.rows[1].row.email.as_deref(), Some("grace@example.com"));
    assert!(p.rows.iter().all(|r| r.errors.is_empty()));
}

#[wasm_bindgen_test]
fn a_windows_1251_semicolon_file_without_header_is_detected() {
    let text = "Иван;Петров;ivan@example.com;да\r\nМария;Иванова;maria@example.com;не\r\nПетър;Георгиев;petar@example.com;да\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let f = file(&bytes, "bg.csv");
    let p = preview(&f, &ReadSettings::default(), 10).unwrap();
    assert_eq!(p.encoding, "windows-1251");
    assert_eq!(p.delimiter, b';');
    assert!(!p.has_header);
    assert_eq!(p.rows.len(), 3);
    assert_eq!(p.rows[0].line, 1);
    assert_eq!(p.rows[1].row.first_name.as_deref(), Some("Мария"));
}

#[wasm_bindgen_test]
fn overriding_the_header_choice_re_reads_the_first_line_as_data() {
    let f = file(
        b"first_name,last_name,email\nAda,Lovelace,ada@example.com\n",
        "a.csv",
    );
    let settings = ReadSettings {
        has_header: Some(false),
        ..ReadSettings::default()
    };
    let p = preview(&f, &settings, 10).unwrap();
    assert!(!p.has_header);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].line, 1);
    assert!(
        !p.rows[0].errors.is_empty(),
        "the header line as data has no valid email"
    );
}

/// A file of several read slices: Cyrillic names (characters cut at slice ends), quoted notes
/// over two lines, duplicate emails (in other case too) and invalid rows.
fn several_slices_of_customers() -> Vec<u8> {
    let mut text = String::from("first_name,last_name,email,note,accepts_marketing\n");
    let mut i = 0u32;
    while text.len() < 2_700_000 {
        let row = match i % 9 {
            0 => format!("Иван,Петров,ivan{i}@example.com,\"Звъни, после\nпиши\",да\n"),
            1 => format!("Ada,Lovelace,ada{i}@example.com,,yes\n"),
            2 if i % 400 == 2 => format!("Bad,Row,not-an-email-{i},,no\n"),
            3 if i % 500 == 3 => format!("Odd,Consent,odd{i}@example.com,,perhaps\n"),
            4 => format!("Мария,Иванова,maria{i}@example.bg,\"a \"\"quoted\"\" note\",не\n"),
            // The row 50 above (an Ivan) again, in upper case.
            5 if i % 97 == 5 && i > 50 => format!("Ivan,Again,IVAN{}@Example.COM,,no\n", i - 50),
            // An Ada from about half the file before: a repeat across a split in the middle.
            6 if i % 211 == 6 => format!("Ada,Back,ADA{}@example.com,,no\n", i / 2 / 9 * 9 + 1),
            _ => format!("Grace,Hopper,grace{i}@example.com,Note {i},1\n"),
        };
        text.push_str(&row);
        i += 1;
    }
    text.into_bytes()
}

/// The whole-file check, read through the file's stream slice by slice, counts and reports
/// what one in-memory pass (`intake inspect`'s) does, at the same lines.
#[wasm_bindgen_test]
async fn a_whole_file_check_matches_one_pass_over_the_bytes() {
    let bytes = several_slices_of_customers();
    let f = file(&bytes, "big.csv");
    let mut seen = Vec::new();
    let (progress, errors, _) = check(&f, &ReadSettings::default(), |p| seen.push(p.bytes_done))
        .await
        .unwrap();
    // Progress after each 1 MB slice, the last at the end of the file.
    assert_eq!(
        seen,
        vec![1048576.0, 2097152.0, bytes.len() as f64],
        "one progress report per slice"
    );
    assert_eq!(progress.bytes_done, progress.bytes_total);

    let report = shared::import::inspect(&bytes, &shared::settings::ReadSettings::default());
    assert_eq!(progress.rows, report.rows.total);
    assert_eq!(progress.valid, report.rows.valid);
    assert_eq!(progress.invalid, report.rows.invalid);
    assert_eq!(progress.duplicates, report.rows.duplicates);
    assert!(
        progress.invalid > 10 && progress.duplicates > 40,
        "{progress:?}"
    );
    // The same problems at the same lines (the report sorts them by line).
    let mut listed: Vec<(u64, shared::api::ErrorCode, String)> = errors
        .into_iter()
        .map(|(line, e)| (line, e.code, e.message))
        .collect();
    listed.sort_by_key(|e| e.0);
    let expected: Vec<(u64, shared::api::ErrorCode, String)> = report
        .errors
        .into_iter()
        .map(|e| (e.line, e.code, e.message))
        .collect();
    // All of them: the report lists at most 1,000.
    assert!(expected.len() < 1000);
    assert_eq!(listed, expected);
}

/// A [`PartRunner`] that reads the part in this worker (interleaved with the first part at
/// each read), through the same bytes the helper worker hands over, and answers the request
/// for emails as the helper does. Counts its runs and cancellations; `fail` makes the part
/// (or only the emails) fail as a crashed helper would.
fn in_process_runner(
    runs: Rc<Cell<u32>>,
    cancels: Rc<Cell<u32>>,
    fail: Fail,
) -> Box<PartRunner<'static>> {
    Box::new(move |file, settings, start, progress| {
        runs.set(runs.get() + 1);
        let (file, settings) = (file.clone(), settings.clone());
        let kept: Rc<RefCell<Option<PartEmails>>> = Rc::default();
        let result = {
            let kept = kept.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                if fail == Fail::Part {
                    return Ok(JsValue::from_str("The helper stopped."));
                }
                let part = check_part(&file, &settings, start, &mut |p| progress.set(*p)).await;
                Ok(match part {
                    Ok((part, emails)) => {
                        *kept.borrow_mut() = Some(emails);
                        js_sys::Uint8Array::from(&part.into_bytes()[..]).into()
                    }
                    Err(e) => JsValue::from_str(&e),
                })
            })
        };
        let cancels = cancels.clone();
        Some(PartJob {
            result,
            emails: Box::new(move |wanted| {
                EMAILS_ASKED.with(|n| n.set(n.get() + wanted.len()));
                let answer: JsValue = match (fail, kept.borrow_mut().take()) {
                    (Fail::Emails, _) | (_, None) => JsValue::from_str("The helper stopped."),
                    (_, Some(emails)) => {
                        js_sys::Uint8Array::from(&emails.answer(wanted)[..]).into()
                    }
                };
                Some(js_sys::Promise::resolve(&answer))
            }),
            cancel: Box::new(move || cancels.set(cancels.get() + 1)),
        })
    })
}

thread_local! {
    /// The emails [`in_process_runner`]s were asked for.
    static EMAILS_ASKED: Cell<usize> = const { Cell::new(0) };
}

/// How an [`in_process_runner`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    Never,
    /// The part is not read.
    Part,
    /// The part is read, its emails are not sent.
    Emails,
}

/// The check in one pass, for comparison.
async fn one_pass(f: &web_sys::File) -> CheckResult {
    let never = Split {
        from_size: f64::INFINITY,
        at: None,
        share: 0.5,
    };
    let runs = Rc::new(Cell::new(0));
    let runner = in_process_runner(runs.clone(), Rc::new(Cell::new(0)), Fail::Never);
    let result = check_with(
        f,
        &ReadSettings::default(),
        never,
        &*runner,
        &|| true,
        &mut |_| (),
    )
    .await
    .unwrap();
    assert_eq!(runs.get(), 0);
    result
}

/// A check split in two parts gives exactly one pass's counts and problems, in the same
/// order: near the shares the real check uses (about half, and more for a cold helper), at
/// a quarter, at a record start chosen here, and when the first part does not end at a
/// record start (inside a quoted note: it reads the rest itself).
#[wasm_bindgen_test]
async fn a_split_check_gives_what_one_pass_gives() {
    let bytes = several_slices_of_customers();
    let f = file(&bytes, "big.csv");
    let expected = one_pass(&f).await;
    assert!(expected.0.duplicates > 40 && expected.0.invalid > 10);
    let text = std::str::from_utf8(&bytes).unwrap();
    // A record start past the middle, and a line break inside a quoted note after it.
    let row_start = text[bytes.len() / 2..].find("\nGrace").unwrap() + bytes.len() / 2 + 1;
    let in_note = text[row_start..].find("после\n").unwrap() + row_start + "после\n".len();
    for (at, share, merged) in [
        (None, FIRST_SHARE, true),
        (None, 0.25, true),
        (Some(row_start), 0.5, true),
        (Some(in_note), 0.5, false),
    ] {
        let (runs, cancels) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let runner = in_process_runner(runs.clone(), cancels.clone(), Fail::Never);
        let split = Split {
            from_size: 0.0,
            at: at.map(|a| a as f64),
            share,
        };
        let mut last = 0.0;
        let got = check_with(
            &f,
            &ReadSettings::default(),
            split,
            &*runner,
            &|| true,
            &mut |p| last = p.bytes_done,
        )
        .await
        .unwrap();
        assert_eq!(runs.get(), 1, "split at {at:?} / {share}");
        assert_eq!(
            cancels.get(),
            u32::from(!merged),
            "split at {at:?} / {share}"
        );
        assert_eq!(got, expected, "split at {at:?} / {share}");
        assert_eq!(last, bytes.len() as f64);
    }
}

/// A helper that is not ready at first (a cold start) gets a share of what is left when it
/// is: the split comes after the slices read meanwhile, with one pass's results.
/// The check of `f` split at half of what is left once `ready` says the `runner` can start.
async fn check_in_halves(
    f: &web_sys::File,
    runner: &PartRunner<'_>,
    ready: &dyn Fn() -> bool,
) -> CheckResult {
    let split = Split {
        from_size: 0.0,
        at: None,
        share: 0.5,
    };
    check_with(
        f,
        &ReadSettings::default(),
        split,
        runner,
        ready,
        &mut |_| (),
    )
    .await
    .unwrap()
}

#[wasm_bindgen_test]
async fn a_helper_ready_late_reads_a_share_of_the_rest() {
    let bytes = several_slices_of_customers();
    let f = file(&bytes, "big.csv");
    let expected = one_pass(&f).await;
    for (ready_at, split_after) in [(2, 1_048_576.0), (3, 2_097_152.0), (9, f64::INFINITY)] {
        let (runs, cancels) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let inner = in_process_runner(runs.clone(), cancels.clone(), Fail::Never);
        let starts = Rc::new(RefCell::new(Vec::new()));
        let runner = {
            let starts = starts.clone();
            move |f: &web_sys::File, s: &ReadSettings, start: f64, p: Rc<Cell<Progress>>| {
                starts.borrow_mut().push(start);
                inner(f, s, start, p)
            }
        };
        // Ready from its `ready_at`-th question on (one question before each slice).
        let asked = Cell::new(0);
        let ready = || {
            asked.set(asked.get() + 1);
            asked.get() >= ready_at
        };
        let got = check_in_halves(&f, &runner, &ready).await;
        assert_eq!(got, expected, "ready at {ready_at}");
        let starts = starts.borrow();
        if split_after.is_finite() {
            // Half of what was left after the slices read, to the next record start.
            let from = split_after + (bytes.len() as f64 - split_after) / 2.0;
            assert_eq!(starts.len(), 1, "ready at {ready_at}");
            assert!(
                starts[0] > from && starts[0] < from + 1000.0,
                "ready at {ready_at}: {starts:?}"
            );
            assert_eq!(cancels.get(), 0);
        } else {
            // Ready after the last slice: no split.
            assert!(starts.is_empty(), "{starts:?}");
        }
        assert_eq!(runs.get(), starts.len() as u32);
    }
}

/// A helper that fails (or whose answer is unreadable, or that cannot send the emails the
/// merge asks for) costs time, not results.
#[wasm_bindgen_test]
async fn a_failed_second_part_is_read_by_the_first() {
    let bytes = several_slices_of_customers();
    let f = file(&bytes, "big.csv");
    let expected = one_pass(&f).await;
    for fail in [Fail::Part, Fail::Emails] {
        EMAILS_ASKED.with(|n| n.set(0));
        let runner = in_process_runner(Rc::new(Cell::new(0)), Rc::new(Cell::new(0)), fail);
        let got = check_in_halves(&f, &*runner, &|| true).await;
        assert_eq!(got, expected, "{fail:?}");
        if fail == Fail::Emails {
            // The merge did need emails: the file repeats keys across its middle.
            assert!(EMAILS_ASKED.with(Cell::get) > 0);
        }
    }
}

#[wasm_bindgen_test]
fn an_empty_file_is_reported_not_previewed() {
    let f = file(b"", "empty.csv");
    let p = preview(&f, &ReadSettings::default(), 10).unwrap();
    assert!(p.problem.is_some());
    assert!(p.rows.is_empty());
}

#[wasm_bindgen_test]
fn protocol_messages_survive_the_json_round_trip() {
    let request = ToWorker::Upload {
        settings: ReadSettings {
            delimiter: Some(b';'),
            has_header: Some(true),
            ..ReadSettings::default()
        },
        import_id: 7,
        csrf: "t".into(),
        batch_rows: 1000,
        corrections: vec![shared::api::BatchRow {
            line: 3,
            email: Some("fixed@example.com".into()),
            ..Default::default()
        }],
        skip_batches: 2,
    };
    let back: ToWorker = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
    assert_eq!(back, request);
    let answer = FromWorker::Failed {
        message: "x".into(),
    };
    let back: FromWorker = serde_json::from_str(&serde_json::to_string(&answer).unwrap()).unwrap();
    assert_eq!(back, answer);
    // The helper's ready message is recognised by its text.
    assert_eq!(
        serde_json::to_string(&FromWorker::Ready).unwrap(),
        frontend::worker::READY
    );
}

#[wasm_bindgen_test]
fn the_problems_csv_has_a_record_per_problem_quoted_and_neutralised_where_needed() {
    use shared::api::{ErrorCode, Field};
    let problem = |field: Field, code: ErrorCode, message: &str| shared::api::FieldError {
        field,
        code,
        message: message.into(),
        params: None,
    };
    let csv = frontend::protocol::problems_csv(
        &[
            (
                16,
                problem(
                    Field::Email,
                    ErrorCode::InvalidEmail,
                    r#"Email "john smith@gmail.com" is not a valid address: it contains spaces."#,
                ),
            ),
            (
                20,
                problem(Field::Note, ErrorCode::FieldTooLong, "=SUM(A1), too long"),
            ),
        ],
        Lang::En,
    );
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "line,field,code,message\r\n\
         16,email,invalid_email,\"Email \"\"john smith@gmail.com\"\" is not a valid address: it contains spaces.\"\r\n\
         20,note,field_too_long,\"'=SUM(A1), too long\"\r\n"
    );
    assert_eq!(
        frontend::protocol::problems_csv(&[], Lang::En),
        b"line,field,code,message\r\n"
    );
    // In the Bulgarian UI the messages are Bulgarian, from the code and params.
    let e = shared::rules::validate_row(&shared::api::BatchRow {
        line: 3,
        email: Some("john smith@gmail.com".into()),
        ..Default::default()
    })
    .unwrap_err();
    let csv = String::from_utf8(frontend::protocol::problems_csv(
        &[(3, e[0].clone())],
        Lang::Bg,
    ))
    .unwrap();
    assert!(
        csv.ends_with("3,email,invalid_email,Имейлът „john smith@gmail.com“ не е валиден адрес: съдържа интервали.\r\n"),
        "{csv}"
    );
}

/// The worker's rows in the corpus snapshots' format (the one rendering in `shared::snapshot`).
fn render_rows(rows: &[frontend::protocol::PreviewRow]) -> String {
    let mut s = String::new();
    for o in rows {
        shared::snapshot::render_row(&mut s, o.line, &o.row, &o.errors);
    }
    s
}

/// The browser's decode path gives the very rows and errors the native pipeline snapshotted
/// for the corpus (`shared/tests/corpus/*.snap`, made with encoding_rs's reference behaviour).
#[wasm_bindgen_test]
fn corpus_files_read_in_the_worker_match_the_native_snapshots() {
    macro_rules! corpus {
        ($file:literal, $encoding:expr) => {
            (
                $file,
                &include_bytes!(concat!("../../shared/tests/corpus/", $file))[..],
                include_str!(concat!("../../shared/tests/corpus/", $file, ".snap")),
                $encoding,
            )
        };
    }
    let cases: [(&str, &[u8], &str, Option<&str>); 7] = [
        corpus!("utf16le_bom_tab.csv", None),
        corpus!("utf16be_bom.csv", None),
        corpus!("win1251_semicolon_no_header.csv", None),
        corpus!("win1252_western.csv", None),
        corpus!("utf8_with_invalid_bytes.csv", None),
        corpus!("utf8_forced_on_win1251.csv", Some("utf-8")),
        corpus!("utf8_bom.csv", None),
    ];
    for (name, bytes, snap, encoding) in cases {
        let settings = ReadSettings {
            encoding: encoding.map(str::to_owned),
            ..ReadSettings::default()
        };
        let p = preview(&file(bytes, name), &settings, usize::MAX).unwrap();
        let (report, rows) = snap.split_once("\n--- rows ---\n").unwrap();
        let report: serde_json::Value = serde_json::from_str(report).unwrap();
        assert_eq!(report["encoding"], p.encoding.as_str(), "{name}");
        assert_eq!(render_rows(&p.rows), rows, "{name}");
    }
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

const TEXT: &str = "Име;Фамилия;Имейл;Бележка\r\nЗоë;Müller;zoe@example.com;\"Café,\r\nновый ред\"\r\nИван;Петров;не-имейл;\r\n";

/// The same table in UTF-16 (both byte orders) and windows-1252 gives the rows of its UTF-8
/// form: same lines, values and errors.
#[wasm_bindgen_test]
fn other_encodings_preview_like_their_utf8_form() {
    let utf8 = preview(
        &file(TEXT.as_bytes(), "a.csv"),
        &ReadSettings::default(),
        10,
    )
    .unwrap();
    assert_eq!(utf8.rows.len(), 2);
    assert_eq!(utf8.rows[1].line, 4);
    assert!(!utf8.rows[1].errors.is_empty());
    for (bytes, encoding) in [
        (utf16(TEXT, false), "utf-16le"),
        (utf16(TEXT, true), "utf-16be"),
    ] {
        let p = preview(&file(&bytes, "u.csv"), &ReadSettings::default(), 10).unwrap();
        assert_eq!(p.encoding, encoding);
        assert_eq!(
            (&p.rows, &p.columns),
            (&utf8.rows, &utf8.columns),
            "{encoding}"
        );
    }
    let western =
        "First name,Last name,Email\r\nJosé,Müller,jose@example.de\r\nZoë,Françoise,zoë@\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(western);
    let p = preview(&file(&bytes, "w.csv"), &ReadSettings::default(), 10).unwrap();
    let expected = preview(
        &file(western.as_bytes(), "w.csv"),
        &ReadSettings::default(),
        10,
    )
    .unwrap();
    assert_eq!(p.encoding, "windows-1252");
    assert_eq!((&p.rows, &p.columns), (&expected.rows, &expected.columns));
    assert_eq!(p.rows[1].row.first_name.as_deref(), Some("Zoë"));
}

fn codes(p: &frontend::protocol::Preview) -> Vec<(u64, String, String)> {
    p.rows
        .iter()
        .flat_map(|r| {
            r.errors
                .iter()
                .map(move |e| (r.line, e.field.to_string(), e.code.to_string()))
        })
        .collect()
}

/// Malformed input is reported on its line, as on the server: a lone surrogate in UTF-16, a
/// byte that is not UTF-8, and a bad sequence in an encoding the browser's TextDecoder reads.
#[wasm_bindgen_test]
fn invalid_bytes_are_reported_with_their_line() {
    let mut bytes = utf16(
        "email,first_name\r\na@example.com,Ann\r\nb@example.com,B",
        false,
    );
    bytes.extend_from_slice(&[0x00, 0xD8]); // a lead surrogate with no trail
    bytes.extend_from_slice(&utf16("b\r\n", false)[2..]);
    let p = preview(&file(&bytes, "s.csv"), &ReadSettings::default(), 10).unwrap();
    assert_eq!(
        codes(&p),
        vec![(3, "first_name".into(), "invalid_encoding".into())]
    );
    assert_eq!(p.rows[1].row.email.as_deref(), Some("b@example.com"));

    // Clearly UTF-8 (so not read as windows-1252) with one byte that is not.
    let mut bytes = "email,first_name\na@example.com,Иван\nb@example.com,Ма"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\xFF");
    bytes.extend_from_slice("рия\nc@example.com,Петър\n".as_bytes());
    let p = preview(&file(&bytes, "u.csv"), &ReadSettings::default(), 10).unwrap();
    assert_eq!(p.encoding, "utf-8");
    assert_eq!(
        codes(&p),
        vec![(3, "first_name".into(), "invalid_encoding".into())]
    );

    // Shift_JIS through TextDecoder: 0x82 0x20 is malformed (0x82 needs a trail byte).
    let settings = ReadSettings {
        encoding: Some("sjis".into()),
        ..ReadSettings::default()
    };
    let sjis = b"email,first_name\na@example.com,\x82\xa0\nb@example.com,x\x82 y\n";
    let p = preview(&file(sjis, "j.csv"), &settings, 10).unwrap();
    assert_eq!(p.encoding, "shift_jis");
    assert_eq!(p.rows[0].row.first_name.as_deref(), Some("あ"));
    assert_eq!(
        codes(&p),
        vec![(3, "first_name".into(), "invalid_encoding".into())]
    );
}

/// encoding_rs's output with each malformed sequence as shared's marker byte: what the
/// server's decoder writes.
fn reference(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> Vec<u8> {
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut out = vec![0; bytes.len() * 4 + 16];
    let (mut read, mut written) = (0, 0);
    loop {
        let (res, r, w) =
            decoder.decode_to_utf8_without_replacement(&bytes[read..], &mut out[written..], true);
        read += r;
        written += w;
        match res {
            encoding_rs::DecoderResult::Malformed(_, _) => {
                out[written] = shared::import::MALFORMED_MARKER;
                written += 1;
            }
            _ => break,
        }
    }
    out.truncate(written);
    out
}

/// TextDecoder, streamed in chunks of any size, decodes the encodings only the browser
/// provides exactly as encoding_rs does on the server, malformed sequences included.
#[wasm_bindgen_test]
fn text_decoder_streams_like_encoding_rs() {
    use frontend::decode::PlatformDecoders;
    use shared::import::{DecoderFactory, lookup_label};
    assert_eq!(
        lookup_label("Latin2", &PlatformDecoders).as_deref(),
        Some("iso-8859-2")
    );
    assert_eq!(lookup_label("nope", &PlatformDecoders), None);
    // Built-in labels never reach the browser, `replacement` included.
    assert_eq!(
        lookup_label("iso-2022-kr", &PlatformDecoders).as_deref(),
        Some("windows-1252")
    );
    let all: Vec<u8> = (0..=255u8).chain((0..=255).rev()).collect();
    let cases: [(&str, &[u8]); 5] = [
        ("iso-8859-2", &all),
        ("koi8-r", &all),
        ("shift_jis", b"a\x82\xa0b\x82 c\x82"),
        ("euc-kr", b"\xb0\xa1x\xb0"),
        ("gb18030", b"\x81\x30\x81\x30z\x81"),
    ];
    for (name, bytes) in cases {
        let expected = reference(
            encoding_rs::Encoding::for_label(name.as_bytes()).unwrap(),
            bytes,
        );
        for size in [1, 2, 3, 1000] {
            let mut d = PlatformDecoders.decoder(name).unwrap();
            let mut out = Vec::new();
            for c in bytes.chunks(size) {
                d.push(c, false, &mut |s| out.extend_from_slice(s));
            }
            d.push(&[], true, &mut |s| out.extend_from_slice(s));
            assert_eq!(out, expected, "{name}, chunks of {size}");
        }
    }
}
