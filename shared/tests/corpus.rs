//! The shared crate's one integration-test binary: the input corpus (snapshots of `inspect`
//! and of every row), generated large inputs, and property tests.
//!
//! Snapshots live beside the fixtures as `tests/corpus/<file>.snap`; after an intended change
//! run `UPDATE_EXPECT=1 cargo test -p shared --test corpus` and review the diff.
//!
//! With `--target wasm32-unknown-unknown` the tests run in headless Chromium, all but those
//! that read the corpus directories (README.md, "Wasm tests").

#[path = "suite/big.rs"]
mod big;
#[path = "suite/cases.rs"]
mod cases;
#[path = "suite/fuzz.rs"]
mod fuzz;
#[path = "suite/props.rs"]
mod props;
#[path = "suite/support.rs"]
mod support;
#[path = "suite/workbook.rs"]
mod workbook;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
