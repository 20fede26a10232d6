//! How a segment's records were read, kept in its manifest entry so that `index rekey` and
//! `index add-audit` read its sources again the same way.
//!
//! The recipe is part of the committed manifest entry, so its JSON must stay byte for byte
//! what earlier versions wrote. Those wrote four shapes, always with the keys in this order:
//! `{}` (a job without read options), `{"audit":true}` (that, after `index add-audit`),
//! `{"map":…,"default_region":…,"encoding":…,"query":…}` (the CLI before audit sets) and the
//! same with `"audit"` last (the CLI today, or the earlier one after `add-audit`). So every
//! key is optional, and a key written as `null` stays `null`: a field is absent (`None`)
//! or recorded (`Some`, its value perhaps none). A key no version wrote is refused, as
//! everywhere in the manifest.
use serde::{Deserialize, Serialize};

/// How a segment's records were read: the column map, the default phone region, the
/// forced encoding, the database query and whether an audit set is made (see the module
/// documentation for why every field may be absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    map: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "recorded")]
    default_region: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "recorded")]
    encoding: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "recorded")]
    query: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit: Option<bool>,
}

impl Recipe {
    /// The recipe of a build that names how it reads (the CLI's `index build`): every key
    /// recorded, `map` as `COLUMN=ROLE` strings, a missing option as `null`.
    pub fn read(
        map: Vec<String>,
        default_region: Option<String>,
        encoding: Option<String>,
        query: Option<String>,
        audit: bool,
    ) -> Recipe {
        Recipe {
            map: Some(map),
            default_region: Some(default_region),
            encoding: Some(encoding),
            query: Some(query),
            audit: Some(audit),
        }
    }

    /// The column map (`COLUMN=ROLE`), empty when none was recorded.
    pub fn map(&self) -> &[String] {
        self.map.as_deref().unwrap_or_default()
    }

    /// The default phone region (ISO 3166 alpha-2), if one was given.
    pub fn default_region(&self) -> Option<&str> {
        self.default_region.as_ref().and_then(Option::as_deref)
    }

    /// The forced text encoding (WHATWG label), if one was given.
    pub fn encoding(&self) -> Option<&str> {
        self.encoding.as_ref().and_then(Option::as_deref)
    }

    /// The database query the records came from, if they came from one.
    pub fn query(&self) -> Option<&str> {
        self.query.as_ref().and_then(Option::as_deref)
    }

    /// Whether the segment's build makes an audit set (and a rebuild makes it again).
    pub fn audit(&self) -> bool {
        self.audit == Some(true)
    }

    /// Records that the segment has an audit set (`index add-audit`), so that `index rekey`
    /// makes it again. The key is written last, where earlier versions put it.
    pub fn set_audit(&mut self) {
        self.audit = Some(true);
    }
}

/// A key that is present in the JSON, its value perhaps `null`: `Some(None)` reads and
/// writes as `null`; `None` is skipped by `skip_serializing_if` and is the `default`.
mod recorded {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        v: &Option<Option<String>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(Option::as_ref).serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape an earlier version wrote reads back and writes again byte for byte.
    #[test]
    fn recorded_recipes_write_back_unchanged() {
        for text in [
            r#"{}"#,
            r#"{"audit":true}"#,
            r#"{"map":[],"default_region":null,"encoding":null,"query":null}"#,
            r#"{"map":["mail=email","2=phone"],"default_region":"DE","encoding":"windows-1252","query":"SELECT * FROM crm","audit":false}"#,
            r#"{"map":[],"default_region":null,"encoding":null,"query":null,"audit":true}"#,
        ] {
            let r: Recipe = serde_json::from_str(text).expect(text);
            assert_eq!(serde_json::to_string(&r).expect("json"), text);
        }
        assert!(serde_json::from_str::<Recipe>(r#"{"columns":[]}"#).is_err());
        let none: Option<Recipe> = serde_json::from_str("null").expect("null");
        assert_eq!(none, None);
    }

    /// The CLI's recipe is what it wrote as an untyped JSON value before.
    #[test]
    fn a_read_recipe_is_the_json_the_cli_wrote() {
        let map = vec!["mail=email".to_owned()];
        for (region, encoding, query, audit) in [
            (None, None, None, false),
            (Some("DE"), Some("utf-8"), Some("SELECT 1"), true),
        ] {
            let old = serde_json::json!({
                "map": map,
                "default_region": region,
                "encoding": encoding,
                "query": query,
                "audit": audit,
            });
            let new = Recipe::read(
                map.clone(),
                region.map(str::to_owned),
                encoding.map(str::to_owned),
                query.map(str::to_owned),
                audit,
            );
            assert_eq!(
                serde_json::to_string(&new).expect("json"),
                serde_json::to_string(&old).expect("json")
            );
            assert_eq!(
                serde_json::to_string_pretty(&new).expect("json"),
                serde_json::to_string_pretty(&old).expect("json")
            );
            assert_eq!(
                (new.default_region(), new.query(), new.audit()),
                (region, query, audit)
            );
        }
        // add-audit: appended to an empty recipe, replaced in place in a full one.
        let mut empty = Recipe::default();
        empty.set_audit();
        assert_eq!(
            serde_json::to_string(&empty).expect("json"),
            r#"{"audit":true}"#
        );
        let mut old: Recipe = serde_json::from_str(
            r#"{"map":[],"default_region":null,"encoding":null,"query":null}"#,
        )
        .expect("old");
        old.set_audit();
        assert_eq!(
            serde_json::to_string(&old).expect("json"),
            r#"{"map":[],"default_region":null,"encoding":null,"query":null,"audit":true}"#
        );
    }
}
