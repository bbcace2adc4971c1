//! Validation of self-service request fields, before anything is sent. Messages say what is
//! allowed, so the user can fix the field without reading docs.

/// Sizes a read replica can have.
pub const REPLICA_SIZES: &[&str] = &["small", "medium", "large", "xlarge"];
/// Cleanup policies Kafka accepts.
pub const CLEANUP_POLICIES: &[&str] = &["delete", "compact", "compact,delete"];

/// Kafka topic name rules (Kafka's `Topic.validate`): 1 to 249 of `[a-zA-Z0-9._-]`, not `.`
/// or `..`; names starting with `__` are internal.
pub fn topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("required".into());
    }
    if name.len() > 249 {
        return Err(format!("at most 249 characters ({} given)", name.len()));
    }
    if name == "." || name == ".." {
        return Err("`.` and `..` are not allowed".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "`{bad}` is not allowed; use letters, digits, `.`, `_` and `-`"
        ));
    }
    if name.starts_with("__") {
        return Err("names starting with `__` are internal to Kafka".into());
    }
    if name.contains('.') && name.contains('_') {
        return Err("mixing `.` and `_` collides in metric names; pick one".into());
    }
    Ok(())
}

/// Partitions: a whole number from 1 to 10,000.
pub fn partitions(raw: &str) -> Result<i32, String> {
    let n: i32 = raw
        .trim()
        .parse()
        .map_err(|_| "a whole number, e.g. 6".to_owned())?;
    if !(1..=10_000).contains(&n) {
        return Err("from 1 to 10000".into());
    }
    Ok(n)
}

/// Replication factor: from 1 to the number of brokers.
pub fn replication(raw: &str, brokers: usize) -> Result<i16, String> {
    let n: i16 = raw
        .trim()
        .parse()
        .map_err(|_| "a whole number, e.g. 3".to_owned())?;
    let max = i16::try_from(brokers.max(1)).unwrap_or(i16::MAX);
    if n < 1 || n > max {
        return Err(format!("from 1 to {max} (the number of brokers)"));
    }
    Ok(n)
}

/// Parses a duration such as `7d`, `12h`, `30m`, `45s`, `1.5s`, `2w` or `500ms` into
/// milliseconds (a fraction finer than a millisecond is dropped).
pub fn duration_ms(raw: &str) -> Result<i64, String> {
    let raw = raw.trim().to_ascii_lowercase();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let bad = || "a number and a unit, e.g. 7d or 12h".to_owned();
    let (digits, fraction) = number.split_once('.').unwrap_or((number, ""));
    let value: i64 = digits.parse().map_err(|_| bad())?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 9 {
        return Err(bad());
    }
    let factor: i64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        "" => return Err("add a unit: ms, s, m, h, d or w".into()),
        other => return Err(format!("unknown unit `{other}`; use ms, s, m, h, d or w")),
    };
    let fraction_ms = if fraction.is_empty() {
        0
    } else {
        let scale = 10_i64.pow(u32::try_from(fraction.len()).unwrap_or(9));
        fraction
            .parse::<i64>()
            .map_err(|_| bad())?
            .saturating_mul(factor)
            / scale
    };
    value
        .checked_mul(factor)
        .and_then(|v| v.checked_add(fraction_ms))
        .filter(|v| *v > 0)
        .ok_or_else(|| "must be positive and not absurd".into())
}

/// Topic retention: a duration, or `infinite` / `-1` for no time limit. Returns `retention.ms`.
pub fn retention(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("required, e.g. 7d".into());
    }
    if trimmed == "-1" || trimmed.eq_ignore_ascii_case("infinite") {
        return Ok("-1".into());
    }
    duration_ms(trimmed).map(|ms| ms.to_string())
}

/// Replica time to live: from one hour to 30 days.
pub fn ttl(raw: &str) -> Result<String, String> {
    let ms = duration_ms(raw)?;
    if !(3_600_000..=30 * 86_400_000).contains(&ms) {
        return Err("from 1h to 30d".into());
    }
    Ok(raw.trim().to_ascii_lowercase())
}

/// The reason recorded in the audit trail: a sentence, not a shrug.
pub fn reason(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() < 8 {
        return Err("say why, in at least 8 characters (it goes into the audit trail)".into());
    }
    Ok(trimmed.to_owned())
}

/// A value from a fixed list.
pub fn one_of(raw: &str, allowed: &[String]) -> Result<String, String> {
    if allowed.iter().any(|a| a == raw) {
        Ok(raw.to_owned())
    } else if allowed.is_empty() {
        Err("nothing to choose from in this context".into())
    } else {
        Err(format!("choose one of: {}", allowed.join(", ")))
    }
}

/// A service name typed by hand (no catalog to choose from), checked by the rule Backstage
/// applies to entity names so that it can later match a catalog entry: 1 to 63 ASCII
/// letters, digits, `-`, `_` and `.`, beginning and ending with a letter or digit.
/// Rule from backstage/backstage
/// packages/catalog-model/src/validation/KubernetesValidatorFunctions.ts
/// (`isValidObjectName`), commit 206874bd4e4cdc069b9c6adbaf6a434495df55de.
pub fn service_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let alnum_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() {
        Err("the service that owns it (no catalog is configured: type its name)".into())
    } else if name.len() > 63 || !alnum_ends || !allowed {
        Err("1 to 63 letters, digits, - _ or ., starting and ending with a letter or digit".into())
    } else {
        Ok(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_typed_by_hand_follow_backstage() {
        assert_eq!(
            service_name(" ledger-service ").as_deref(),
            Ok("ledger-service")
        );
        assert!(service_name("a.b_c-d9").is_ok());
        assert!(service_name("a--b").is_ok());
        assert!(service_name(&"x".repeat(63)).is_ok());
        for bad in ["", "-a", "a-", "a b", "ünï", &"x".repeat(64)] {
            assert!(service_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn topic_names() {
        assert!(topic_name("orders.placed.v1").is_ok());
        assert!(topic_name("").is_err());
        assert!(topic_name("..").is_err());
        assert!(
            topic_name("a b")
                .expect_err("invalid")
                .contains("` ` is not allowed")
        );
        assert!(topic_name("__consumer_offsets").is_err());
        assert!(
            topic_name("orders.placed_v1")
                .expect_err("invalid")
                .contains("collides")
        );
        assert!(topic_name(&"x".repeat(250)).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(partitions("6"), Ok(6));
        assert!(partitions("0").is_err());
        assert!(partitions("six").is_err());
        assert_eq!(replication("3", 3), Ok(3));
        assert!(
            replication("4", 3)
                .expect_err("invalid")
                .contains("from 1 to 3")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(retention("7d"), Ok("604800000".into()));
        assert_eq!(retention("12h"), Ok("43200000".into()));
        assert_eq!(retention("infinite"), Ok("-1".into()));
        assert!(retention("7").expect_err("invalid").contains("add a unit"));
        assert!(
            retention("7y")
                .expect_err("invalid")
                .contains("unknown unit")
        );
        assert_eq!(ttl("8h"), Ok("8h".into()));
        assert!(ttl("10m").is_err());
        assert!(ttl("60d").is_err());
    }

    #[test]
    fn reasons_and_choices() {
        assert!(reason("because").is_err());
        assert!(reason("load test for the Black Friday rehearsal").is_ok());
        let dbs = vec!["orders-db".to_owned()];
        assert!(one_of("orders-db", &dbs).is_ok());
        assert!(
            one_of("x", &dbs)
                .expect_err("invalid")
                .contains("orders-db")
        );
    }
}
