//! The fuzz target's invariants (`shared::testdata::check_import`: no panic, every record a
//! row or an error, counts that add up, lines within the file, reader and server agree) on
//! every fixture of the corpus with several settings, on generated files, and on every input
//! in `tests/fuzz/`: inputs the fuzzer broke (copied from `fuzz/artifacts/import/`) and
//! hand-made edge cases of the parser's fast path. The first byte of an input picks the
//! settings (see `shared::testdata::split_fuzz_input`).

#[cfg(not(target_arch = "wasm32"))]
use std::path::PathBuf;

use shared::testdata::{DataEncoding, GenOptions, Generator, check_import};

#[cfg(not(target_arch = "wasm32"))]
fn files(dir: &str, ext: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[cfg(not(target_arch = "wasm32"))]
/// Settings bytes covering every encoding, delimiter and header choice.
const SETTINGS: [u8; 10] = [0x00, 0x01, 0x02, 0x0B, 0x13, 0x1B, 0x24, 0x47, 0x8C, 0xFF];

#[cfg(not(target_arch = "wasm32"))] // reads the file system
#[test]
fn corpus_fixtures_keep_the_import_invariants() {
    let fixtures = files("tests/corpus", Some("csv"));
    assert!(fixtures.len() > 40, "the corpus is missing");
    for (name, bytes) in fixtures {
        for b in SETTINGS {
            let mut input = vec![b];
            input.extend_from_slice(&bytes);
            let r = std::panic::catch_unwind(|| check_import(&input));
            assert!(r.is_ok(), "{name} with settings byte {b:#04x}");
        }
    }
}

#[cfg(not(target_arch = "wasm32"))] // reads the file system
#[test]
fn fuzz_regressions_keep_the_import_invariants() {
    let inputs = files("tests/fuzz", None);
    assert!(!inputs.is_empty(), "tests/fuzz is missing");
    for (name, bytes) in inputs {
        let r = std::panic::catch_unwind(|| check_import(&bytes));
        assert!(r.is_ok(), "{name}");
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn generated_files_keep_the_import_invariants() {
    for (b, delimiter, encoding) in [
        (0x1F, b',', DataEncoding::Utf8),
        (0x00, b';', DataEncoding::Windows1251),
        (0x0A, b'\t', DataEncoding::Utf16Le),
        (0xFF, b'|', DataEncoding::Utf8),
    ] {
        let opts = GenOptions {
            seed: 3,
            delimiter,
            encoding,
        };
        let mut input = vec![b];
        input.extend(Generator::file_of_rows(opts, 3000));
        let s = check_import(&input);
        assert_eq!(s.rows, 3000, "{encoding:?}");
        assert!(s.valid > 2800 && s.invalid > 0 && s.duplicates > 0, "{s:?}");
    }
}
