//! A [`FieldError`] as a sentence in the reader's language: one catalog, (code, params,
//! language) -> sentence, for the browser's main thread, the server's `errors.csv` and the
//! CLI. The rules write the English `message` themselves (the parse worker must not link this
//! catalog); [`render`] in English gives the same sentence from the code and params.
//!
//! A match over the codes with `format!`, no tables: it ships in the main wasm.

use crate::api::FieldError;
use crate::codes::{Detail, ErrorCode, ErrorParams};
use crate::field::Field;

/// A language messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Bg,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Bg];

    /// The language's tag: `en`, `bg`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Bg => "bg",
        }
    }

    /// `bg` (or a `bg-…` tag) is Bulgarian; anything else English.
    pub fn from_code(code: &str) -> Lang {
        Lang::parse(code).unwrap_or(Lang::En)
    }

    /// The language a tag names (`bg`, `BG`, `bg-BG`, `en-GB`, `bg_BG.UTF-8`), if one of ours.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_', '.', '@']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("bg") {
            Some(Lang::Bg)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language an HTTP `Accept-Language` header prefers (RFC 9110 §12.5.4): the known
    /// tag with the highest q-value (the first on a tie; `q=0` means "not this"); English when
    /// none is known. `*` stands for English.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("q").then(|| qvalue(v.trim()))
                })
                .unwrap_or(Some(1000));
            let (Some(q), Some(lang)) = (
                q,
                if tag == "*" {
                    Some(Lang::En)
                } else {
                    Lang::parse(tag)
                },
            ) else {
                continue;
            };
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// A q-value in thousandths ("0.8" -> 800); `None` when malformed (the item is ignored).
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The noun for a count: `one` for exactly 1, else `many` (in Bulgarian the counted form of
/// a masculine noun: "1 ред", "5 реда"; the plural otherwise: "1 грешка", "5 грешки").
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The name of a field, as the messages write it.
pub fn field_name(field: Field, lang: Lang) -> &'static str {
    match (lang, field) {
        (Lang::En, Field::FirstName) => "First name",
        (Lang::En, Field::LastName) => "Last name",
        (Lang::En, Field::FullName) => "Full name",
        (Lang::En, Field::Email) => "Email",
        (Lang::En, Field::Note) => "Note",
        (Lang::En, Field::AcceptsMarketing) => "Accepts marketing",
        (Lang::En, Field::Group) => "Group",
        (Lang::En, Field::Row) => "Row",
        (Lang::En, Field::File) => "File",
        (Lang::Bg, Field::FirstName) => "Име",
        (Lang::Bg, Field::LastName) => "Фамилия",
        (Lang::Bg, Field::FullName) => "Пълно име",
        (Lang::Bg, Field::Email) => "Имейл",
        (Lang::Bg, Field::Note) => "Бележка",
        (Lang::Bg, Field::AcceptsMarketing) => "Съгласие за маркетинг",
        (Lang::Bg, Field::Group) => "Група",
        (Lang::Bg, Field::Row) => "Ред",
        (Lang::Bg, Field::File) => "Файл",
    }
}

/// `e` as a sentence in `lang`. Without the params its code needs (an older server), the
/// English message as it came, or a general Bulgarian sentence for the code.
pub fn render(e: &FieldError, lang: Lang) -> String {
    let params = e.params.clone().unwrap_or_default();
    match lang {
        Lang::En => english(e.field, e.code, &params).unwrap_or_else(|| e.message.clone()),
        Lang::Bg => {
            bulgarian(e.field, e.code, &params).unwrap_or_else(|| general_bg(e.code).into())
        }
    }
}

fn english(field: Field, code: ErrorCode, p: &ErrorParams) -> Option<String> {
    let label = field_name(field, Lang::En);
    let value = p.value.as_deref();
    Some(match code {
        ErrorCode::MissingEmail => "Email is required, but this row has none.".into(),
        ErrorCode::InvalidEmail => format!(
            "Email \"{}\" is not a valid address: {}.",
            value?,
            crate::rules::invalid_email_why(p.detail?)
        ),
        ErrorCode::EmailTooLong if p.detail == Some(Detail::LocalPart) => format!(
            "Email \"{}\" is too long: the part before the @ has {} characters, at most {} are allowed.",
            value?, p.actual?, p.limit?
        ),
        ErrorCode::EmailTooLong => format!(
            "Email \"{}\" is too long: {} characters, at most {} are allowed.",
            value?, p.actual?, p.limit?
        ),
        ErrorCode::InvalidAcceptsMarketing if p.detail == Some(Detail::MappedToError) => format!(
            "Accepts marketing \"{}\" is marked as an error in the value mapping.",
            value?
        ),
        ErrorCode::InvalidAcceptsMarketing => format!(
            "Accepts marketing must be yes or no (or true/false, 1/0, да/не, subscribed/unsubscribed, or empty), not \"{}\".",
            value?
        ),
        ErrorCode::FieldTooLong => match p.detail? {
            Detail::Cut => format!("{label} is too long: over {} bytes; it was cut.", p.limit?),
            d => format!(
                "{label} is too long: {} {}, at most {} are allowed.",
                p.actual?,
                if d == Detail::Bytes {
                    "bytes"
                } else {
                    "characters"
                },
                p.limit?
            ),
        },
        ErrorCode::TooManyColumns => format!(
            "The row has more than {} cells; the extra cells were dropped.",
            p.limit?
        ),
        ErrorCode::UnbalancedQuote => format!(
            "Line {} opens a quote (\") that is not closed where the row should end; the lines after it were read as rows of their own.",
            p.line?
        ),
        ErrorCode::InvalidEncoding => format!(
            "{label} has bytes that are not valid in the file's encoding (shown as �); check the encoding setting."
        ),
        ErrorCode::DuplicateEmail => format!(
            "Email {} appears again on line {}; that later row is imported and this one is skipped.",
            value?, p.line?
        ),
        ErrorCode::RaggedRow => format!(
            "The row has {} cells but the file has {} columns; the extra cells hold data, so the row may be shifted (an unquoted delimiter?).",
            p.actual?, p.limit?
        ),
        ErrorCode::EmptyFile => "The file is empty: it has no rows to import.".into(),
        ErrorCode::BinaryFile => match p.detail? {
            Detail::BinaryData => {
                "This file is not a CSV text file: it contains binary data (NUL or control bytes)."
                    .into()
            }
            d => format!(
                "This file is not a CSV text file: it looks like {}.",
                binary_kind(d, Lang::En)
            ),
        },
        ErrorCode::UnknownEncoding => format!(
            "\"{}\" is not a known encoding name (try utf-8, windows-1251 or windows-1252).",
            value?
        ),
        ErrorCode::InvalidDelimiter => {
            "The delimiter must be a punctuation character or tab, such as , ; | or tab.".into()
        }
    })
}

fn bulgarian(field: Field, code: ErrorCode, p: &ErrorParams) -> Option<String> {
    let label = field_name(field, Lang::Bg);
    let value = p.value.as_deref();
    let chars = |n: u64| plural(n, "знак", "знака");
    let bytes = |n: u64| plural(n, "байт", "байта");
    let cells = |n: u64| plural(n, "клетка", "клетки");
    Some(match code {
        ErrorCode::MissingEmail => "Имейлът е задължителен, а този ред няма имейл.".into(),
        ErrorCode::InvalidEmail => format!(
            "Имейлът „{}“ не е валиден адрес: {}.",
            value?,
            invalid_email_why_bg(p.detail?)
        ),
        ErrorCode::EmailTooLong => {
            let (actual, limit) = (p.actual?, p.limit?);
            let part = if p.detail == Some(Detail::LocalPart) {
                "частта преди @ има "
            } else {
                ""
            };
            format!(
                "Имейлът „{}“ е твърде дълъг: {part}{actual} {}, а са позволени най-много {limit}.",
                value?,
                chars(actual)
            )
        }
        ErrorCode::InvalidAcceptsMarketing if p.detail == Some(Detail::MappedToError) => format!(
            "Стойността „{}“ за съгласие за маркетинг е отбелязана като грешка в съпоставянето на стойностите.",
            value?
        ),
        ErrorCode::InvalidAcceptsMarketing => format!(
            "Съгласието за маркетинг трябва да е „да“ или „не“ (или true/false, 1/0, yes/no, subscribed/unsubscribed, или празно), а не „{}“.",
            value?
        ),
        ErrorCode::FieldTooLong => {
            let limit = p.limit?;
            match p.detail? {
                Detail::Cut => format!(
                    "Полето „{label}“ е твърде дълго: над {limit} {}; съкратено е.",
                    bytes(limit)
                ),
                d => {
                    let actual = p.actual?;
                    let unit = if d == Detail::Bytes {
                        bytes(actual)
                    } else {
                        chars(actual)
                    };
                    format!(
                        "Полето „{label}“ е твърде дълго: {actual} {unit}, а са позволени най-много {limit}."
                    )
                }
            }
        }
        ErrorCode::TooManyColumns => {
            let limit = p.limit?;
            format!(
                "Редът има повече от {limit} {}; излишните клетки са пропуснати.",
                cells(limit)
            )
        }
        ErrorCode::UnbalancedQuote => format!(
            "На ред {} се отваря кавичка (\"), която не е затворена там, където редът трябва да свърши; следващите редове са прочетени като отделни редове.",
            p.line?
        ),
        ErrorCode::InvalidEncoding => format!(
            "Полето „{label}“ съдържа байтове, които не са валидни в кодировката на файла (показани като �); проверете настройката за кодировка."
        ),
        ErrorCode::DuplicateEmail => format!(
            "Имейлът {} се среща отново на ред {}; внася се по-късният ред, а този се пропуска.",
            value?,
            p.line?
        ),
        ErrorCode::RaggedRow => {
            let (actual, limit) = (p.actual?, p.limit?);
            format!(
                "Редът има {actual} {}, а файлът има {limit} {}; излишните клетки съдържат данни, така че редът може да е изместен (разделител без кавички?).",
                cells(actual),
                plural(limit, "колона", "колони")
            )
        }
        ErrorCode::EmptyFile => "Файлът е празен: в него няма редове за внасяне.".into(),
        ErrorCode::BinaryFile => match p.detail? {
            Detail::BinaryData => {
                "Този файл не е текстов CSV файл: съдържа двоични данни (NUL или управляващи байтове).".into()
            }
            d => format!(
                "Този файл не е текстов CSV файл: прилича на {}.",
                binary_kind(d, Lang::Bg)
            ),
        },
        ErrorCode::UnknownEncoding => format!(
            "„{}“ не е известно име на кодировка (опитайте utf-8, windows-1251 или windows-1252).",
            value?
        ),
        ErrorCode::InvalidDelimiter => {
            "Разделителят трябва да е препинателен знак или табулация, например , ; | или табулация.".into()
        }
    })
}

fn invalid_email_why_bg(why: Detail) -> &'static str {
    match why {
        Detail::HasSpaces => "съдържа интервали",
        Detail::NoAt => "в него няма @",
        Detail::NothingBeforeAt => "преди @ няма нищо",
        Detail::NoDomain => "след @ няма домейн",
        Detail::MisplacedDot => "частта преди @ има точка на неправилно място",
        Detail::SeveralAt => "съдържа повече от едно @",
        Detail::BadLocalCharacters => "частта преди @ съдържа непозволени знаци",
        Detail::DomainWithoutDot => "домейнът няма точка (като example.com)",
        Detail::DomainEndsInNumber => "домейнът завършва с число",
        _ => "домейнът не е валидно име на домейн",
    }
}

/// What a binary file looks like (a `binary_file`'s detail).
fn binary_kind(d: Detail, lang: Lang) -> &'static str {
    match (lang, d) {
        (Lang::En, Detail::Xlsx) => {
            "an Excel workbook or a ZIP archive (.xlsx/.zip): save it as CSV first"
        }
        (Lang::En, Detail::Xls) => "an old Excel workbook (.xls): save it as CSV first",
        (Lang::En, Detail::Pdf) => "a PDF document",
        (Lang::En, Detail::Png) => "a PNG image",
        (Lang::En, Detail::Jpeg) => "a JPEG image",
        (Lang::En, Detail::Gif) => "a GIF image",
        (Lang::En, Detail::Gzip) => "a gzip archive",
        (Lang::En, Detail::Sqlite) => "an SQLite database",
        (Lang::En, _) => "binary data",
        (Lang::Bg, Detail::Xlsx) => {
            "работна книга на Excel или ZIP архив (.xlsx/.zip): първо го запазете като CSV"
        }
        (Lang::Bg, Detail::Xls) => {
            "стара работна книга на Excel (.xls): първо го запазете като CSV"
        }
        (Lang::Bg, Detail::Pdf) => "PDF документ",
        (Lang::Bg, Detail::Png) => "PNG изображение",
        (Lang::Bg, Detail::Jpeg) => "JPEG изображение",
        (Lang::Bg, Detail::Gif) => "GIF изображение",
        (Lang::Bg, Detail::Gzip) => "gzip архив",
        (Lang::Bg, Detail::Sqlite) => "база данни SQLite",
        (Lang::Bg, _) => "двоични данни",
    }
}

/// A Bulgarian sentence for a code whose params did not come.
fn general_bg(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::MissingEmail => "Имейлът е задължителен, а този ред няма имейл.",
        ErrorCode::InvalidEmail => "Имейлът не е валиден адрес.",
        ErrorCode::EmailTooLong => "Имейлът е твърде дълъг.",
        ErrorCode::InvalidAcceptsMarketing => {
            "Съгласието за маркетинг трябва да е „да“, „не“ или празно."
        }
        ErrorCode::FieldTooLong => "Стойността е твърде дълга.",
        ErrorCode::TooManyColumns => "Редът има твърде много клетки.",
        ErrorCode::UnbalancedQuote => "Кавичка на този ред не е затворена.",
        ErrorCode::InvalidEncoding => {
            "Стойността съдържа байтове, невалидни в кодировката на файла."
        }
        ErrorCode::DuplicateEmail => "Имейлът се среща отново по-надолу; внася се по-късният ред.",
        ErrorCode::RaggedRow => "Редът има повече клетки с данни от колоните на файла.",
        ErrorCode::EmptyFile => "Файлът е празен: в него няма редове за внасяне.",
        ErrorCode::BinaryFile => "Този файл не е текстов CSV файл.",
        ErrorCode::UnknownEncoding => "Кодировката не е известна.",
        ErrorCode::InvalidDelimiter => "Разделителят не може да се използва.",
    }
}

#[cfg(test)]
mod tests;
