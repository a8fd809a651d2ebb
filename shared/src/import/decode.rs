//! Bytes to UTF-8: choosing the encoding (BOM, UTF-8 validity, windows-1251 vs
//! windows-1252, a user's WHATWG label) and decoding a stream of chunks with encoding_rs.
//!
//! Exists because files come from Bulgarian Excel (windows-1251, no BOM), Western Excel
//! (windows-1252), Excel's "Unicode text" (UTF-16LE with BOM) and everything else, and the
//! CSV stage wants one thing: UTF-8 bytes.
//!
//! Invalid input never stops decoding. UTF-8 input is passed through untouched (the cells the
//! importer uses are validated later, per field, so the error names the line and field). For
//! other encodings a malformed sequence is replaced by the byte `0xFF`, which is never valid
//! UTF-8, so the same per-field check reports it as `invalid_encoding` at the right line.

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252};

use crate::api::FieldError;
use crate::rules::codes;

/// The marker written in place of a malformed byte sequence (never valid in UTF-8).
pub(crate) const MALFORMED_MARKER: u8 = 0xFF;

/// The lowercase WHATWG name of an encoding, e.g. `utf-8`, `windows-1251`.
pub fn encoding_name(enc: &'static Encoding) -> String {
    enc.name().to_ascii_lowercase()
}

/// What sniffing found out about the start of a file.
pub(crate) struct Sniffed {
    pub encoding: &'static Encoding,
    /// A problem that stops the import (binary file, unknown label).
    pub problem: Option<FieldError>,
}

fn problem(code: &str, message: String) -> FieldError {
    FieldError {
        field: "file".into(),
        code: code.into(),
        message,
    }
}

/// Recognises common binary formats by their magic bytes.
fn binary_kind(sample: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "an Excel workbook or a ZIP archive (.xlsx/.zip): save it as CSV first",
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "an old Excel workbook (.xls): save it as CSV first",
        ),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"SQLite format 3", "an SQLite database"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| sample.starts_with(m))
        .map(|(_, k)| *k)
}

/// Guesses UTF-16 without a BOM from the pattern of NUL bytes.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    let n = sample.len().min(4096) & !1;
    if n < 8 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample[..n].chunks_exact(2) {
        even += (pair[0] == 0) as usize;
        odd += (pair[1] == 0) as usize;
    }
    let half = n / 2;
    if odd * 10 >= half * 7 && even * 10 <= half {
        Some(UTF_16LE)
    } else if even * 10 >= half * 7 && odd * 10 <= half {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// True if the bytes look binary rather than text: NULs, or many control bytes.
fn looks_binary(sample: &[u8]) -> bool {
    let n = sample.len().min(64 * 1024);
    let s = &sample[..n];
    let nul = s.iter().filter(|&&b| b == 0).count();
    let ctrl = s
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    // A few stray NULs in a text file are reported per field; many mean binary.
    (nul >= 8 && nul * 200 > n) || nul * 20 > n || ctrl * 10 > n
}

/// Decides between windows-1251 (Cyrillic) and windows-1252 (Western) for bytes that are not
/// UTF-8: Cyrillic words are runs of high bytes (0xC0-0xFF is А-я), while Western text has
/// accented letters between ASCII letters (`Müller`, `café`).
fn cyrillic_or_western(sample: &[u8]) -> &'static Encoding {
    let (mut cyr, mut west) = (0usize, 0usize);
    let is_high_letter = |b: u8| b >= 0xC0 || b == 0xA8 || b == 0xB8;
    for word in sample.split(|&b| !(b.is_ascii_alphabetic() || b >= 0x80)) {
        let high = word.iter().filter(|&&b| is_high_letter(b)).count();
        if high == 0 {
            continue;
        }
        let ascii = word.iter().filter(|b| b.is_ascii_alphabetic()).count();
        if ascii == 0 && high >= 2 {
            cyr += high;
        } else if ascii > 0 {
            west += high;
        } else {
            // One isolated high letter: weak evidence either way.
            west += 1;
        }
    }
    if cyr > west {
        WINDOWS_1251
    } else {
        WINDOWS_1252
    }
}

/// Chooses the encoding for `sample` (the start of a file) and the user's label, if any.
/// A byte-order mark always wins (as in browsers).
pub(crate) fn sniff(sample: &[u8], label: Option<&str>) -> Sniffed {
    if let Some((enc, _)) = Encoding::for_bom(sample) {
        return Sniffed {
            encoding: enc,
            problem: None,
        };
    }
    if let Some(kind) = binary_kind(sample) {
        return Sniffed {
            encoding: UTF_8,
            problem: Some(problem(
                codes::BINARY_FILE,
                format!("This file is not a CSV text file: it looks like {kind}."),
            )),
        };
    }
    let forced = match label
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("auto"))
    {
        None => None,
        Some(l) => match Encoding::for_label(l.as_bytes()) {
            Some(enc) => Some(enc.output_encoding_for_decoding()),
            None => {
                return Sniffed {
                    encoding: UTF_8,
                    problem: Some(problem(
                        codes::UNKNOWN_ENCODING,
                        format!(
                            "\"{l}\" is not a known encoding name (try utf-8, windows-1251 or windows-1252)."
                        ),
                    )),
                };
            }
        },
    };
    if let Some(enc) = forced {
        return Sniffed {
            encoding: enc,
            problem: None,
        };
    }
    if let Some(enc) = utf16_without_bom(sample) {
        return Sniffed {
            encoding: enc,
            problem: None,
        };
    }
    if looks_binary(sample) {
        return Sniffed {
            encoding: UTF_8,
            problem: Some(problem(
                codes::BINARY_FILE,
                "This file is not a CSV text file: it contains binary data (NUL or control bytes)."
                    .into(),
            )),
        };
    }
    if mostly_utf8(sample) {
        Sniffed {
            encoding: UTF_8,
            problem: None,
        }
    } else {
        Sniffed {
            encoding: cyrillic_or_western(sample),
            problem: None,
        }
    }
}

/// True if the bytes are UTF-8, allowing a character cut by the end of the sample and a few
/// invalid sequences in text that is otherwise clearly UTF-8 (those are reported per line
/// as `invalid_encoding`, instead of turning every other character into mojibake).
fn mostly_utf8(sample: &[u8]) -> bool {
    let (mut valid_multibyte, mut invalid) = (0usize, 0usize);
    let mut rest = sample;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid_multibyte += s.bytes().filter(|&b| b >= 0xC0).count();
                break;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                valid_multibyte += good.iter().filter(|&&b| b >= 0xC0).count();
                match e.error_len() {
                    // Cut by the end of the sample.
                    None => break,
                    Some(n) => {
                        invalid += 1;
                        rest = &after[n..];
                    }
                }
            }
        }
    }
    invalid == 0 || valid_multibyte >= 4 * invalid
}

trait OutputForDecoding {
    fn output_encoding_for_decoding(&'static self) -> &'static Encoding;
}

impl OutputForDecoding for Encoding {
    /// The encoding actually used to decode a label's bytes. `replacement` and `x-user-defined`
    /// make no sense for a CSV file: use windows-1252 for them.
    fn output_encoding_for_decoding(&'static self) -> &'static Encoding {
        if self == encoding_rs::REPLACEMENT || self == encoding_rs::X_USER_DEFINED {
            WINDOWS_1252
        } else {
            self
        }
    }
}

/// A streaming decoder to UTF-8. For UTF-8 it only strips the BOM (pass-through); for other
/// encodings it decodes with encoding_rs, writing [`MALFORMED_MARKER`] for malformed input.
pub(crate) struct StreamDecoder {
    decoder: Option<encoding_rs::Decoder>,
    /// UTF-8 only: bytes held back at the very start until we know whether they are a BOM.
    head: Vec<u8>,
    started: bool,
    out: Vec<u8>,
}

/// Decoded output is produced in pieces of at most this many bytes.
const PIECE: usize = 64 * 1024;

impl StreamDecoder {
    pub fn new(encoding: &'static Encoding) -> Self {
        let decoder = if encoding == UTF_8 {
            None
        } else {
            Some(encoding.new_decoder_with_bom_removal())
        };
        StreamDecoder {
            decoder,
            head: Vec::new(),
            started: false,
            out: Vec::new(),
        }
    }

    /// Decodes `input`, calling `sink` with UTF-8 pieces (UTF-8 input: sub-slices of `input`).
    pub fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
        match &mut self.decoder {
            None => {
                if self.started {
                    if !input.is_empty() {
                        sink(input);
                    }
                    return;
                }
                // Hold bytes until 3 are seen (or the end), then drop a BOM.
                let need = 3 - self.head.len();
                let take = need.min(input.len());
                self.head.extend_from_slice(&input[..take]);
                if self.head.len() < 3 && !last {
                    return;
                }
                self.started = true;
                let head = std::mem::take(&mut self.head);
                let rest = if head.starts_with(b"\xEF\xBB\xBF") {
                    &head[3..]
                } else {
                    &head[..]
                };
                if !rest.is_empty() {
                    sink(rest);
                }
                if input.len() > take {
                    sink(&input[take..]);
                }
            }
            Some(dec) => {
                let mut src = input;
                loop {
                    let cap = dec
                        .max_utf8_buffer_length_without_replacement(src.len().min(PIECE))
                        .unwrap_or(PIECE * 3);
                    self.out.clear();
                    self.out.resize(cap.max(16), 0);
                    let (res, read, written) = dec.decode_to_utf8_without_replacement(
                        &src[..src.len().min(PIECE)],
                        &mut self.out,
                        last && src.len() <= PIECE,
                    );
                    let mut written = written;
                    if matches!(res, DecoderResult::Malformed(_, _)) && written < self.out.len() {
                        self.out[written] = MALFORMED_MARKER;
                        written += 1;
                    }
                    if written > 0 {
                        sink(&self.out[..written]);
                    }
                    src = &src[read..];
                    match res {
                        DecoderResult::InputEmpty if src.is_empty() => break,
                        _ => continue,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(sample: &[u8]) -> String {
        let s = sniff(sample, None);
        match s.problem {
            Some(p) => p.code,
            None => encoding_name(s.encoding),
        }
    }

    #[test]
    fn sniffs() {
        assert_eq!(name(b"a,b\n"), "utf-8");
        assert_eq!(name(b"\xEF\xBB\xBFa,b\n"), "utf-8");
        assert_eq!(name(b"\xFF\xFEa\0,\0"), "utf-16le");
        assert_eq!(name(b"\xFE\xFF\0a\0,"), "utf-16be");
        assert_eq!(name(b"a\0,\0b\0\n\0c\0,\0d\0"), "utf-16le");
        // "Иван;Петров" in windows-1251
        assert_eq!(
            name(b"\xC8\xE2\xE0\xED;\xCF\xE5\xF2\xF0\xEE\xE2\n"),
            "windows-1251"
        );
        // "Müller;café" in windows-1252
        assert_eq!(name(b"M\xFCller;caf\xE9\n"), "windows-1252");
        assert_eq!(name(b"PK\x03\x04\x14\0\0\0"), "binary_file");
        assert_eq!(
            name(b"abc\0\0\0\0def\x01\x02\x03\x04\x05\x06\x07\x08"),
            "binary_file"
        );
        // A UTF-8 character cut at the end of the sample.
        assert_eq!(name("Иван".as_bytes().split_last().unwrap().1), "utf-8");
        // Clearly UTF-8 with one bad byte: still UTF-8 (the bad byte is reported later).
        let mut mixed = "Иван;Петров;Мария;Георгиева\n".repeat(3).into_bytes();
        mixed.extend_from_slice(b"bad \xFF byte\n");
        assert_eq!(name(&mixed), "utf-8");
        assert_eq!(sniff(b"a", Some("cp1251")).encoding, WINDOWS_1251);
        assert_eq!(sniff(b"a", Some("latin1")).encoding, WINDOWS_1252);
        assert_eq!(
            sniff(b"a", Some("nope")).problem.unwrap().code,
            "unknown_encoding"
        );
    }

    fn decode_chunks(enc: &'static Encoding, bytes: &[u8], size: usize) -> Vec<u8> {
        let mut d = StreamDecoder::new(enc);
        let mut out = Vec::new();
        for c in bytes.chunks(size.max(1)) {
            d.push(c, false, &mut |s| out.extend_from_slice(s));
        }
        d.push(&[], true, &mut |s| out.extend_from_slice(s));
        out
    }

    #[test]
    fn decodes_in_any_chunks() {
        let (b1251, _, _) = WINDOWS_1251.encode("Иван;Петров\n");
        for size in [1, 2, 3, 7, 1000] {
            assert_eq!(decode_chunks(UTF_8, b"\xEF\xBB\xBFab", size), b"ab");
            assert_eq!(decode_chunks(UTF_8, b"\xEF\xBB", size), b"\xEF\xBB");
            assert_eq!(
                decode_chunks(WINDOWS_1251, &b1251, size),
                "Иван;Петров\n".as_bytes()
            );
            assert_eq!(decode_chunks(UTF_16LE, b"\xFF\xFEa\0b\0", size), b"ab");
            // A lone surrogate is malformed.
            assert_eq!(decode_chunks(UTF_16LE, b"a\0\x00\xD8b\0", size), b"a\xFFb");
        }
    }
}
