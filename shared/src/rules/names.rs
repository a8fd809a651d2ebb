//! Full names split into first and last and joined back. Invariant: pure string functions
//! over cleaned text, no validation.

/// Joins first and last name into a full name.
pub fn join_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (true, true) => String::new(),
        (false, true) => first.to_string(),
        (true, false) => last.to_string(),
        (false, false) => format!("{first} {last}"),
    }
}

/// Splits a cleaned full name into (first, last): `"Petrov, Ivan"` -> (`Ivan`, `Petrov`);
/// otherwise the first word is the first name and the rest the last name
/// (`"Ivan Petrov Ivanov"` -> (`Ivan`, `Petrov Ivanov`)); one word is a first name.
pub fn split_full_name(full: &str) -> (&str, &str) {
    let full = full.trim();
    if let Some((last, first)) = full.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        if !first.is_empty() && !last.is_empty() && !first.contains(',') {
            return (first, last);
        }
    }
    match full.split_once(' ') {
        Some((first, last)) => (first.trim(), last.trim()),
        None => (full, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn names() {
        assert_eq!(split_full_name("Ivan Petrov"), ("Ivan", "Petrov"));
        assert_eq!(
            split_full_name("Ivan Petrov Ivanov"),
            ("Ivan", "Petrov Ivanov")
        );
        assert_eq!(split_full_name("Petrov, Ivan"), ("Ivan", "Petrov"));
        assert_eq!(split_full_name("Cher"), ("Cher", ""));
        assert_eq!(join_name("Ivan", ""), "Ivan");
        assert_eq!(join_name("", "Petrov"), "Petrov");
    }
}
