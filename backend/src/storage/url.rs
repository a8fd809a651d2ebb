//! Which engine a `--database-url` names. SQLite takes `sqlite:` URLs and plain file paths,
//! PostgreSQL `postgres://` and `postgresql://`; any other scheme is refused, not taken for
//! a SQLite file name (`mysql://x` used to create a file `x` in a directory `mysql:`).

/// A database URL whose engine is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// What sqlx's SQLite options parse: `sqlite:...` or a plain path.
    Sqlite(String),
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("the database URL is empty: use sqlite://PATH, a file path, or postgres://...")]
    Empty,
    #[error(
        "the database URL scheme {0}: is not supported: use sqlite://PATH, a file path, or \
         postgres://..."
    )]
    Scheme(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DatabaseUrlError> {
        if url.trim().is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        let Some(scheme) = scheme_of(url) else {
            return Ok(Self::Sqlite(url.to_owned()));
        };
        let rest = &url[scheme.len()..];
        match scheme.to_ascii_lowercase().as_str() {
            // sqlx strips the prefix only when it is written in lower case.
            "sqlite" => Ok(Self::Sqlite(format!("sqlite{rest}"))),
            "postgres" | "postgresql" => Ok(Self::Postgres(url.to_owned())),
            _ => Err(DatabaseUrlError::Scheme(scheme.to_owned())),
        }
    }

    /// The URL as the engine's driver takes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sqlite(u) | Self::Postgres(u) => u,
        }
    }
}

/// The URL's scheme, if it starts with one: RFC 3986's `ALPHA *( ALPHA / DIGIT / "+" / "-" /
/// "." ) ":"`, of two characters or more so that a Windows drive (`C:\data\intake.db`) is a
/// path.
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let starts_alpha = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (starts_alpha && rest_ok && scheme.len() >= 2).then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_and_plain_paths_are_sqlite() {
        for url in [
            "sqlite://data/intake.db",
            "sqlite:data/intake.db",
            "sqlite::memory:",
            "data/intake.db",
            "/var/lib/intake/intake.db",
            "intake.db",
            r"C:\data\intake.db",
            "./a:b.db",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Sqlite(url.into())),
                "{url}"
            );
        }
        assert_eq!(
            DatabaseUrl::parse("SQLite://x.db"),
            Ok(DatabaseUrl::Sqlite("sqlite://x.db".into()))
        );
    }

    #[test]
    fn postgres_urls_are_postgres() {
        for url in [
            "postgres://intake@127.0.0.1:5432/intake",
            "postgresql://u:p@db/intake?sslmode=require",
            "POSTGRES://db/intake",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Postgres(url.into())),
                "{url}"
            );
        }
    }

    #[test]
    fn other_schemes_and_empty_urls_are_refused() {
        for (url, scheme) in [
            ("mysql://x", "mysql"),
            ("mariadb://u@h/db", "mariadb"),
            ("http://example.com/db", "http"),
            ("postgre://db", "postgre"),
            ("file:intake.db", "file"),
        ] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Err(DatabaseUrlError::Scheme(scheme.into())),
                "{url}"
            );
        }
        assert_eq!(DatabaseUrl::parse(""), Err(DatabaseUrlError::Empty));
        assert_eq!(DatabaseUrl::parse("  "), Err(DatabaseUrlError::Empty));
    }
}
