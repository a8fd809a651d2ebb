//! What a name or password an admin chooses must be: one rule each for the REST API and the
//! command line, so a value refused by one door is refused by the other. The API maps a
//! [`RuleError`] to 422 with [`RuleError::code`]; the CLI prints its message and exits
//! non-zero. (An import's file name has its rule beside the import: `ingest::file_name`.)

/// The longest group name, in characters (also the bound on a group an import's rows name).
pub const MAX_GROUP_NAME_CHARS: usize = shared::rules::MAX_GROUP_CHARS;
/// The longest API token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;
/// The longest user name, in characters (sign-in refuses longer names at the edge).
pub const MAX_USERNAME_CHARS: usize = 255;
/// The shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest mapping profile name, in characters.
pub const MAX_PROFILE_NAME_CHARS: usize = 100;
/// The most headers a mapping profile keeps (the reader's column limit).
pub const MAX_PROFILE_HEADERS: usize = 1000;
/// The longest header a mapping profile keeps, in characters.
pub const MAX_PROFILE_HEADER_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error(
        "A group name must have 1 to 100 characters, not all spaces, and no control characters."
    )]
    GroupName,
    #[error(
        "A token needs a name of 1 to 100 characters, not all spaces, and no control characters."
    )]
    TokenName,
    #[error(
        "A user name must have 1 to 255 characters, without spaces, line breaks or other \
         control characters."
    )]
    Username,
    #[error("A password needs at least 8 characters.")]
    Password,
    #[error(
        "A profile needs a name of 1 to 100 characters, not all spaces, and no control characters."
    )]
    ProfileName,
    #[error(
        "A profile keeps 1 to 1,000 headers of at most 1,000 characters each, without control \
         characters, not all blank, and maps only those headers."
    )]
    ProfileHeaders,
}

impl RuleError {
    /// The contract's error code for this refusal.
    pub fn code(self) -> &'static str {
        match self {
            RuleError::GroupName | RuleError::TokenName | RuleError::ProfileName => "invalid_name",
            RuleError::ProfileHeaders => "invalid_profile",
            RuleError::Username => "invalid_username",
            RuleError::Password => "invalid_password",
        }
    }
}

/// A group name as stored (trimmed), if `raw` is one (see [`display_name`]).
pub fn group_name(raw: &str) -> Result<&str, RuleError> {
    display_name(raw, MAX_GROUP_NAME_CHARS).ok_or(RuleError::GroupName)
}

/// A mapping profile's name as stored (trimmed), if `raw` is one (see [`display_name`]).
pub fn profile_name(raw: &str) -> Result<&str, RuleError> {
    display_name(raw, MAX_PROFILE_NAME_CHARS).ok_or(RuleError::ProfileName)
}

/// The headers a mapping profile is made for and its mapping by header: bounded, no control
/// characters (a tab is one: headers are cells of one line), and every key one of the
/// headers (compared as a mapping by name compares them), so that it can apply.
pub fn profile_headers<'a>(
    headers: &[String],
    mapping_keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), RuleError> {
    let fits =
        |h: &str| h.chars().count() <= MAX_PROFILE_HEADER_CHARS && !h.chars().any(char::is_control);
    let ok = (1..=MAX_PROFILE_HEADERS).contains(&headers.len())
        && headers.iter().all(|h| fits(h))
        && headers.iter().any(|h| !h.trim().is_empty());
    let known = |key: &str| {
        let key = key.trim().to_lowercase();
        headers.iter().any(|h| h.trim().to_lowercase() == key)
    };
    let mut keys = mapping_keys.into_iter();
    if ok && keys.all(known) {
        Ok(())
    } else {
        Err(RuleError::ProfileHeaders)
    }
}

/// An API token name as stored (trimmed), if `raw` is one (see [`display_name`]).
pub fn token_name(raw: &str) -> Result<&str, RuleError> {
    display_name(raw, MAX_TOKEN_NAME_CHARS).ok_or(RuleError::TokenName)
}

/// A name shown and exported (a group's, a token's), trimmed, if `raw` is one: at most
/// `max` characters as sent (the OpenAPI document's maxLength counts them so), not all
/// white space, and no control characters (PostgreSQL refuses NUL).
fn display_name(raw: &str, max: usize) -> Option<&str> {
    let name = raw.trim();
    let ok = !name.is_empty() && raw.chars().count() <= max && !raw.chars().any(char::is_control);
    ok.then_some(name)
}

/// A new user's name: 1 to [`MAX_USERNAME_CHARS`] characters with no whitespace or control
/// characters. Not trimmed but refused: sign-in compares names exactly, so a name kept with
/// a stray space or line break could never be typed, and one silently trimmed would differ
/// from what was asked for.
pub fn username(raw: &str) -> Result<&str, RuleError> {
    let clean = !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    bounded(raw, MAX_USERNAME_CHARS)
        .filter(|_| clean)
        .ok_or(RuleError::Username)
}

/// A new password: at least [`MIN_PASSWORD_CHARS`] characters (the first admin's from
/// `INTAKE_ADMIN_PASSWORD` as much as `intake user create`'s).
pub fn password(raw: &str) -> Result<&str, RuleError> {
    if raw.chars().count() < MIN_PASSWORD_CHARS {
        return Err(RuleError::Password);
    }
    Ok(raw)
}

fn bounded(s: &str, max_chars: usize) -> Option<&str> {
    (!s.is_empty() && s.chars().count() <= max_chars).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_and_token_names_are_trimmed_and_bounded() {
        assert_eq!(group_name("  VIP "), Ok("VIP"));
        assert_eq!(group_name(&"я".repeat(100)), Ok("я".repeat(100).as_str()));
        assert_eq!(token_name(" ci "), Ok("ci"));
        for bad in ["", "   ", &"a".repeat(101), &"a".repeat(1_000)] {
            assert_eq!(group_name(bad), Err(RuleError::GroupName), "{bad:?}");
        }
        for bad in ["", " \n", &"a".repeat(101), &"a".repeat(10_000)] {
            assert_eq!(token_name(bad), Err(RuleError::TokenName), "{bad:?}");
        }
    }

    #[test]
    fn user_names_are_refused_with_whitespace_or_control_characters() {
        assert_eq!(username("admin"), Ok("admin"));
        assert_eq!(username("ана.petrova@shop"), Ok("ана.petrova@shop"));
        assert_eq!(username(&"b".repeat(255)), Ok("b".repeat(255).as_str()));
        for bad in [
            "",
            "ad min\n",
            "ad min",
            " admin",
            "admin\n",
            "a\0b",
            "a\u{7f}b",
            "a\u{a0}b",
            &"b".repeat(256),
        ] {
            assert_eq!(username(bad), Err(RuleError::Username), "{bad:?}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert_eq!(password("a"), Err(RuleError::Password));
        assert_eq!(password(""), Err(RuleError::Password));
        assert_eq!(password("1234567"), Err(RuleError::Password));
        assert_eq!(password("12345678"), Ok("12345678"));
        // Characters, not bytes: seven Cyrillic letters are 14 bytes but too short.
        assert_eq!(password("паролаx"), Err(RuleError::Password));
    }

    #[test]
    fn each_refusal_has_the_contract_code() {
        assert_eq!(RuleError::GroupName.code(), "invalid_name");
        assert_eq!(RuleError::TokenName.code(), "invalid_name");
        assert_eq!(RuleError::Username.code(), "invalid_username");
        assert_eq!(RuleError::Password.code(), "invalid_password");
    }

    #[test]
    fn a_display_name_is_bounded_as_sent_not_blank_and_free_of_control_characters() {
        assert_eq!(display_name("  VIP ", 100), Some("VIP"));
        let long = "я".repeat(100);
        assert_eq!(display_name(&long, 100), Some(long.as_str()));
        assert_eq!(display_name(&format!(" {} ", "a".repeat(99)), 100), None);
        for bad in [
            "",
            "   ",
            "\u{3000}\u{a0}",
            "a\0b",
            "a\nb",
            "\u{85}x",
            "x\u{1f}",
        ] {
            assert_eq!(display_name(bad, 100), None, "{bad:?}");
        }
    }
}
