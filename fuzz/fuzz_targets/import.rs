//! The whole import path on arbitrary bytes: detect, decode, parse, map, validate, with the
//! file fed whole and in odd chunks. The first byte picks the settings (encoding, delimiter,
//! header); see `shared::testdata::check_import` for the invariants (no panic; every record
//! ends as a row or an error; counts add up; lines increase and stay within the file; a row
//! valid in the reader is valid on the server).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shared::testdata::check_import(data);
});
