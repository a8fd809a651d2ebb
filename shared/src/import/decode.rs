//! Bytes to UTF-8: choosing the encoding (BOM, UTF-8 validity, windows-1251 vs
//! windows-1252, a user's WHATWG label) and decoding a stream of chunks.
//!
//! Exists because files come from Bulgarian Excel (windows-1251, no BOM), Western Excel
//! (windows-1252), Excel's "Unicode text" (UTF-16LE with BOM) and everything else, and the
//! CSV stage wants one thing: UTF-8 bytes.
//!
//! The five encodings Intake detects (UTF-8, UTF-16LE/BE, windows-1251, windows-1252) are
//! decoded here, in a few hundred bytes of tables and code that follow the WHATWG Encoding
//! Standard exactly (the tests compare them with encoding_rs byte for byte), so the browser
//! worker, `intake inspect` and the server run the same decoder. Any other WHATWG label
//! (`iso-8859-2`, `shift_jis`, ...) is looked up and decoded by a [`DecoderFactory`]: encoding_rs
//! with the default `encoding-rs` feature (the server and the CLI), the browser's
//! `TextDecoder` in the parse worker (which builds without the feature: encoding_rs's decoders
//! would link every CJK table into its wasm).
//!
//! Invalid input never stops decoding. UTF-8 input is passed through untouched (the cells the
//! importer uses are validated later, per field, so the error names the line and field). For
//! other encodings a malformed sequence is replaced by the byte [`MALFORMED_MARKER`] (`0xFF`),
//! which is never valid UTF-8, so the same per-field check reports it as `invalid_encoding` at
//! the right line.

use crate::api::{Detail, ErrorCode, ErrorParams, Field, FieldError};

/// The byte written in place of a malformed byte sequence (never valid in UTF-8). A
/// [`Decoder`] writes it where the Encoding Standard would output U+FFFD for an error.
pub const MALFORMED_MARKER: u8 = 0xFF;

/// A streaming decoder from one encoding to UTF-8.
pub trait Decoder: MaybeSend {
    /// Decodes the next bytes of the file (`last`: nothing follows; a sequence left incomplete
    /// is then malformed), calling `sink` with UTF-8 pieces in which each malformed sequence
    /// is one [`MALFORMED_MARKER`] byte. A byte-order mark of the decoder's own encoding at
    /// the very start is dropped. The output must not depend on how the input is chunked.
    fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8]));
}

/// Supplies the encodings that `shared` does not decode itself (all but UTF-8, UTF-16LE/BE,
/// windows-1251 and windows-1252).
pub trait DecoderFactory {
    /// The lowercase WHATWG name of the encoding for `label` (already trimmed; compare
    /// ASCII-case-insensitively), e.g. `iso-8859-2` for `latin2`; `None` if unknown.
    fn lookup(&self, label: &str) -> Option<String>;
    /// A decoder for `name`, a name [`DecoderFactory::lookup`] returned.
    fn decoder(&self, name: &str) -> Option<Box<dyn Decoder>>;
}

/// A [`DecoderFactory`] that decodes nothing beyond UTF-8 (which `shared` passes through):
/// natively without encoding_rs, only UTF-8 files can be read.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinOnly;

impl DecoderFactory for BuiltinOnly {
    fn lookup(&self, _label: &str) -> Option<String> {
        None
    }
    fn decoder(&self, _name: &str) -> Option<Box<dyn Decoder>> {
        None
    }
}

/// The factory [`super::detect`] and [`super::RowReader::new`] use: encoding_rs with the
/// `encoding-rs` feature, otherwise [`BuiltinOnly`].
pub fn default_decoders() -> &'static dyn DecoderFactory {
    #[cfg(feature = "encoding-rs")]
    {
        &EncodingRs
    }
    #[cfg(not(feature = "encoding-rs"))]
    {
        &BuiltinOnly
    }
}

/// The WHATWG names of the encodings detection can choose.
const UTF_8: &str = "utf-8";
const UTF_16LE: &str = "utf-16le";
const UTF_16BE: &str = "utf-16be";
const WINDOWS_1251: &str = "windows-1251";
const WINDOWS_1252: &str = "windows-1252";

/// The WHATWG labels of the built-in encodings, and of `replacement` and `x-user-defined`,
/// which make no sense for a CSV file and are read as windows-1252 (as the server always did).
const LABELS: &[(&str, &str)] = &[
    ("unicode-1-1-utf-8", UTF_8),
    ("unicode11utf8", UTF_8),
    ("unicode20utf8", UTF_8),
    ("utf-8", UTF_8),
    ("utf8", UTF_8),
    ("x-unicode20utf8", UTF_8),
    ("unicodefffe", UTF_16BE),
    ("utf-16be", UTF_16BE),
    ("csunicode", UTF_16LE),
    ("iso-10646-ucs-2", UTF_16LE),
    ("ucs-2", UTF_16LE),
    ("unicode", UTF_16LE),
    ("unicodefeff", UTF_16LE),
    ("utf-16", UTF_16LE),
    ("utf-16le", UTF_16LE),
    ("cp1251", WINDOWS_1251),
    ("windows-1251", WINDOWS_1251),
    ("x-cp1251", WINDOWS_1251),
    ("ansi_x3.4-1968", WINDOWS_1252),
    ("ascii", WINDOWS_1252),
    ("cp1252", WINDOWS_1252),
    ("cp819", WINDOWS_1252),
    ("csisolatin1", WINDOWS_1252),
    ("ibm819", WINDOWS_1252),
    ("iso-8859-1", WINDOWS_1252),
    ("iso-ir-100", WINDOWS_1252),
    ("iso8859-1", WINDOWS_1252),
    ("iso88591", WINDOWS_1252),
    ("iso_8859-1", WINDOWS_1252),
    ("iso_8859-1:1987", WINDOWS_1252),
    ("l1", WINDOWS_1252),
    ("latin1", WINDOWS_1252),
    ("us-ascii", WINDOWS_1252),
    ("windows-1252", WINDOWS_1252),
    ("x-cp1252", WINDOWS_1252),
    // `replacement`
    ("csiso2022kr", WINDOWS_1252),
    ("hz-gb-2312", WINDOWS_1252),
    ("iso-2022-cn", WINDOWS_1252),
    ("iso-2022-cn-ext", WINDOWS_1252),
    ("iso-2022-kr", WINDOWS_1252),
    ("replacement", WINDOWS_1252),
    ("x-user-defined", WINDOWS_1252),
];

/// The lowercase WHATWG name of the encoding to decode `label` with: the built-in labels
/// first, then `others`. `None` for an unknown label.
pub fn lookup_label(label: &str, others: &dyn DecoderFactory) -> Option<String> {
    let label = label.trim_matches(|c: char| matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' '));
    LABELS
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(label))
        .map(|(_, name)| (*name).to_owned())
        .or_else(|| others.lookup(label).map(|n| n.to_ascii_lowercase()))
}

/// The encoding a byte-order mark at the start of `sample` names.
fn for_bom(sample: &[u8]) -> Option<&'static str> {
    if sample.starts_with(b"\xEF\xBB\xBF") {
        Some(UTF_8)
    } else if sample.starts_with(b"\xFF\xFE") {
        Some(UTF_16LE)
    } else if sample.starts_with(b"\xFE\xFF") {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// What sniffing found out about the start of a file.
pub(crate) struct Sniffed {
    /// The lowercase WHATWG name, e.g. `utf-8`, `windows-1251`.
    pub encoding: String,
    /// A problem that stops the import (binary file, unknown label).
    pub problem: Option<FieldError>,
}

impl Sniffed {
    fn ok(encoding: &str) -> Sniffed {
        Sniffed {
            encoding: encoding.to_owned(),
            problem: None,
        }
    }
}

fn problem(code: ErrorCode, message: String, params: ErrorParams) -> FieldError {
    FieldError {
        field: Field::File,
        code,
        message,
        params: Some(params),
    }
}

/// Recognises common binary formats by their magic bytes.
fn binary_kind(sample: &[u8]) -> Option<(&'static str, Detail)> {
    const MAGIC: &[(&[u8], &str, Detail)] = &[
        (
            b"PK\x03\x04",
            "an Excel workbook or a ZIP archive (.xlsx/.zip): save it as CSV first",
            Detail::Xlsx,
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "an old Excel workbook (.xls): save it as CSV first",
            Detail::Xls,
        ),
        (b"%PDF", "a PDF document", Detail::Pdf),
        (b"\x89PNG", "a PNG image", Detail::Png),
        (b"\xFF\xD8\xFF", "a JPEG image", Detail::Jpeg),
        (b"GIF8", "a GIF image", Detail::Gif),
        (b"\x1F\x8B", "a gzip archive", Detail::Gzip),
        (b"SQLite format 3", "an SQLite database", Detail::Sqlite),
    ];
    MAGIC
        .iter()
        .find(|(m, _, _)| sample.starts_with(m))
        .map(|(_, k, d)| (*k, *d))
}

/// Guesses UTF-16 without a BOM from the pattern of NUL bytes.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static str> {
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
fn cyrillic_or_western(sample: &[u8]) -> &'static str {
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
/// A byte-order mark always wins (as in browsers). Labels beyond the built-in encodings are
/// looked up in `others`.
pub(crate) fn sniff(sample: &[u8], label: Option<&str>, others: &dyn DecoderFactory) -> Sniffed {
    if let Some(enc) = for_bom(sample) {
        return Sniffed::ok(enc);
    }
    if let Some((kind, detail)) = binary_kind(sample) {
        return Sniffed {
            encoding: UTF_8.into(),
            problem: Some(problem(
                ErrorCode::BinaryFile,
                format!("This file is not a CSV text file: it looks like {kind}."),
                ErrorParams {
                    detail: Some(detail),
                    ..ErrorParams::default()
                },
            )),
        };
    }
    if let Some(l) = label
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("auto"))
    {
        return match lookup_label(l, others) {
            Some(name) => Sniffed {
                encoding: name,
                problem: None,
            },
            None => Sniffed {
                encoding: UTF_8.into(),
                problem: Some(problem(
                    ErrorCode::UnknownEncoding,
                    format!(
                        "\"{l}\" is not a known encoding name (try utf-8, windows-1251 or windows-1252)."
                    ),
                    ErrorParams::value(l.to_owned()),
                )),
            },
        };
    }
    if let Some(enc) = utf16_without_bom(sample) {
        return Sniffed::ok(enc);
    }
    if looks_binary(sample) {
        return Sniffed {
            encoding: UTF_8.into(),
            problem: Some(problem(
                ErrorCode::BinaryFile,
                "This file is not a CSV text file: it contains binary data (NUL or control bytes)."
                    .into(),
                ErrorParams {
                    detail: Some(Detail::BinaryData),
                    ..ErrorParams::default()
                },
            )),
        };
    }
    if mostly_utf8(sample) {
        Sniffed::ok(UTF_8)
    } else {
        Sniffed::ok(cyrillic_or_western(sample))
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

/// `Send` where threads exist: the server moves readers between threads; the browser's
/// decoders hold JavaScript objects, which are not `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` where threads exist: the server moves readers between threads; the browser's
/// decoders hold JavaScript objects, which are not `Send`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// The decoder of a [`super::RowReader`] or of detection: UTF-8 is passed through (it is
/// validated once, elsewhere); every other encoding is decoded by the caller's factory,
/// encoding_rs on the server and the browser's `TextDecoder` in the worker, both
/// implementations of the WHATWG Encoding Standard: `shared` decodes nothing by hand.
pub(crate) enum StreamDecoder {
    Utf8(Utf8Passthrough),
    Other(Box<dyn Decoder>),
}

impl StreamDecoder {
    /// The decoder for the encoding `name` (a name [`lookup_label`] returned). A name the
    /// factory does not decode is read as UTF-8 (detection reports unknown labels before a
    /// reader exists).
    pub fn new(name: &str, others: &dyn DecoderFactory) -> Self {
        if name == UTF_8 {
            return StreamDecoder::Utf8(Utf8Passthrough::default());
        }
        match others.decoder(name) {
            Some(d) => StreamDecoder::Other(d),
            None => StreamDecoder::Utf8(Utf8Passthrough::default()),
        }
    }

    /// UTF-8 from the middle of a file: passed through, a BOM there kept as a character.
    pub fn utf8_started() -> Self {
        StreamDecoder::Utf8(Utf8Passthrough {
            head: Vec::new(),
            started: true,
        })
    }

    /// UTF-8 past its first bytes: nothing is held back between pieces.
    pub fn is_utf8_started(&self) -> bool {
        matches!(self, StreamDecoder::Utf8(d) if d.started)
    }

    /// Decodes `input`, calling `sink` with UTF-8 pieces (see [`Decoder::push`]).
    pub fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
        match self {
            StreamDecoder::Utf8(d) => d.push(input, last, sink),
            StreamDecoder::Other(d) => d.push(input, last, sink),
        }
    }
}

/// UTF-8: passed through, without its BOM.
#[derive(Default)]
pub(crate) struct Utf8Passthrough {
    /// Bytes held back at the very start until we know whether they are a BOM.
    head: Vec<u8>,
    started: bool,
}

impl Decoder for Utf8Passthrough {
    fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
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
        let rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        if !rest.is_empty() {
            sink(rest);
        }
        if input.len() > take {
            sink(&input[take..]);
        }
    }
}

/// Decoded output is produced in pieces of at most about this many input bytes.
#[cfg(feature = "encoding-rs")]
const PIECE: usize = 64 * 1024;

/// Every encoding but UTF-8, decoded by encoding_rs (the server and the CLI).
#[cfg(feature = "encoding-rs")]
#[derive(Debug, Clone, Copy, Default)]
pub struct EncodingRs;

#[cfg(feature = "encoding-rs")]
impl DecoderFactory for EncodingRs {
    fn lookup(&self, label: &str) -> Option<String> {
        encoding_rs::Encoding::for_label(label.as_bytes()).map(|e| e.name().to_ascii_lowercase())
    }

    fn decoder(&self, name: &str) -> Option<Box<dyn Decoder>> {
        let encoding = encoding_rs::Encoding::for_label(name.as_bytes())?;
        Some(Box::new(EncodingRsDecoder::new(encoding)))
    }
}

/// The lowercase WHATWG name of an encoding, e.g. `utf-8`, `windows-1251`.
#[cfg(feature = "encoding-rs")]
pub fn encoding_name(enc: &'static encoding_rs::Encoding) -> String {
    enc.name().to_ascii_lowercase()
}

/// An encoding_rs decoder writing [`MALFORMED_MARKER`] for malformed input.
#[cfg(feature = "encoding-rs")]
pub struct EncodingRsDecoder {
    decoder: encoding_rs::Decoder,
    out: Vec<u8>,
}

#[cfg(feature = "encoding-rs")]
impl EncodingRsDecoder {
    /// A decoder for `encoding` that drops a BOM of that encoding at the start.
    pub fn new(encoding: &'static encoding_rs::Encoding) -> Self {
        EncodingRsDecoder {
            decoder: encoding.new_decoder_with_bom_removal(),
            out: Vec::new(),
        }
    }
}

#[cfg(feature = "encoding-rs")]
impl Decoder for EncodingRsDecoder {
    fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
        use encoding_rs::DecoderResult;
        let dec = &mut self.decoder;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name(sample: &[u8]) -> String {
        let s = sniff(sample, None, &BuiltinOnly);
        match s.problem {
            Some(p) => p.code.to_string(),
            None => s.encoding,
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
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
        let forced = |label| sniff(b"a", Some(label), &BuiltinOnly);
        assert_eq!(forced("cp1251").encoding, "windows-1251");
        assert_eq!(forced(" Latin1 ").encoding, "windows-1252");
        assert_eq!(forced("UTF-16").encoding, "utf-16le");
        assert_eq!(
            forced("nope").problem.unwrap().code,
            ErrorCode::UnknownEncoding
        );
        // Without a factory that knows it, another WHATWG label is unknown.
        assert_eq!(
            forced("latin2").problem.unwrap().code,
            ErrorCode::UnknownEncoding
        );
    }

    #[cfg(feature = "encoding-rs")]
    fn decode_chunks(name: &str, bytes: &[u8], size: usize) -> Vec<u8> {
        let mut d = StreamDecoder::new(name, default_decoders());
        let mut out = Vec::new();
        for c in bytes.chunks(size.max(1)) {
            d.push(c, false, &mut |s| out.extend_from_slice(s));
        }
        d.push(&[], true, &mut |s| out.extend_from_slice(s));
        out
    }

    #[cfg(feature = "encoding-rs")]
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decodes_in_any_chunks() {
        let b1251 = b"\xC8\xE2\xE0\xED;\xCF\xE5\xF2\xF0\xEE\xE2\n";
        for size in [1, 2, 3, 7, 1000] {
            assert_eq!(decode_chunks(UTF_8, b"\xEF\xBB\xBFab", size), b"ab");
            assert_eq!(decode_chunks(UTF_8, b"\xEF\xBB", size), b"\xEF\xBB");
            assert_eq!(
                decode_chunks(WINDOWS_1251, b1251, size),
                "Иван;Петров\n".as_bytes()
            );
            assert_eq!(decode_chunks(UTF_16LE, b"\xFF\xFEa\0b\0", size), b"ab");
            assert_eq!(decode_chunks(UTF_16BE, b"\xFE\xFF\0a\0b", size), b"ab");
            // A lone surrogate is malformed.
            assert_eq!(decode_chunks(UTF_16LE, b"a\0\x00\xD8b\0", size), b"a\xFFb");
            // So is a byte left at the end.
            assert_eq!(decode_chunks(UTF_16LE, b"a\0b", size), b"a\xFF");
        }
    }

    /// The label table against encoding_rs, the reference implementation of the Encoding
    /// Standard the browsers follow too.
    #[cfg(feature = "encoding-rs")]
    mod against_encoding_rs {
        use super::super::*;

        #[test]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn labels_name_the_same_encodings() {
            for (label, name) in LABELS {
                let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
                let expected =
                    if enc == encoding_rs::REPLACEMENT || enc == encoding_rs::X_USER_DEFINED {
                        WINDOWS_1252.to_owned()
                    } else {
                        encoding_name(enc)
                    };
                assert_eq!(*name, expected, "{label}");
                assert_eq!(
                    lookup_label(&label.to_uppercase(), &BuiltinOnly).as_deref(),
                    Some(*name)
                );
            }
            assert_eq!(
                lookup_label("latin2", &EncodingRs).as_deref(),
                Some("iso-8859-2")
            );
            assert_eq!(
                lookup_label("sjis", &EncodingRs).as_deref(),
                Some("shift_jis")
            );
            assert_eq!(lookup_label("latin2", &BuiltinOnly), None);
        }
    }
}
