//! `cargo xtask gen-data`: writes a realistic customer CSV (see `shared::testdata`) for
//! benchmarks and manual tests, streamed to the file a batch of rows at a time, so a
//! million rows (about 115 MB) never sit in memory. Deterministic for a given seed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use shared::testdata::{DataEncoding, GenOptions, Generator};

use crate::step;

pub const USAGE: &str = "cargo xtask gen-data --rows N [--encoding utf-8|windows-1251|utf-16le] \
[--delimiter ,|;|tab|pipe] [--seed N] [--out PATH]";

/// Rows generated (and written) per batch.
const BATCH: usize = 4096;

#[derive(Debug, PartialEq)]
pub struct Args {
    pub rows: u64,
    pub opts: GenOptions,
    pub out: Option<PathBuf>,
}

pub fn parse_args(args: &[String]) -> Result<Args> {
    let mut rows = None;
    let mut opts = GenOptions::default();
    let mut out = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{flag} needs a value\nusage: {USAGE}"))
        };
        match flag.as_str() {
            "--rows" => {
                let v = value()?;
                rows = Some(
                    v.replace('_', "")
                        .parse()
                        .with_context(|| format!("--rows {v}: not a number"))?,
                );
            }
            "--encoding" => {
                let v = value()?;
                opts.encoding = DataEncoding::parse(v).with_context(|| {
                    format!("--encoding {v}: use utf-8, windows-1251 or utf-16le")
                })?;
            }
            "--delimiter" => {
                let v = value()?;
                opts.delimiter = match shared::import::parse_delimiter(v) {
                    Ok(Some(d)) => d,
                    _ => bail!("--delimiter {v}: use , ; tab or pipe"),
                };
            }
            "--seed" => {
                let v = value()?;
                opts.seed = v
                    .parse()
                    .with_context(|| format!("--seed {v}: not a number"))?;
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            other => bail!("unknown option {other}\nusage: {USAGE}"),
        }
    }
    let rows = rows.with_context(|| format!("--rows is required\nusage: {USAGE}"))?;
    Ok(Args { rows, opts, out })
}

/// The default file name: `target/bench-data/customers-<rows>-<encoding>-<delimiter>.csv`.
/// Where a generated file goes by default: under the target directory (`target`).
pub fn default_out(target: &Path, rows: u64, opts: &GenOptions) -> PathBuf {
    let enc = match opts.encoding {
        DataEncoding::Utf8 => "utf-8",
        DataEncoding::Windows1251 => "windows-1251",
        DataEncoding::Utf16Le => "utf-16le",
    };
    let delim = match opts.delimiter {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "pipe",
    };
    let seed = if opts.seed == GenOptions::default().seed {
        String::new()
    } else {
        format!("-seed{}", opts.seed)
    };
    target
        .join("bench-data")
        .join(format!("customers-{rows}-{enc}-{delim}{seed}.csv"))
}

pub fn gen_data(root: &Path, args: &[String]) -> Result<PathBuf> {
    let args = parse_args(args)?;
    let out = args
        .out
        .unwrap_or_else(|| default_out(crate::paths::target_dir(root), args.rows, &args.opts));
    step(&format!(
        "Generating {} customer rows ({:?}, delimiter {:?}, seed {}) into {}",
        args.rows,
        args.opts.encoding,
        args.opts.delimiter as char,
        args.opts.seed,
        out.display()
    ));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let started = Instant::now();
    let file =
        std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
    let bytes = write_rows(&mut file, args.rows, args.opts)
        .with_context(|| format!("writing {}", out.display()))?;
    file.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} rows, {:.1} MB in {:.1} s",
        args.rows,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// Writes the header and `rows` rows to `w` in batches; returns the bytes written.
pub fn write_rows(w: &mut impl Write, rows: u64, opts: GenOptions) -> std::io::Result<u64> {
    let mut g = Generator::new(opts);
    let mut buf = Vec::with_capacity(1 << 20);
    g.header(&mut buf);
    let mut written = 0;
    let mut left = rows;
    while left > 0 || !buf.is_empty() {
        let n = left.min(BATCH as u64);
        g.rows(n as usize, &mut buf);
        left -= n;
        w.write_all(&buf)?;
        written += buf.len() as u64;
        buf.clear();
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args> {
        parse_args(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn parses_options() {
        let a = args("--rows 1_000 --encoding windows-1251 --delimiter tab --out x.csv").unwrap();
        assert_eq!(a.rows, 1000);
        assert_eq!(a.opts.encoding, DataEncoding::Windows1251);
        assert_eq!(a.opts.delimiter, b'\t');
        assert_eq!(a.out, Some(PathBuf::from("x.csv")));
        assert_eq!(
            args("--rows 5 --delimiter pipe").unwrap().opts.delimiter,
            b'|'
        );
        assert!(args("--encoding utf-8").is_err());
        assert!(args("--rows 5 --delimiter x").is_err());
        assert!(args("--rows 5 --encoding koi8").is_err());
        assert!(args("--rows").is_err());
        assert_eq!(
            default_out(Path::new("/r/target"), 10, &GenOptions::default()),
            Path::new("/r/target/bench-data/customers-10-utf-8-comma.csv")
        );
    }

    #[test]
    fn streams_the_same_bytes_as_in_memory() {
        let opts = GenOptions::default();
        let mut out = Vec::new();
        let n = write_rows(&mut out, 10_000, opts).unwrap();
        assert_eq!(n, out.len() as u64);
        assert_eq!(out, Generator::file_of_rows(opts, 10_000));
        let report = shared::import::inspect(&out, &Default::default());
        assert_eq!(report.rows.total, 10_000);
    }
}
