//! Trace and span ids, normalised to lowercase hex whatever the wire used.
//!
//! OTLP/JSON says hex; Tempo writes base64 (`"MUkZX/sL7AU0e0jv6OzBsA=="`); Jaeger writes hex
//! but may drop leading zeros. Everything in opsdeck compares ids as lowercase hex of the full
//! width (32 characters for a trace, 16 for a span), which is also what log lines carry
//! (OTel "trace context in non-OTLP log formats"), so a log line and a span always match.

use base64::Engine as _;

use crate::model::clean;

/// Hex width of a trace id (16 bytes).
pub const TRACE_ID_HEX: usize = 32;
/// Hex width of a span id (8 bytes).
pub const SPAN_ID_HEX: usize = 16;

/// Normalises an id as sent by any backend: hex of the expected width (any case) is kept;
/// shorter hex (Jaeger and Tempo search drop leading zeros) is left-padded; anything else that
/// base64-decodes to 16 or 8 bytes is converted. What matches none of these is cleaned and
/// kept lowercase so the user can still see it.
#[must_use]
pub fn normalize_id(raw: &str) -> String {
    let raw = raw.trim();
    let is_hex = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex && (raw.len() == TRACE_ID_HEX || raw.len() == SPAN_ID_HEX) {
        return raw.to_ascii_lowercase();
    }
    // Hex shorter than full width is an id whose leading zeros were dropped (Jaeger, Tempo
    // search). It is checked before base64 because such strings are valid base64 too, while
    // real base64 ids (Tempo pads them: 24 or 12 characters ending in `=`) are almost never
    // all hex digits.
    if is_hex && raw.len() < TRACE_ID_HEX {
        let width = if raw.len() <= SPAN_ID_HEX {
            SPAN_ID_HEX
        } else {
            TRACE_ID_HEX
        };
        return format!("{:0>width$}", raw.to_ascii_lowercase());
    }
    if let Some(bytes) = decode_base64(raw)
        && (bytes.len() == 16 || bytes.len() == 8)
    {
        return hex::encode(bytes);
    }
    clean(raw).to_lowercase()
}

/// Normalises a trace id specifically: a 16-hex-character (64-bit, Jaeger legacy) trace id is
/// widened to 32 so it compares equal to the 128-bit form Tempo and log lines use.
#[must_use]
pub fn normalize_trace_id(raw: &str) -> String {
    let id = normalize_id(raw);
    if id.len() == SPAN_ID_HEX && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("{id:0>TRACE_ID_HEX$}")
    } else {
        id
    }
}

/// Whether `id` is safe and plausible to put into a URL path: 1 to 32 hex digits.
#[must_use]
pub fn is_hex_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= TRACE_ID_HEX && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A trace id as typed or pasted (spaces around it, any case), normalized for a request
/// path: trimmed and lower-cased, and refused unless it is 1 to 32 hex digits, so nothing
/// else can reach a URL.
///
/// # Errors
/// The sanitized message naming what was given.
pub fn request_trace_id(raw: &str) -> Result<String, String> {
    let id = raw.trim().to_ascii_lowercase();
    if is_hex_id(&id) {
        Ok(id)
    } else {
        Err(crate::model::clean(&format!(
            "`{raw}` is not a trace id (1 to 32 hex digits)"
        )))
    }
}

/// Standard or URL-safe base64, with or without padding.
fn decode_base64(raw: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(raw).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercased_and_base64_converted() {
        assert_eq!(
            normalize_id("4BF92F3577B34DA6A3CE929D0E0E4736"),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(
            normalize_id("MUkZX/sL7AU0e0jv6OzBsA=="),
            "3149195ffb0bec05347b48efe8ecc1b0"
        );
        assert_eq!(normalize_id("AAAAAAAAAAE="), "0000000000000001");
    }

    #[test]
    fn short_hex_is_padded_and_64_bit_trace_ids_widened() {
        assert_eq!(normalize_id("abc"), "0000000000000abc");
        assert_eq!(
            normalize_trace_id("a3ce929d0e0e4736"),
            "0000000000000000a3ce929d0e0e4736"
        );
    }

    #[test]
    fn nonsense_is_cleaned_not_trusted() {
        assert_eq!(normalize_id("x\u{1b}[2J"), "x␛[2j");
        assert!(!is_hex_id("../admin"));
        assert_eq!(
            request_trace_id(" 4BF92F ").as_deref(),
            Ok("4bf92f"),
            "trimmed and lower-cased"
        );
        assert!(request_trace_id("../admin").is_err());
        assert!(is_hex_id("4bf92f3577b34da6a3ce929d0e0e4736"));
    }
}
