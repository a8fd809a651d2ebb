//! Mapping profiles: a mapping by header name saved on the server, under a name and the
//! fingerprint of the header line it was made for, so that the next file with the same
//! headers (this month's export from the same system) is mapped the same way, by whoever
//! brings it and through whichever door (browser, API, CLI).

use super::Detection;
use super::choices::NamedMapping;

/// The fingerprint of a header line: FNV-1a (64 bits, hex) of its headers, each trimmed
/// and lower-cased (as a mapping by name compares them), sorted. The order of the columns
/// does not matter, since a profile maps by header name; `None` without headers.
pub fn fingerprint<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut keys: Vec<String> = headers
        .into_iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if keys.iter().all(String::is_empty) {
        return None;
    }
    keys.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for key in &keys {
        // Each header ends with a separator no header holds, so ["ab"] and ["a", "b"] differ.
        for b in key.bytes().chain([0x1f]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Some(format!("{hash:016x}"))
}

/// The fingerprint of a detected file's header line (`None` without a header).
pub fn fingerprint_of(detection: &Detection) -> Option<String> {
    if !detection.has_header {
        return None;
    }
    fingerprint(
        detection
            .columns
            .iter()
            .map(|c| c.header.as_deref().unwrap_or("")),
    )
}

/// The saved mapping for a detected file, if one of `profiles` (fingerprint, mapping; the
/// most recently saved first) was made for the same headers.
pub fn matching_profile<'p>(
    detection: &Detection,
    profiles: &'p [(String, NamedMapping)],
) -> Option<&'p NamedMapping> {
    let print = fingerprint_of(detection)?;
    profiles
        .iter()
        .find(|(p, _)| *p == print)
        .map(|(_, mapping)| mapping)
}

/// A column mapping with a profile's mapping (by header) laid over `current`: a column
/// whose header the profile names gets the profile's target (or none); the rest keep theirs.
pub fn by_header<'a>(
    headers: impl IntoIterator<Item = &'a str>,
    current: &[Option<super::Target>],
    saved: &NamedMapping,
) -> Vec<Option<super::Target>> {
    let saved: Vec<(String, Option<super::Target>)> = saved
        .0
        .iter()
        .map(|(k, t)| (k.trim().to_lowercase(), *t))
        .collect();
    headers
        .into_iter()
        .zip(current)
        .map(|(h, now)| {
            let key = h.trim().to_lowercase();
            saved
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(*now, |(_, t)| *t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Target, detect};
    use crate::settings::ReadSettings;

    #[test]
    fn the_same_headers_in_any_order_case_or_spacing_have_one_fingerprint() {
        let a = fingerprint(["Email", "First Name", "Last Name"]).unwrap();
        assert_eq!(a.len(), 16);
        assert_eq!(
            fingerprint([" last name", "EMAIL ", "first name"]).unwrap(),
            a
        );
        assert_ne!(fingerprint(["Email", "First Name"]).unwrap(), a);
        assert_ne!(fingerprint(["ab"]), fingerprint(["a", "b"]));
        assert_eq!(fingerprint(["", " "]), None);
        assert_eq!(fingerprint(Vec::<&str>::new()), None);
    }

    #[test]
    fn a_file_finds_the_profile_made_for_its_headers_only() {
        let settings = ReadSettings::default();
        let file = detect(b"E-mail,Vorname,Tax1\na@b.bg,Ana,Y\n", &settings);
        let other = detect(b"E-mail,Vorname\na@b.bg,Ana\n", &settings);
        let headerless = detect(b"a@b.bg,Ana,Y\nc@d.bg,Bob,N\n", &settings);
        let saved = NamedMapping(vec![
            ("Tax1".into(), None),
            ("Vorname".into(), Some(Target::FirstName)),
        ]);
        let print = fingerprint(["tax1", "vorname", "e-mail"]).unwrap();
        let profiles = vec![
            (fingerprint(["x"]).unwrap(), NamedMapping::default()),
            (print, saved.clone()),
        ];
        assert_eq!(matching_profile(&file, &profiles), Some(&saved));
        assert_eq!(matching_profile(&other, &profiles), None);
        assert!(!headerless.has_header || matching_profile(&headerless, &profiles).is_none());
    }

    #[test]
    fn a_profile_sets_the_columns_it_names_and_leaves_the_rest() {
        let saved = NamedMapping(vec![
            ("code ".to_owned(), Some(Target::FirstName)),
            ("Name".to_owned(), None),
        ]);
        let current = [Some(Target::FullName), Some(Target::Email), None];
        assert_eq!(
            by_header(["NAME", "Email", " Code"], &current, &saved),
            [None, Some(Target::Email), Some(Target::FirstName)]
        );
    }
}
