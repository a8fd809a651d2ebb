//! `intake import`'s value mapping: `--value-map FILE.json` (the API's `values` object),
//! then each `--consent-value VALUE=yes|no|error` and `--group-value VALUE=GROUP` laid over
//! it (a flag's value replaces the file's for the same value).

use shared::settings::{ConsentChoice, ValueMap};

/// The value mapping the flags give; a message naming the flag when one is malformed.
pub fn value_map(
    file_json: Option<&str>,
    consent: &[String],
    group: &[String],
) -> Result<ValueMap, String> {
    let mut map = match file_json {
        None => ValueMap::default(),
        Some(json) => serde_json::from_str::<serde_json::Value>(json)
            .and_then(|v| {
                if v.is_object() {
                    serde_json::from_value::<ValueMap>(v)
                } else {
                    Err(serde::de::Error::custom("not a JSON object"))
                }
            })
            .map_err(|e| {
            format!(
                "--value-map: not a value mapping ({{\"accepts_marketing\": {{VALUE: \"yes\"|\"no\"|\"error\"}}, \"customer_group\": {{VALUE: GROUP}}}}): {e}"
            )
        })?,
    };
    for flag in consent {
        // The choice has no `=`: the value is everything before the last one.
        let (value, choice) = flag.rsplit_once('=').ok_or_else(|| {
            format!("--consent-value {flag}: use VALUE=yes, VALUE=no or VALUE=error")
        })?;
        let choice = ConsentChoice::parse(choice).ok_or_else(|| {
            format!("--consent-value {flag}: the meaning must be yes, no or error, not {choice:?}")
        })?;
        let list = &mut map.accepts_marketing.0;
        list.retain(|(v, _)| v != value);
        list.push((value.to_owned(), choice));
    }
    for flag in group {
        // A value holding `=` is given in --value-map: the value ends at the first one.
        let (value, name) = flag
            .split_once('=')
            .ok_or_else(|| format!("--group-value {flag}: use VALUE=GROUP"))?;
        let list = &mut map.customer_group.0;
        list.retain(|(v, _)| v != value);
        list.push((value.to_owned(), name.to_owned()));
    }
    map.check().map_err(|e| format!("--group-value: {e}"))?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_lay_over_the_file() {
        let map = value_map(
            Some(r#"{"accepts_marketing":{"maybe":"no"},"customer_group":{"Gold":"VIP"}}"#),
            &["maybe=yes".into(), "a=b=error".into()],
            &["Silver=Regular".into(), "x=y=z".into()],
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            r#"{"accepts_marketing":{"maybe":"yes","a=b":"error"},"customer_group":{"Gold":"VIP","Silver":"Regular","x":"y=z"}}"#
        );
        for (consent, group) in [
            (vec!["maybe".to_owned()], vec![]),
            (vec!["maybe=perhaps".to_owned()], vec![]),
            (vec![], vec!["Gold".to_owned()]),
            (vec![], vec!["Gold= ".to_owned()]),
        ] {
            assert!(
                value_map(None, &consent, &group).is_err(),
                "{consent:?} {group:?}"
            );
        }
        assert!(value_map(Some("[]"), &[], &[]).is_err());
        assert_eq!(value_map(None, &[], &[]).unwrap(), ValueMap::default());
    }
}
