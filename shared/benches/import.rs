//! Native throughput of the import core, on generated customer files
//! (`shared::testdata`): the full pass (decode + parse + map + validate) with owned rows
//! (`RowReader::push`, what the server's CSV upload uses) and with borrowed rows
//! (`RowReader::push_ref`, what a counting pass such as `inspect` uses), `inspect` itself,
//! validating posted rows (`rules::validate_row`), and writing the export
//! (`export::write_export_row`).
//!
//! `cargo bench -p shared --bench import`; the figures are MB/s of the file (or rows/s).
//! The quality target for the full pass is >= 200 MB/s on a UTF-8 comma file.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shared::api::{BatchRow, Customer};
use shared::export::{ExportOptions, write_export_row};
use shared::import::{RowOutcome, RowReader, RowRef, SAMPLE_BYTES, detect, inspect};
use shared::rules::validate_row;
use shared::settings::ReadSettings;
use shared::testdata::{DataEncoding, GenOptions, Generator};

/// The size of the generated file of the full-pass benchmarks.
const FILE_BYTES: usize = 20 << 20;
/// Chunks of the size the browser worker and the server read.
const CHUNK: usize = 1 << 20;

fn full_pass(c: &mut Criterion) {
    let mut g = c.benchmark_group("full_pass");
    g.sample_size(10);
    for (name, delimiter, encoding) in [
        ("utf8_comma", b',', DataEncoding::Utf8),
        ("win1251_semicolon", b';', DataEncoding::Windows1251),
        ("utf16le_tab", b'\t', DataEncoding::Utf16Le),
    ] {
        let opts = GenOptions {
            delimiter,
            encoding,
            ..GenOptions::default()
        };
        let file = Generator::file_of_size(opts, FILE_BYTES);
        let det = detect(&file[..SAMPLE_BYTES], &ReadSettings::default());
        assert!(det.problem.is_none() && det.has_header);
        g.throughput(Throughput::Bytes(file.len() as u64));
        g.bench_function(format!("{name}/owned_rows"), |b| {
            b.iter(|| {
                let mut reader = RowReader::new(&det);
                let mut valid = 0u64;
                let mut out = |o: RowOutcome| valid += u64::from(o.is_valid());
                for chunk in file.chunks(CHUNK) {
                    reader.push(chunk, &mut out);
                }
                reader.finish(&mut out);
                black_box(valid)
            })
        });
        g.bench_function(format!("{name}/borrowed_rows"), |b| {
            b.iter(|| {
                let mut reader = RowReader::new(&det);
                let mut valid = 0u64;
                let mut out = |o: &RowRef<'_>| valid += u64::from(o.is_valid());
                for chunk in file.chunks(CHUNK) {
                    reader.push_ref(chunk, &mut out);
                }
                reader.finish_ref(&mut out);
                black_box(valid)
            })
        });
        if name == "utf8_comma" {
            g.bench_function(format!("{name}/inspect"), |b| {
                b.iter(|| black_box(inspect(&file, &ReadSettings::default()).rows))
            });
        }
    }
    g.finish();
}

/// Rows as the browser posts them: read from a generated file.
fn posted_rows(n: usize) -> Vec<BatchRow> {
    let file = Generator::file_of_rows(GenOptions::default(), n);
    let det = detect(
        &file[..file.len().min(SAMPLE_BYTES)],
        &ReadSettings::default(),
    );
    let mut rows = Vec::with_capacity(n);
    let mut reader = RowReader::new(&det);
    reader.push(&file, &mut |o: RowOutcome| rows.push(o.row));
    reader.finish(&mut |o: RowOutcome| rows.push(o.row));
    rows
}

fn validate(c: &mut Criterion) {
    let rows = posted_rows(10_000);
    let mut g = c.benchmark_group("validate_row");
    g.throughput(Throughput::Elements(rows.len() as u64));
    g.bench_function("generated_rows", |b| {
        b.iter(|| {
            rows.iter()
                .filter(|r| validate_row(black_box(r)).is_ok())
                .count()
        })
    });
    g.finish();
}

fn export(c: &mut Criterion) {
    let t = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
    let customers: Vec<Customer> = posted_rows(10_000)
        .iter()
        .filter_map(|r| validate_row(r).ok())
        .enumerate()
        .map(|(i, d)| Customer {
            id: i as i64 + 1,
            fields: d.fields.into_stored(),
            group_id: 1,
            group_name: d.group.unwrap_or_else(|| "Default".into()),
            import_id: None,
            created_at: t,
            updated_at: t,
        })
        .collect();
    let opts = ExportOptions::default();
    let mut g = c.benchmark_group("write_export_row");
    g.throughput(Throughput::Elements(customers.len() as u64));
    let mut out = Vec::with_capacity(4 << 20);
    g.bench_function("generated_customers", |b| {
        b.iter(|| {
            out.clear();
            for c in &customers {
                write_export_row(c, &opts, &mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, full_pass, validate, export);
criterion_main!(benches);
