//! The few Lua semantics the ported Argo CD scripts rely on, over the object's JSON: a JSON
//! `null` or an absent field is `nil`, only `nil` and `false` are falsy, and `tonumber`
//! reads numbers and numeric strings.

use serde_json::Value;

/// The field `key` of `value`, `None` for nil (absent, or JSON null).
pub fn field<'a>(value: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    value?.get(key).filter(|v| !v.is_null())
}

/// Lua truthiness: everything but nil and `false`.
pub fn truthy(value: Option<&Value>) -> bool {
    !matches!(value, None | Some(Value::Null | Value::Bool(false)))
}

/// Lua's `tonumber`: a number, or a string holding a decimal or `0x` hexadecimal number
/// (surrounding spaces allowed); nil otherwise. A Rollouts pod hash never reads as one: its
/// alphabet has no vowels, so no `e` exponent and no `0x`, and it is never all digits in
/// practice (`isGenerationObserved` covers the all-digit case anyway).
pub fn tonumber(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim();
            let (negative, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s),
            };
            if let Some(hex) = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
            {
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "Lua numbers are doubles; generations are far below 2^53"
                )]
                let n = i64::from_str_radix(hex, 16).ok()? as f64;
                return Some(if negative { -n } else { n });
            }
            // Rust also reads `inf` and `nan`, which Lua does not.
            let numeric = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
            if numeric { s.parse().ok() } else { None }
        }
        _ => None,
    }
}

/// The length of a Lua table decoded from JSON (`table.getn`): a list's length, 0 otherwise.
pub fn getn(value: Option<&Value>) -> usize {
    value.and_then(Value::as_array).map_or(0, Vec::len)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tonumber_reads_like_lua() {
        assert_eq!(tonumber(Some(&json!("7"))), Some(7.0));
        assert_eq!(tonumber(Some(&json!(" 7 "))), Some(7.0));
        assert_eq!(tonumber(Some(&json!(7))), Some(7.0));
        assert_eq!(tonumber(Some(&json!("0x1A"))), Some(26.0));
        assert_eq!(tonumber(Some(&json!("5f7c8d9b"))), None);
        assert_eq!(tonumber(Some(&json!("inf"))), None);
        assert_eq!(tonumber(None), None);
        assert!(!truthy(Some(&json!(false))));
        assert!(truthy(Some(&json!(""))));
        assert!(!truthy(Some(&Value::Null)));
    }
}
