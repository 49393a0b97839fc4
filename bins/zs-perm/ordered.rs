//! A JSON value that keeps object keys in file order.
//!
//! The map form of rules (`{"write": {"**/*.rs": "allow", "**": "ask"}}`) is
//! evaluated in the order it was written, and `serde_json::Value` (built
//! without `preserve_order`) sorts keys. So zs-perm reads its config section
//! a second time into this type. A duplicate key is kept twice, in order.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum OValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<OValue>),
    Object(Vec<(String, OValue)>),
}

impl OValue {
    /// Builds an ordered value from a plain one (its keys come sorted).
    pub fn from_value(v: &serde_json::Value) -> OValue {
        use serde_json::Value;
        match v {
            Value::Null => OValue::Null,
            Value::Bool(b) => OValue::Bool(*b),
            Value::Number(n) => OValue::Number(n.clone()),
            Value::String(s) => OValue::String(s.clone()),
            Value::Array(a) => OValue::Array(a.iter().map(OValue::from_value).collect()),
            Value::Object(o) => OValue::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), OValue::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// A word for error messages: what kind of value this is.
    pub fn kind(&self) -> &'static str {
        match self {
            OValue::Null => "null",
            OValue::Bool(_) => "a boolean",
            OValue::Number(_) => "a number",
            OValue::String(_) => "a string",
            OValue::Array(_) => "a list",
            OValue::Object(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for OValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OValue, D::Error> {
        d.deserialize_any(OVisitor)
    }
}

struct OVisitor;

impl<'de> Visitor<'de> for OVisitor {
    type Value = OValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<OValue, E> {
        Ok(OValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<OValue, E> {
        Ok(OValue::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<OValue, E> {
        Ok(OValue::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<OValue, E> {
        Ok(serde_json::Number::from_f64(v).map_or(OValue::Null, OValue::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<OValue, E> {
        Ok(OValue::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<OValue, E> {
        Ok(OValue::String(v))
    }
    fn visit_unit<E>(self) -> Result<OValue, E> {
        Ok(OValue::Null)
    }
    fn visit_none<E>(self) -> Result<OValue, E> {
        Ok(OValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<OValue, D::Error> {
        OValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OValue, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(OValue::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OValue, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, OValue>()? {
            out.push((k, v));
        }
        Ok(OValue::Object(out))
    }
}

/// Reads the `permissions` section of a config file with its key order.
pub fn permissions_section(text: &str) -> Result<Option<OValue>, String> {
    #[derive(serde::Deserialize)]
    struct Top {
        #[serde(default)]
        permissions: Option<OValue>,
    }
    serde_json::from_str::<Top>(text)
        .map(|t| t.permissions)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_file_order() {
        let v = permissions_section(r#"{"model":"x","permissions":{"z":1,"a":{"y":2,"b":3}}}"#)
            .unwrap()
            .unwrap();
        let OValue::Object(o) = v else { panic!() };
        assert_eq!(o[0].0, "z");
        assert_eq!(o[1].0, "a");
        let OValue::Object(inner) = &o[1].1 else {
            panic!()
        };
        assert_eq!(inner[0].0, "y");
        assert_eq!(inner[1].0, "b");
    }
}
