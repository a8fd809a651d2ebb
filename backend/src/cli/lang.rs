//! The language of the messages the command line prints about rows: `--lang en|bg`, else
//! the locale's (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first set, as POSIX orders them), else
//! English.

use shared::messages::Lang;

/// `--lang`: `en` or `bg`.
pub(super) fn parse_lang(s: &str) -> Result<Lang, String> {
    match s {
        "en" => Ok(Lang::En),
        "bg" => Ok(Lang::Bg),
        _ => Err(format!("use en or bg, not {s}")),
    }
}

/// The language for `flag` (the `--lang` given, if any) and the environment `var` reads.
pub(super) fn choose(flag: Option<Lang>, var: impl Fn(&str) -> Option<String>) -> Lang {
    flag.unwrap_or_else(|| {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| var(k))
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::parse(&v))
            .unwrap_or(Lang::En)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_locale_then_english() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_owned())
        };
        assert_eq!(
            choose(Some(Lang::En), env(&[("LANG", "bg_BG.UTF-8")])),
            Lang::En
        );
        assert_eq!(choose(None, env(&[("LANG", "bg_BG.UTF-8")])), Lang::Bg);
        assert_eq!(
            choose(None, env(&[("LC_ALL", "C"), ("LANG", "bg_BG.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            choose(None, env(&[("LC_ALL", ""), ("LANG", "bg_BG")])),
            Lang::Bg
        );
        assert_eq!(choose(None, env(&[("LANG", "C.UTF-8")])), Lang::En);
        assert_eq!(choose(None, env(&[])), Lang::En);
        assert_eq!(parse_lang("bg"), Ok(Lang::Bg));
        assert!(parse_lang("de").is_err());
    }
}
