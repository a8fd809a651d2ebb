//! Generated customer files and the import invariants, for benchmarks, `cargo xtask gen-data`
//! and the fuzz target. Only compiled with the non-default `testdata` feature.
//!
//! Still no I/O: [`Generator`] appends encoded bytes to a `Vec<u8>` that the caller writes
//! wherever it wants, a batch at a time, so a file of any size streams in bounded memory.
//!
//! The rows look like real store exports: English and Bulgarian names, emails with some upper
//! case, duplicates and invalid ones at a low rate, notes with commas, quotes and line breaks,
//! consent in varied spellings, groups. Everything is derived from the seed (deterministic).

mod invariants;

pub use invariants::{CheckSummary, check_import, split_fuzz_input};

/// The encoding of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataEncoding {
    Utf8,
    /// Bulgarian Excel's encoding (no BOM).
    Windows1251,
    /// Excel's "Unicode text": UTF-16LE with a BOM.
    Utf16Le,
}

impl DataEncoding {
    /// `utf-8`, `windows-1251` (or `cp1251`), `utf-16le` (or `utf-16`).
    pub fn parse(s: &str) -> Option<DataEncoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(DataEncoding::Utf8),
            "windows-1251" | "cp1251" => Some(DataEncoding::Windows1251),
            "utf-16le" | "utf-16" => Some(DataEncoding::Utf16Le),
            _ => None,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    pub seed: u64,
    /// `,` `;` tab or `|`.
    pub delimiter: u8,
    pub encoding: DataEncoding,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 42,
            delimiter: b',',
            encoding: DataEncoding::Utf8,
        }
    }
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const EN_FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Margaret",
    "Donald",
    "Sandra",
    "Steven",
    "Ashley",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
];
const EN_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "O'Brien",
    "McDonald",
    "Hill",
];
/// Bulgarian names with their Latin transliteration (for the email).
const BG_FIRST: &[(&str, &str)] = &[
    ("Иван", "ivan"),
    ("Мария", "maria"),
    ("Георги", "georgi"),
    ("Елена", "elena"),
    ("Димитър", "dimitar"),
    ("Йорданка", "yordanka"),
    ("Николай", "nikolay"),
    ("Десислава", "desislava"),
    ("Петър", "petar"),
    ("Цветелина", "tsvetelina"),
    ("Христо", "hristo"),
    ("Гергана", "gergana"),
    ("Стоян", "stoyan"),
    ("Радостина", "radostina"),
    ("Любомир", "lyubomir"),
    ("Жана", "zhana"),
];
const BG_LAST: &[(&str, &str)] = &[
    ("Иванов", "ivanov"),
    ("Петрова", "petrova"),
    ("Георгиев", "georgiev"),
    ("Димитрова", "dimitrova"),
    ("Николов", "nikolov"),
    ("Стоянова", "stoyanova"),
    ("Христов", "hristov"),
    ("Тодорова", "todorova"),
    ("Атанасов", "atanasov"),
    ("Костадинова", "kostadinova"),
    ("Цветков", "tsvetkov"),
    ("Йорданова", "yordanova"),
    ("Шишков", "shishkov"),
    ("Чернева", "cherneva"),
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "abv.bg",
    "yahoo.com",
    "outlook.com",
    "mail.bg",
    "example.com",
    "dir.bg",
    "hotmail.co.uk",
    "company.eu",
];
const NOTES_EN: &[&str] = &[
    "Prefers delivery after 6 pm",
    "VIP since 2019, always pays on time",
    "Asked about wholesale prices for the spring collection",
    "Returned one item (wrong size), exchanged without problems",
    "Call before delivery, the doorbell does not work",
    "Met at the trade fair in Plovdiv",
    "Wants invoices by email only",
];
const NOTES_BG: &[&str] = &[
    "Доставка само след 18 ч.",
    "Постоянен клиент, плаща навреме",
    "Иска фактура на фирма",
    "Да се обади преди доставка, звънецът не работи",
    "Поръчва основно детски дрехи и обувки",
    "Отстъпка 10% за следващата поръчка",
];
const NOTE_TAILS: &[&str] = &[
    ", left a review",
    ", paid by card",
    ", gift wrapping requested",
    ", ask for Maria",
    ", заплаща с наложен платеж",
    ", адрес: ул. Раковски 12, ет. 3",
];
const CONSENT: &[&str] = &[
    "yes",
    "no",
    "Yes",
    "No",
    "YES",
    "true",
    "false",
    "TRUE",
    "1",
    "0",
    "y",
    "n",
    "да",
    "не",
    "Да",
    "subscribed",
    "unsubscribed",
    "",
];
const GROUPS: &[&str] = &[
    "Default",
    "VIP",
    "Wholesale",
    "Retail",
    "Newsletter",
    "Клиенти на едро",
    "Лоялни клиенти",
    "",
];
const INVALID_EMAILS: &[&str] = &[
    "not an email",
    "ivan.petrov@",
    "@example.com",
    "maria..ivanova@abv.bg",
    "john smith@gmail.com",
    "georgi@localhost",
    "петър@abv.bg",
    "x@y@z.com",
];

/// The header every generated file starts with.
pub const HEADER: [&str; 6] = [
    "First Name",
    "Last Name",
    "Email",
    "Note",
    "Accepts Marketing",
    "Group",
];

/// Writes customer rows, encoded, into caller-provided buffers.
#[derive(Debug, Clone)]
pub struct Generator {
    opts: GenOptions,
    rng: Rng,
    row: u64,
    /// Recent valid emails, for duplicates.
    recent: Vec<String>,
    /// The UTF-8 text of the batch being generated.
    text: String,
    cell: String,
}

impl Generator {
    pub fn new(opts: GenOptions) -> Generator {
        Generator {
            opts,
            rng: Rng(opts.seed),
            row: 0,
            recent: Vec::with_capacity(64),
            text: String::with_capacity(64 * 1024),
            cell: String::new(),
        }
    }

    /// Rows generated so far.
    pub fn rows_written(&self) -> u64 {
        self.row
    }

    /// Appends the BOM (UTF-16LE only) and the header line.
    pub fn header(&mut self, out: &mut Vec<u8>) {
        if self.opts.encoding == DataEncoding::Utf16Le {
            out.extend_from_slice(b"\xFF\xFE");
        }
        self.text.clear();
        for (i, h) in HEADER.iter().enumerate() {
            if i > 0 {
                self.text.push(self.opts.delimiter as char);
            }
            self.text.push_str(h);
        }
        self.text.push_str("\r\n");
        self.flush(out);
    }

    /// Appends `n` rows.
    pub fn rows(&mut self, n: usize, out: &mut Vec<u8>) {
        self.text.clear();
        for _ in 0..n {
            self.one_row();
        }
        self.flush(out);
    }

    /// A whole file (header and rows) of at least `bytes` bytes, in memory.
    pub fn file_of_size(opts: GenOptions, bytes: usize) -> Vec<u8> {
        let mut g = Generator::new(opts);
        let mut out = Vec::with_capacity(bytes + 64 * 1024);
        g.header(&mut out);
        while out.len() < bytes {
            g.rows(256, &mut out);
        }
        out
    }

    /// A whole file (header and `rows` rows), in memory.
    pub fn file_of_rows(opts: GenOptions, rows: usize) -> Vec<u8> {
        let mut g = Generator::new(opts);
        let mut out = Vec::new();
        g.header(&mut out);
        g.rows(rows, &mut out);
        out
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        match self.opts.encoding {
            DataEncoding::Utf8 => out.extend_from_slice(self.text.as_bytes()),
            DataEncoding::Windows1251 => {
                let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&self.text);
                out.extend_from_slice(&bytes);
            }
            DataEncoding::Utf16Le => {
                out.reserve(self.text.len() * 2);
                for u in self.text.encode_utf16() {
                    out.extend_from_slice(&u.to_le_bytes());
                }
            }
        }
        self.text.clear();
    }

    /// Writes one cell of `self.cell`, quoted when needed.
    fn put_cell(&mut self, first: bool) {
        let d = self.opts.delimiter as char;
        if !first {
            self.text.push(d);
        }
        let needs_quotes = self
            .cell
            .chars()
            .any(|c| c == d || c == '"' || c == '\n' || c == '\r');
        if needs_quotes {
            self.text.push('"');
            for c in self.cell.chars() {
                if c == '"' {
                    self.text.push('"');
                }
                self.text.push(c);
            }
            self.text.push('"');
        } else {
            self.text.push_str(&self.cell);
        }
    }

    fn one_row(&mut self) {
        self.row += 1;
        let rng = &mut self.rng;
        let bulgarian = rng.chance(450);
        let (first, last, first_l, last_l) = if bulgarian {
            let (f, fl) = BG_FIRST[rng.below(BG_FIRST.len())];
            let (l, ll) = BG_LAST[rng.below(BG_LAST.len())];
            (f, l, fl.to_string(), ll.to_string())
        } else {
            let f = rng.pick(EN_FIRST);
            let l = rng.pick(EN_LAST);
            (
                f,
                l,
                f.to_ascii_lowercase(),
                l.to_ascii_lowercase().replace('\'', ""),
            )
        };
        // Email: mostly valid and unique, some upper case, some repeated, a few invalid.
        let email = if rng.chance(5) {
            rng.pick(INVALID_EMAILS).to_string()
        } else if rng.chance(10) && !self.recent.is_empty() {
            let e = self.recent[rng.below(self.recent.len())].clone();
            if rng.chance(500) {
                e.to_ascii_uppercase()
            } else {
                e
            }
        } else {
            let sep = rng.pick(&[".", "_", ""]);
            let domain = rng.pick(DOMAINS);
            let mut e = format!("{first_l}{sep}{last_l}{}@{domain}", self.row);
            if rng.chance(60) {
                e = e.to_ascii_uppercase();
            } else if rng.chance(60) {
                let mut c = e.chars();
                if let Some(f) = c.next() {
                    e = f.to_ascii_uppercase().to_string() + c.as_str();
                }
            }
            if self.recent.len() < 64 {
                self.recent.push(e.clone());
            } else {
                let i = rng.below(64);
                self.recent[i].clone_from(&e);
            }
            e
        };
        let note_kind = rng.below(100);
        let mut note = String::new();
        if note_kind >= 35 {
            note.push_str(if bulgarian {
                rng.pick(NOTES_BG)
            } else {
                rng.pick(NOTES_EN)
            });
            match note_kind {
                35..=69 => {}
                70..=84 => note.push_str(rng.pick(NOTE_TAILS)),
                85..=92 => note.push_str(" (said \"call me\" twice)"),
                _ => {
                    note.push_str("\nsecond line: ");
                    note.push_str(rng.pick(NOTES_EN));
                }
            }
        }
        let consent = rng.pick(CONSENT);
        let group = rng.pick(GROUPS);

        self.cell.clear();
        self.cell.push_str(first);
        self.put_cell(true);
        for v in [last, &email, &note, consent, group] {
            self.cell.clear();
            self.cell.push_str(v);
            self.put_cell(false);
        }
        self.text.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;
    use crate::import::inspect;
    use crate::settings::ReadSettings;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn generation_is_deterministic_and_chunk_independent() {
        let opts = GenOptions::default();
        let a = Generator::file_of_rows(opts, 500);
        let mut g = Generator::new(opts);
        let mut b = Vec::new();
        g.header(&mut b);
        for n in [1, 7, 100, 392] {
            g.rows(n, &mut b);
        }
        assert_eq!(a, b);
        assert_ne!(
            a,
            Generator::file_of_rows(GenOptions { seed: 7, ..opts }, 500)
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn generated_files_import_as_expected() {
        for (delimiter, encoding) in [
            (b',', DataEncoding::Utf8),
            (b';', DataEncoding::Windows1251),
            (b'\t', DataEncoding::Utf16Le),
            (b'|', DataEncoding::Utf8),
        ] {
            let opts = GenOptions {
                seed: 1,
                delimiter,
                encoding,
            };
            let file = Generator::file_of_rows(opts, 2000);
            let report = inspect(&file, &ReadSettings::default());
            assert_eq!(report.delimiter, char::from(delimiter).to_string());
            assert!(report.has_header);
            assert_eq!(
                report.columns.iter().map(|c| c.target).collect::<Vec<_>>(),
                [
                    Some(crate::import::Target::FirstName),
                    Some(crate::import::Target::LastName),
                    Some(crate::import::Target::Email),
                    Some(crate::import::Target::Note),
                    Some(crate::import::Target::AcceptsMarketing),
                    Some(crate::import::Target::CustomerGroup),
                ]
            );
            let r = report.rows;
            assert_eq!(r.total, 2000, "{encoding:?}");
            // Low rates of invalid and duplicate rows, as generated.
            assert!(r.invalid > 0 && r.invalid < 40, "{r:?}");
            assert!(r.duplicates > 0 && r.duplicates < 60, "{r:?}");
            assert!(
                report
                    .errors
                    .iter()
                    .all(|e| matches!(e.code, ErrorCode::InvalidEmail | ErrorCode::DuplicateEmail)),
                "{:?}",
                report
                    .errors
                    .iter()
                    .find(|e| e.code != ErrorCode::InvalidEmail)
            );
        }
    }
}
