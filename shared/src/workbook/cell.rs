//! One cell's value as the text a person sees in Excel (see the module docs of
//! [`workbook`](super) for the rules).

use std::fmt::Write;

use calamine::{Data, DataRef, ExcelDateTime};

/// A cell's value, borrowed from either of calamine's two cell types.
pub(super) enum Value<'a> {
    Int(i64),
    Float(f64),
    Text(&'a str),
    Bool(bool),
    Date(ExcelDateTime),
    /// An ODS date or time, ISO 8601 (`2024-03-01`, `2024-03-01T10:30:00`).
    Iso(&'a str),
    /// Nothing to write (empty or an error cell).
    Empty,
}

impl<'a> From<&'a Data> for Value<'a> {
    fn from(d: &'a Data) -> Self {
        match d {
            Data::Int(i) => Value::Int(*i),
            Data::Float(f) => Value::Float(*f),
            Data::String(s) => Value::Text(s),
            Data::Bool(b) => Value::Bool(*b),
            Data::DateTime(d) => Value::Date(*d),
            Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Iso(s),
            Data::Error(_) | Data::Empty => Value::Empty,
        }
    }
}

impl<'a> From<&'a DataRef<'a>> for Value<'a> {
    fn from(d: &'a DataRef<'a>) -> Self {
        match d {
            DataRef::Int(i) => Value::Int(*i),
            DataRef::Float(f) => Value::Float(*f),
            DataRef::String(s) => Value::Text(s),
            DataRef::SharedString(s) => Value::Text(s),
            DataRef::Bool(b) => Value::Bool(*b),
            DataRef::DateTime(d) => Value::Date(*d),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Iso(s),
            DataRef::Error(_) | DataRef::Empty => Value::Empty,
        }
    }
}

/// Appends the cell's text to `out`.
pub(super) fn write_value(v: &Value<'_>, out: &mut String) {
    match v {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_number(*f, out),
        Value::Text(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Value::Date(d) => write_date(d, out),
        Value::Iso(s) => out.push_str(&s.replacen('T', " ", 1)),
        Value::Empty => {}
    }
}

/// Rust's `Display` for `f64` is the shortest decimal that reads back as the same number,
/// never in exponent form, and without `.0` for whole numbers: `1234567890123`, `0.1`,
/// `1e20` as `100000000000000000000`. Excel stores every number (a phone or ID typed as a
/// number too) as a double.
fn write_number(f: f64, out: &mut String) {
    if f == 0.0 {
        // -0 is 0 to a person.
        out.push('0');
    } else if f.is_finite() {
        let _ = write!(out, "{f}");
    }
}

/// A date as `YYYY-MM-DD`, with ` HH:MM` (` HH:MM:SS` when there are seconds) only when
/// there is a time of day; a time alone (a serial below one day) as `HH:MM[:SS]`; a
/// duration (`[h]:mm:ss`) as hours, minutes and seconds.
fn write_date(d: &ExcelDateTime, out: &mut String) {
    let serial = d.as_f64();
    if d.is_duration() {
        let secs = (serial * 86_400.0).round() as i64;
        let sign = if secs < 0 { "-" } else { "" };
        let secs = secs.abs();
        let _ = write!(
            out,
            "{sign}{}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        return;
    }
    let (y, mo, day, h, mi, s, milli) = d.to_ymd_hms_milli();
    // Excel shows whole seconds: 12:00:59.6 is 12:01:00.
    let (h, mi, s) = if milli >= 500 {
        carry_second(h, mi, s)
    } else {
        (h, mi, s)
    };
    let time_only = (0.0..1.0).contains(&serial);
    if !time_only {
        let _ = write!(out, "{y:04}-{mo:02}-{day:02}");
        if (h, mi, s) == (0, 0, 0) {
            return;
        }
        out.push(' ');
    }
    let _ = write!(out, "{h:02}:{mi:02}");
    if s != 0 {
        let _ = write!(out, ":{s:02}");
    }
}

/// One second more, within the day (23:59:59.6 stays 23:59:59: the date is not moved).
fn carry_second(h: u8, mi: u8, s: u8) -> (u8, u8, u8) {
    match (h, mi, s) {
        (23, 59, 59) => (23, 59, 59),
        (h, 59, 59) => (h + 1, 0, 0),
        (h, mi, 59) => (h, mi + 1, 0),
        (h, mi, s) => (h, mi, s + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    fn text(v: Value<'_>) -> String {
        let mut s = String::new();
        write_value(&v, &mut s);
        s
    }

    fn date(serial: f64) -> String {
        text(Value::Date(ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            false,
        )))
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn numbers_read_as_a_person_sees_them() {
        assert_eq!(text(Value::Float(1234567890123.0)), "1234567890123");
        assert_eq!(text(Value::Float(359888123456.0)), "359888123456");
        assert_eq!(text(Value::Float(1e20)), "100000000000000000000");
        assert_eq!(text(Value::Float(0.1)), "0.1");
        assert_eq!(text(Value::Float(2.5)), "2.5");
        assert_eq!(text(Value::Float(-0.0)), "0");
        assert_eq!(text(Value::Float(42.0)), "42");
        assert_eq!(text(Value::Int(-7)), "-7");
        assert_eq!(text(Value::Bool(true)), "TRUE");
        assert_eq!(text(Value::Bool(false)), "FALSE");
        assert_eq!(text(Value::Empty), "");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dates_are_iso_never_serial_numbers() {
        // 45366 is 2024-03-15 in the 1900 system.
        assert_eq!(date(45366.0), "2024-03-15");
        assert_eq!(date(45366.5), "2024-03-15 12:00");
        assert_eq!(
            date(45366.0 + (12.0 * 3600.0 + 34.0 * 60.0 + 56.0) / 86400.0),
            "2024-03-15 12:34:56"
        );
        assert_eq!(date(0.75), "18:00");
        let d1904 = ExcelDateTime::new(43904.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(text(Value::Date(d1904)), "2024-03-15");
        let dur = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(text(Value::Date(dur)), "36:00:00");
        assert_eq!(
            text(Value::Iso("2024-03-15T10:30:00")),
            "2024-03-15 10:30:00"
        );
        assert_eq!(carry_second(10, 59, 59), (11, 0, 0));
    }
}
