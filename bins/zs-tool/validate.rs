//! A small JSON Schema checker for the subset zs-tool's own schemas use.
//!
//! Tool arguments come from a model, and a model corrects itself best when
//! told exactly which field is wrong and why, so every error names the field
//! by its path (`edits[1].old_string`). The same checker validates the
//! `tools` section of the configuration. Supported keywords: `type` (one name
//! or a list), `properties`, `required`, `additionalProperties: false`,
//! `items`, `enum`, `minimum`, `maximum`, `minItems`. Anything else in a
//! schema is documentation only.

use serde_json::Value;

/// Checks `value` against `schema`. `path` names the value in messages
/// (empty for the top level of tool arguments). Numbers written as `10.0`
/// where an integer is expected are rewritten as `10`, since models emit both.
pub fn check(schema: &Value, value: &mut Value, path: &str) -> Result<(), String> {
    if let Some(t) = schema.get("type") {
        check_type(t, value, path)?;
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        let names: Vec<String> = options.iter().map(show_plain).collect();
        return Err(format!(
            "{} must be one of {}, not {}",
            field(path),
            names.join(", "),
            show(value)
        ));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            return Err(format!("{} must be at least {min}, not {n}", field(path)));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            return Err(format!("{} must be at most {max}, not {n}", field(path)));
        }
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
            let unknown: Vec<&String> = if closed {
                map.keys()
                    .filter(|k| !props.is_some_and(|p| p.contains_key(*k)))
                    .collect()
            } else {
                Vec::new()
            };
            // An unknown field is often a misspelt required one, so both are
            // named in one message.
            let unknown_msg = |first: &str| -> String {
                let known: Vec<&str> = props
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let names: Vec<String> = unknown
                    .iter()
                    .map(|k| format!("'{}'", join(path, k)))
                    .collect();
                format!(
                    "{first}unknown field{} {} (known fields: {})",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            };
            if let Some(Value::Array(req)) = schema.get("required") {
                for name in req.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) {
                        let missing = format!("missing required {}", field(&join(path, name)));
                        return Err(if unknown.is_empty() {
                            missing
                        } else {
                            unknown_msg(&format!("{missing}; "))
                        });
                    }
                }
            }
            if !unknown.is_empty() {
                return Err(unknown_msg(""));
            }
            if let Some(props) = props {
                for (key, v) in map.iter_mut() {
                    if let Some(s) = props.get(key) {
                        check(s, v, &join(path, key))?;
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                return Err(format!(
                    "{} must have at least {min} item{}",
                    field(path),
                    if min == 1 { "" } else { "s" }
                ));
            }
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter_mut().enumerate() {
                    check(s, v, &format!("{path}[{i}]"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_type(t: &Value, value: &mut Value, path: &str) -> Result<(), String> {
    let names: Vec<&str> = match t {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    if names.iter().any(|n| is_type(n, value)) {
        return Ok(());
    }
    if names.contains(&"integer")
        && let Some(f) = value.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.0e15
    {
        // In range of an exact i64, so the cast is lossless.
        *value = Value::from(f as i64);
        return Ok(());
    }
    let wanted: Vec<String> = names.iter().map(|n| article(n)).collect();
    Err(format!(
        "{} must be {}, not {}",
        field(path),
        wanted.join(" or "),
        describe(value)
    ))
}

fn is_type(name: &str, v: &Value) -> bool {
    match name {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn article(name: &str) -> String {
    match name {
        "integer" | "array" | "object" => format!("an {name}"),
        "null" => "null".into(),
        _ => format!("a {name}"),
    }
}

/// What a value is, with a short sample: `a string ("10")`.
fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null".into(),
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("{kind} ({})", show(v))
}

/// A value as JSON, cut to a readable length.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// An enum option: strings without their quotes.
fn show_plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn field(path: &str) -> String {
    if path.is_empty() {
        "the arguments".into()
    } else {
        format!("field '{path}'")
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["path"],
            "properties": {
                "path": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1},
                "edits": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["old_string"],
                    "properties": {"old_string": {"type": "string"}, "status": {"enum": ["a", "b"]}}
                }}
            }
        })
    }

    fn err(v: Value) -> String {
        check(&schema(), &mut v.clone(), "").unwrap_err()
    }

    #[test]
    fn names_the_wrong_field() {
        assert_eq!(err(json!({})), "missing required field 'path'");
        assert_eq!(
            err(json!({"path": 3})),
            "field 'path' must be a string, not a number (3)"
        );
        assert_eq!(
            err(json!({"path": "a", "limit": "10"})),
            "field 'limit' must be an integer, not a string (\"10\")"
        );
        assert_eq!(
            err(json!({"path": "a", "limit": 0})),
            "field 'limit' must be at least 1, not 0"
        );
        assert_eq!(
            err(json!({"file_path": "a"})),
            "missing required field 'path'; unknown field 'file_path' (known fields: edits, limit, path)"
        );
        assert_eq!(
            err(json!({"path": "a", "file": "a", "x": 1})),
            "unknown fields 'file', 'x' (known fields: edits, limit, path)"
        );
        assert_eq!(
            err(json!({"path": "a", "edits": [{"old_string": "x"}, {"new": 1}]})),
            "missing required field 'edits[1].old_string'"
        );
        assert_eq!(
            err(json!({"path": "a", "edits": [{"old_string": "x", "status": "c"}]})),
            "field 'edits[0].status' must be one of a, b, not \"c\""
        );
        assert_eq!(
            err(json!({"path": "a", "edits": []})),
            "field 'edits' must have at least 1 item"
        );
        assert_eq!(
            err(json!([1])),
            "the arguments must be an object, not an array ([1])"
        );
    }

    #[test]
    fn integral_floats_become_integers() {
        let mut v = json!({"path": "a", "limit": 10.0});
        check(&schema(), &mut v, "").unwrap();
        assert_eq!(v["limit"], json!(10));
        assert!(check(&schema(), &mut json!({"path": "a", "limit": 1.5}), "").is_err());
    }
}
