//! Enums the REST contract spells as fixed strings ([`crate::codes::ErrorCode`],
//! [`crate::field::Field`]): reading one back from its string is written once, here.

/// An enum with one contract string per variant.
pub trait WireName: Copy + 'static {
    /// Every variant.
    const VARIANTS: &'static [Self];
    /// What a value is, for the error on an unknown string ("error code", "field").
    const KIND: &'static str;
    fn wire(self) -> &'static str;
}

/// The variant whose string is `s`.
pub fn parse<T: WireName>(s: &str) -> Option<T> {
    T::VARIANTS.iter().copied().find(|v| v.wire() == s)
}

/// Serde's reading of a [`WireName`] through [`parse`]: a derived visitor would repeat the
/// match, over a kilobyte of the parse worker's wasm per enum (the worker reads them in
/// batch answers).
pub fn deserialize<'de, T: WireName, D: serde::Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    parse(&s).ok_or_else(|| serde::de::Error::custom(format_args!("unknown {} {s:?}", T::KIND)))
}
