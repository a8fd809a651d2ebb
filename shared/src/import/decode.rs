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

use crate::api::FieldError;
use crate::rules::codes;

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

/// A [`DecoderFactory`] that knows no encoding beyond the built-in five.
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

/// The encodings decoded by `shared` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1251,
    Windows1252,
}

const UTF_8: &str = "utf-8";
const UTF_16LE: &str = "utf-16le";
const UTF_16BE: &str = "utf-16be";
const WINDOWS_1251: &str = "windows-1251";
const WINDOWS_1252: &str = "windows-1252";

impl Builtin {
    fn name(self) -> &'static str {
        match self {
            Builtin::Utf8 => UTF_8,
            Builtin::Utf16Le => UTF_16LE,
            Builtin::Utf16Be => UTF_16BE,
            Builtin::Windows1251 => WINDOWS_1251,
            Builtin::Windows1252 => WINDOWS_1252,
        }
    }

    fn from_name(name: &str) -> Option<Builtin> {
        [
            Builtin::Utf8,
            Builtin::Utf16Le,
            Builtin::Utf16Be,
            Builtin::Windows1251,
            Builtin::Windows1252,
        ]
        .into_iter()
        .find(|b| b.name() == name)
    }
}

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
    if let Some(kind) = binary_kind(sample) {
        return Sniffed {
            encoding: UTF_8.into(),
            problem: Some(problem(
                codes::BINARY_FILE,
                format!("This file is not a CSV text file: it looks like {kind}."),
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
                    codes::UNKNOWN_ENCODING,
                    format!(
                        "\"{l}\" is not a known encoding name (try utf-8, windows-1251 or windows-1252)."
                    ),
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
                codes::BINARY_FILE,
                "This file is not a CSV text file: it contains binary data (NUL or control bytes)."
                    .into(),
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

/// Decoded output is produced in pieces of at most about this many input bytes.
const PIECE: usize = 64 * 1024;

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

/// The decoder of a [`super::RowReader`] or of detection.
pub(crate) enum StreamDecoder {
    Utf8(Utf8Passthrough),
    Utf16(Utf16),
    SingleByte(SingleByte),
    Other(Box<dyn Decoder>),
}

impl StreamDecoder {
    /// The decoder for the encoding `name` (a name [`lookup_label`] returned). A name that
    /// neither `shared` nor `others` decodes is read as UTF-8 (detection reports unknown
    /// labels before a reader exists).
    pub fn new(name: &str, others: &dyn DecoderFactory) -> Self {
        match Builtin::from_name(name) {
            Some(b) => StreamDecoder::for_builtin(b),
            None => match others.decoder(name) {
                Some(d) => StreamDecoder::Other(d),
                None => StreamDecoder::Utf8(Utf8Passthrough::default()),
            },
        }
    }

    /// A built-in encoding: encoding_rs with the `encoding-rs` feature (faster natively),
    /// else [`StreamDecoder::own`]; the tests check that both give the same bytes.
    fn for_builtin(b: Builtin) -> Self {
        #[cfg(feature = "encoding-rs")]
        if b != Builtin::Utf8
            && let Some(enc) = encoding_rs::Encoding::for_label(b.name().as_bytes())
        {
            return StreamDecoder::Other(Box::new(EncodingRsDecoder::new(enc)));
        }
        StreamDecoder::own(b)
    }

    /// `shared`'s own decoder for a built-in encoding.
    pub(crate) fn own(b: Builtin) -> Self {
        match b {
            Builtin::Utf8 => StreamDecoder::Utf8(Utf8Passthrough::default()),
            Builtin::Utf16Le => StreamDecoder::Utf16(Utf16::new(false)),
            Builtin::Utf16Be => StreamDecoder::Utf16(Utf16::new(true)),
            Builtin::Windows1251 => StreamDecoder::SingleByte(SingleByte::new(&WINDOWS_1251_HIGH)),
            Builtin::Windows1252 => StreamDecoder::SingleByte(SingleByte::new(&WINDOWS_1252_HIGH)),
        }
    }

    /// Decodes `input`, calling `sink` with UTF-8 pieces (see [`Decoder::push`]).
    pub fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
        match self {
            StreamDecoder::Utf8(d) => d.push(input, last, sink),
            StreamDecoder::Utf16(d) => d.push(input, last, sink),
            StreamDecoder::SingleByte(d) => d.push(input, last, sink),
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

/// UTF-16LE or UTF-16BE as the Encoding Standard decodes it: a BOM of its own byte order at
/// the start is dropped; a lone surrogate, or a byte or lead surrogate left at the end, is
/// malformed; a lead surrogate followed by anything but a trail surrogate is malformed and
/// what followed it is decoded normally.
pub(crate) struct Utf16 {
    big_endian: bool,
    at_start: bool,
    odd: Option<u8>,
    lead: Option<u16>,
    out: Vec<u8>,
}

impl Utf16 {
    fn new(big_endian: bool) -> Self {
        Utf16 {
            big_endian,
            at_start: true,
            odd: None,
            lead: None,
            out: Vec::new(),
        }
    }

    #[inline]
    fn unit(&mut self, u: u16) {
        if self.at_start {
            self.at_start = false;
            if u == 0xFEFF {
                return;
            }
        }
        if let Some(lead) = self.lead.take() {
            if (0xDC00..=0xDFFF).contains(&u) {
                let c = 0x10000 + ((u32::from(lead) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                self.push_char(c);
                return;
            }
            self.out.push(MALFORMED_MARKER);
        }
        match u {
            0..=0x7F => self.out.push(u as u8),
            0xD800..=0xDBFF => self.lead = Some(u),
            0xDC00..=0xDFFF => self.out.push(MALFORMED_MARKER),
            _ => self.push_char(u32::from(u)),
        }
    }

    #[inline]
    fn push_char(&mut self, c: u32) {
        let c = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
        self.out
            .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }

    fn decode(&mut self, mut bytes: &[u8], last: bool) {
        let be = self.big_endian;
        let join = |a: u8, b: u8| {
            if be {
                u16::from_be_bytes([a, b])
            } else {
                u16::from_le_bytes([a, b])
            }
        };
        if let Some(a) = self.odd
            && let Some((&b, rest)) = bytes.split_first()
        {
            self.odd = None;
            self.unit(join(a, b));
            bytes = rest;
        }
        self.out.reserve(bytes.len() / 2 * 3 + 4);
        let mut pairs = bytes.chunks_exact(2);
        if self.at_start
            && let Some(p) = pairs.next()
        {
            self.unit(join(p[0], p[1]));
        }
        for p in &mut pairs {
            let u = join(p[0], p[1]);
            // ASCII (most of a CSV file) skips the state checks.
            if u < 0x80 && self.lead.is_none() {
                self.out.push(u as u8);
            } else {
                self.unit(u);
            }
        }
        if let [b] = pairs.remainder() {
            self.odd = Some(*b);
        }
        if last && (self.odd.is_some() || self.lead.is_some()) {
            self.odd = None;
            self.lead = None;
            self.out.push(MALFORMED_MARKER);
        }
    }
}

impl Decoder for Utf16 {
    fn push(&mut self, input: &[u8], last: bool, sink: &mut dyn FnMut(&[u8])) {
        let mut src = input;
        loop {
            let (now, rest) = src.split_at(src.len().min(PIECE));
            self.out.clear();
            self.decode(now, last && rest.is_empty());
            if !self.out.is_empty() {
                sink(&self.out);
            }
            src = rest;
            if src.is_empty() {
                break;
            }
        }
    }
}

/// A single-byte encoding: ASCII, and a table for the bytes 0x80-0xFF (each of the 256
/// bytes is a character in windows-1251 and windows-1252, so nothing is ever malformed).
pub(crate) struct SingleByte {
    /// The UTF-8 form of each byte 0x80-0xFF: its length, then its bytes.
    high: Box<[[u8; 4]; 128]>,
    out: Vec<u8>,
}

impl SingleByte {
    fn new(table: &'static [u16; 128]) -> Self {
        let mut high = Box::new([[0; 4]; 128]);
        for (utf8, &c) in high.iter_mut().zip(table) {
            let c = char::from_u32(u32::from(c)).unwrap_or(char::REPLACEMENT_CHARACTER);
            let len = c.encode_utf8(&mut utf8[1..]).len();
            utf8[0] = len as u8;
        }
        SingleByte {
            high,
            out: Vec::new(),
        }
    }
}

/// How many bytes at the start of `s` are ASCII (eight at a time).
fn ascii_prefix(s: &[u8]) -> usize {
    let mut i = 0;
    for word in s.chunks_exact(8) {
        let w = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        if w & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        i += 8;
    }
    i + s[i..].iter().take_while(|&&b| b < 0x80).count()
}

impl Decoder for SingleByte {
    fn push(&mut self, input: &[u8], _last: bool, sink: &mut dyn FnMut(&[u8])) {
        for piece in input.chunks(PIECE) {
            let mut rest = piece;
            let ascii = ascii_prefix(rest);
            if ascii == rest.len() {
                sink(piece);
                continue;
            }
            self.out.clear();
            self.out.reserve(piece.len() * 3);
            while !rest.is_empty() {
                let ascii = ascii_prefix(rest);
                self.out.extend_from_slice(&rest[..ascii]);
                rest = &rest[ascii..];
                while let Some((&b, after)) = rest.split_first()
                    && b >= 0x80
                {
                    let utf8 = &self.high[usize::from(b - 0x80)];
                    self.out
                        .extend_from_slice(&utf8[1..1 + usize::from(utf8[0])]);
                    rest = after;
                }
            }
            sink(&self.out);
        }
    }
}

/// windows-1251, bytes 0x80-0xFF (the Encoding Standard's index).
static WINDOWS_1251_HIGH: [u16; 128] = [
    0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, 0x20AC, 0x2030, 0x0409, 0x2039,
    0x040A, 0x040C, 0x040B, 0x040F, 0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x0098, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, 0x00A0, 0x040E, 0x045E, 0x0408,
    0x00A4, 0x0490, 0x00A6, 0x00A7, 0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407,
    0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7, 0x0451, 0x2116, 0x0454, 0x00BB,
    0x0458, 0x0405, 0x0455, 0x0457, 0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,
    0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F, 0x0420, 0x0421, 0x0422, 0x0423,
    0x0424, 0x0425, 0x0426, 0x0427, 0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,
    0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B,
    0x043C, 0x043D, 0x043E, 0x043F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447,
    0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F,
];

/// windows-1252, bytes 0x80-0xFF (the Encoding Standard's index).
static WINDOWS_1252_HIGH: [u16; 128] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178, 0x00A0, 0x00A1, 0x00A2, 0x00A3,
    0x00A4, 0x00A5, 0x00A6, 0x00A7, 0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
    0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7, 0x00B8, 0x00B9, 0x00BA, 0x00BB,
    0x00BC, 0x00BD, 0x00BE, 0x00BF, 0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
    0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF, 0x00D0, 0x00D1, 0x00D2, 0x00D3,
    0x00D4, 0x00D5, 0x00D6, 0x00D7, 0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF,
    0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7, 0x00E8, 0x00E9, 0x00EA, 0x00EB,
    0x00EC, 0x00ED, 0x00EE, 0x00EF, 0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00F7,
    0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF,
];

/// Every other WHATWG encoding, decoded by encoding_rs (the server and the CLI).
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
            Some(p) => p.code,
            None => s.encoding,
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
        let forced = |label| sniff(b"a", Some(label), &BuiltinOnly);
        assert_eq!(forced("cp1251").encoding, "windows-1251");
        assert_eq!(forced(" Latin1 ").encoding, "windows-1252");
        assert_eq!(forced("UTF-16").encoding, "utf-16le");
        assert_eq!(forced("nope").problem.unwrap().code, "unknown_encoding");
        // Without a factory that knows it, another WHATWG label is unknown.
        assert_eq!(forced("latin2").problem.unwrap().code, "unknown_encoding");
    }

    fn decode_chunks(name: &str, bytes: &[u8], size: usize) -> Vec<u8> {
        let mut d = StreamDecoder::own(Builtin::from_name(name).unwrap());
        let mut out = Vec::new();
        for c in bytes.chunks(size.max(1)) {
            d.push(c, false, &mut |s| out.extend_from_slice(s));
        }
        d.push(&[], true, &mut |s| out.extend_from_slice(s));
        out
    }

    #[test]
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

    /// The built-in decoders and labels against encoding_rs, the reference implementation of
    /// the Encoding Standard the browsers follow too.
    #[cfg(feature = "encoding-rs")]
    mod against_encoding_rs {
        use super::super::*;
        use proptest::prelude::*;

        fn ours(name: &str, bytes: &[u8], chunks: &[usize]) -> Vec<u8> {
            let mut d = StreamDecoder::own(Builtin::from_name(name).unwrap());
            assert!(!matches!(d, StreamDecoder::Other(_)), "{name} is built in");
            run(&mut d, bytes, chunks)
        }

        fn reference(name: &str, bytes: &[u8]) -> Vec<u8> {
            let enc = encoding_rs::Encoding::for_label(name.as_bytes()).unwrap();
            let mut d = StreamDecoder::Other(Box::new(EncodingRsDecoder::new(enc)));
            run(&mut d, bytes, &[usize::MAX])
        }

        fn run(d: &mut StreamDecoder, bytes: &[u8], chunks: &[usize]) -> Vec<u8> {
            let mut out = Vec::new();
            let (mut pos, mut i) = (0, 0);
            while pos < bytes.len() {
                let n = chunks[i % chunks.len()].clamp(1, bytes.len() - pos);
                d.push(&bytes[pos..pos + n], false, &mut |s| {
                    out.extend_from_slice(s)
                });
                pos += n;
                i += 1;
            }
            d.push(&[], true, &mut |s| out.extend_from_slice(s));
            out
        }

        #[test]
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

        #[test]
        fn single_byte_tables_match() {
            let all: Vec<u8> = (0..=255).collect();
            for name in [WINDOWS_1251, WINDOWS_1252] {
                assert_eq!(ours(name, &all, &[3]), reference(name, &all), "{name}");
            }
        }

        /// Bytes rich in what UTF-16 decoders disagree on: surrogates, BOMs, odd lengths.
        fn utf16ish() -> impl Strategy<Value = Vec<u8>> {
            let unit = prop_oneof![
                Just(0xFEFFu16),
                0u16..0x80,
                0xD800u16..0xDC00,
                0xDC00u16..0xE000,
                any::<u16>(),
            ];
            (
                proptest::collection::vec((unit, any::<bool>()), 0..40),
                any::<bool>(),
                any::<u8>(),
            )
                .prop_map(|(units, odd, extra)| {
                    let mut v = Vec::new();
                    for (u, be) in units {
                        v.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                    }
                    if odd {
                        v.push(extra);
                    }
                    v
                })
        }

        proptest! {
            #[test]
            fn utf16_matches(bytes in utf16ish(), chunks in proptest::collection::vec(1usize..9, 1..4)) {
                for name in [UTF_16LE, UTF_16BE] {
                    prop_assert_eq!(ours(name, &bytes, &chunks), reference(name, &bytes), "{}", name);
                }
            }

            #[test]
            fn single_byte_matches(bytes in proptest::collection::vec(any::<u8>(), 0..300), chunks in proptest::collection::vec(1usize..70, 1..4)) {
                for name in [WINDOWS_1251, WINDOWS_1252] {
                    prop_assert_eq!(ours(name, &bytes, &chunks), reference(name, &bytes), "{}", name);
                }
            }
        }
    }
}
