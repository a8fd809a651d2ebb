//! Whole numbers in JSON bodies. JSON has one number type, and JSON Schema's `integer` counts
//! `130.0` as an integer; serde's integer types refuse it. The request fields the document
//! calls integers read through here, so a body the document allows is not refused for how
//! a number was written; a fraction or a value out of the field's range still is.

use serde::de::{self, Deserializer, Visitor};

struct Whole;

/// A whole number as read: 64-bit halves rather than `i128`, whose arithmetic costs the
/// parse worker's wasm a kilobyte.
enum Num {
    Signed(i64),
    Unsigned(u64),
}

/// 2^64, the first float past `u64::MAX`; 2^63 likewise for `i64`.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

impl Visitor<'_> for Whole {
    type Value = Num;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a whole number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num::Signed(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num::Unsigned(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        if v.fract() != 0.0 || !v.is_finite() {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        } else if (0.0..TWO_64).contains(&v) {
            Ok(Num::Unsigned(v as u64))
        } else if (-TWO_63..0.0).contains(&v) {
            Ok(Num::Signed(v as i64))
        } else {
            Err(E::custom("the number is out of range for this field"))
        }
    }
}

fn in_range<T: TryFrom<i64> + TryFrom<u64>, E: de::Error>(v: Num) -> Result<T, E> {
    match v {
        Num::Signed(n) => T::try_from(n).ok(),
        Num::Unsigned(n) => T::try_from(n).ok(),
    }
    .ok_or_else(|| E::custom("the number is out of range for this field"))
}

/// `#[serde(deserialize_with = "crate::whole::deserialize")]`. Read as `u64` is hinted:
/// serde_json reads any number for that hint and hands it over as it was written (a
/// negative or fractional one too), and the hint keeps out the code for other JSON types.
pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(
    d: D,
) -> Result<T, D::Error> {
    in_range(d.deserialize_u64(Whole)?)
}

/// `#[serde(default, deserialize_with = "crate::whole::option")]`: `null` is `None`.
pub fn option<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    struct MaybeWhole;
    impl<'de> Visitor<'de> for MaybeWhole {
        type Value = Option<Num>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_u64(Whole).map(Some)
        }
    }
    d.deserialize_option(MaybeWhole)?.map(in_range).transpose()
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::deserialize")]
        line: u64,
        #[serde(default, deserialize_with = "super::option")]
        group: Option<i64>,
        #[serde(default, deserialize_with = "super::option")]
        count: Option<u32>,
    }

    fn read(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn whole_numbers_are_read_however_they_are_written() {
        let b = read(r#"{"line": 130.0, "group": -2.0, "count": 7}"#).unwrap();
        assert_eq!((b.line, b.group, b.count), (130, Some(-2), Some(7)));
        let b = read(r#"{"line": 18446744073709551615, "group": null}"#).unwrap();
        assert_eq!((b.line, b.group, b.count), (u64::MAX, None, None));
        assert_eq!(read(r#"{"line": 1e3}"#).unwrap().line, 1000);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fractions_other_types_and_values_out_of_range_are_refused() {
        for bad in [
            r#"{"line": 1.5}"#,
            r#"{"line": -1}"#,
            r#"{"line": "3"}"#,
            r#"{"line": 18446744073709551616}"#,
            r#"{"line": 1, "count": 4294967296}"#,
            r#"{"line": 1, "group": 9223372036854775808}"#,
            r#"{"line": 1, "group": true}"#,
            r#"{"line": 1e300}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
