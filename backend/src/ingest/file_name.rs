//! The name an import is listed under: one rule for the JSON route, the raw upload and the
//! command line. The name is shown in lists and written into `errors.csv` headers, so it is
//! trimmed, bounded and free of control characters (NUL, line breaks).

/// The longest name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("file_name must have 1 to 255 characters.")]
    Length,
    #[error("file_name may not hold control characters (NUL, line breaks, tabs).")]
    Control,
}

/// The name as stored: `raw` trimmed, if it is a valid name.
pub fn file_name(raw: &str) -> Result<String, FileNameError> {
    let name = raw.trim();
    // The length as sent, as the OpenAPI document's maxLength counts it.
    if name.is_empty() || raw.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(FileNameError::Length);
    }
    if name.chars().any(char::is_control) {
        return Err(FileNameError::Control);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(file_name("  shop.csv "), Ok("shop.csv".into()));
        assert_eq!(file_name(&"я".repeat(255)), Ok("я".repeat(255)));
        assert_eq!(file_name(""), Err(FileNameError::Length));
        assert_eq!(file_name("   "), Err(FileNameError::Length));
        assert_eq!(file_name(&"a".repeat(256)), Err(FileNameError::Length));
        let padded = format!(" {} ", "a".repeat(254));
        assert_eq!(file_name(&padded), Err(FileNameError::Length));
        assert_eq!(file_name(&"a".repeat(65_000)), Err(FileNameError::Length));
        for bad in ["a\0b.csv", "a\r\nb.csv", "a\nb", "a\tb"] {
            assert_eq!(file_name(bad), Err(FileNameError::Control), "{bad:?}");
        }
    }
}
