//! The mapping step in a real page in headless Chromium: mapped columns first, the others
//! folded into one searchable list, every column's reason on hover and as its select's
//! accessible description (English and Bulgarian), and a preview of the mapped fields only.

use frontend::i18n::{Lang, describe_reason, provide_locale};
use frontend::pages::import::mapping::{ColumnMapping, matches_search, split_columns};
use frontend::pages::import::preview::visible_targets;
use frontend::protocol::{Preview, PreviewColumn};
use leptos::prelude::*;
use shared::import::{IgnoredReason, MatchReason, Target, ValueEvidence, ValueKind};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn column(
    index: usize,
    header: &str,
    target: Option<Target>,
    reason: MatchReason,
) -> PreviewColumn {
    PreviewColumn {
        index,
        header: Some(header.to_string()),
        target,
        confidence: if target.is_some() { 0.93 } else { 0.0 },
        samples: vec![format!("{header} value")],
        ignored_reason: target.is_none().then_some(IgnoredReason::Unknown),
        reason: Some(reason),
        demoted: None,
    }
}

/// A 44-column legacy export: three mapped columns, 41 that are not imported.
fn wide() -> Vec<PreviewColumn> {
    let mut cols: Vec<PreviewColumn> = (0..44)
        .map(|i| {
            column(
                i,
                &format!("Field{i}"),
                None,
                MatchReason::values(ValueEvidence::new(ValueKind::Dates, 1.0)),
            )
        })
        .collect();
    cols[5] = column(
        5,
        "Cntct_Fst",
        Some(Target::FirstName),
        MatchReason::Synonym {
            synonym: "contact first".into(),
        },
    );
    cols[6] = column(
        6,
        "Cntct_Lst",
        Some(Target::LastName),
        MatchReason::Synonym {
            synonym: "contact last".into(),
        },
    );
    cols[30] = column(
        30,
        "Cntct_Eml",
        Some(Target::Email),
        MatchReason::Synonym {
            synonym: "contact email".into(),
        },
    );
    cols[14] = column(
        14,
        "First Date",
        None,
        MatchReason::Contradicted {
            target: Target::FirstName,
            values: ValueKind::Dates,
            share: 1.0,
        },
    );
    cols
}

#[wasm_bindgen_test]
fn mapped_columns_come_first_and_the_search_finds_the_others() {
    let cols = wide();
    let (mapped, unmapped) = split_columns(&cols);
    assert_eq!(
        mapped.iter().map(|c| c.index).collect::<Vec<_>>(),
        [5, 6, 30]
    );
    assert_eq!(unmapped.len(), 41);
    let found: Vec<usize> = unmapped
        .iter()
        .filter(|c| matches_search(c, "first d"))
        .map(|c| c.index)
        .collect();
    assert_eq!(found, [14]);
    assert!(matches_search(&cols[14], ""));
    assert!(
        matches_search(&cols[14], "DATE VALUE"),
        "samples are searched, in any case"
    );
    assert!(matches_search(&cols[14], "15"), "and the column number");
}

#[wasm_bindgen_test]
fn reasons_read_in_both_languages() {
    let header_of = |i: usize| format!("Col{i}");
    let r = MatchReason::Contradicted {
        target: Target::FirstName,
        values: ValueKind::Dates,
        share: 1.0,
    };
    assert_eq!(
        describe_reason(Lang::En, &r, None, &header_of),
        "The header suggests “First name”, but 100% of the sampled values look like dates"
    );
    assert_eq!(
        describe_reason(Lang::Bg, &r, None, &header_of),
        "Заглавието подсказва „Име“, но 100% от примерните стойности приличат на дати"
    );
    let v = MatchReason::values(ValueEvidence::new(ValueKind::Emails, 0.92));
    assert_eq!(
        describe_reason(Lang::En, &v, None, &header_of),
        "92% of the sampled values look like emails"
    );
    let parts = MatchReason::NamePartsChosen { first: 0, last: 1 };
    let demoted = ValueEvidence::new(ValueKind::Numbers, 0.25);
    assert_eq!(
        describe_reason(Lang::En, &parts, Some(&demoted), &header_of),
        "The first and last names come from the columns “Col0” and “Col1”; less sure: 25% of the sampled values look like numbers"
    );
    assert!(!describe_reason(Lang::Bg, &MatchReason::Unknown, None, &header_of).is_empty());
}

#[wasm_bindgen_test]
fn the_preview_shows_only_mapped_fields_and_the_email() {
    assert_eq!(
        visible_targets(&[Some(Target::FirstName), None]),
        [Target::FirstName, Target::Email]
    );
    assert_eq!(
        visible_targets(&[
            Some(Target::FullName),
            Some(Target::Email),
            Some(Target::Note)
        ]),
        [
            Target::FirstName,
            Target::LastName,
            Target::Email,
            Target::Note
        ]
    );
}

#[wasm_bindgen_test]
async fn a_wide_file_folds_its_unmapped_columns_and_every_reason_is_described() {
    let preview = RwSignal::new(Some(Preview {
        encoding: "utf-8".into(),
        delimiter: b',',
        has_header: true,
        header_line: Some(1),
        columns: wide(),
        rows: Vec::new(),
        problem: None,
        file_size: 1000.0,
    }));
    let chosen = RwSignal::new(None::<(usize, Option<Target>)>);
    leptos::mount::mount_to_body(move || {
        provide_locale();
        let on_target = Callback::new(move |c| chosen.set(Some(c)));
        view! { <ColumnMapping preview busy=Signal::derive(|| false) on_target/> }
    });
    let document = web_sys::window().unwrap().document().unwrap();
    // The table holds only the three mapped columns.
    assert_eq!(
        document
            .query_selector_all("table tbody tr")
            .unwrap()
            .length(),
        3
    );
    // The rest: one folded list with a search box that has an accessible name.
    let details = document
        .query_selector("details.unmapped")
        .unwrap()
        .expect("folded list");
    assert!(details.text_content().unwrap().contains("(41)"));
    assert!(!details.has_attribute("open"), "folded at first");
    let search = document
        .query_selector("input[type=search]")
        .unwrap()
        .unwrap();
    assert_eq!(
        search.get_attribute("aria-label").as_deref(),
        Some("Search the columns that are not imported")
    );
    assert_eq!(
        document
            .query_selector_all(".compact-list li")
            .unwrap()
            .length(),
        41
    );
    // Every select is described by its reason, which is also its row's title.
    let selects = document.query_selector_all("select").unwrap();
    assert_eq!(selects.length(), 44);
    for i in 0..selects.length() {
        let select: web_sys::Element = selects.item(i).unwrap().unchecked_into();
        let id = select.get_attribute("aria-describedby").expect("described");
        let text = document
            .get_element_by_id(&id)
            .unwrap()
            .text_content()
            .unwrap();
        assert!(!text.is_empty(), "{id} is empty");
        let owner = select.closest("tr, li").unwrap().unwrap();
        assert_eq!(owner.get_attribute("title").as_deref(), Some(text.as_str()));
    }
    let why = document
        .get_element_by_id("map-14-why")
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(
        why,
        "The header suggests “First name”, but 100% of the sampled values look like dates"
    );
    // The search narrows the list.
    let input: web_sys::HtmlInputElement = search.unchecked_into();
    input.set_value("first d");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    frontend::api::sleep_ms(50).await;
    assert_eq!(
        document
            .query_selector_all(".compact-list li")
            .unwrap()
            .length(),
        1
    );
    // Choosing a field for a folded column reports it.
    let select: web_sys::HtmlSelectElement = document
        .get_element_by_id("map-14")
        .unwrap()
        .unchecked_into();
    select.set_value("note");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    assert_eq!(chosen.get_untracked(), Some((14, Some(Target::Note))));
}
