//! Instants as Unix milliseconds: RFC 3339 and relative parsing, formatting, ages.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

pub const SECOND_MS: i64 = 1000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Latest instant accepted anywhere: 9999-12-31T23:59:59.999Z, the end of RFC 3339's range.
pub const MAX_TS: i64 = 253_402_300_799_999;

/// Longest relative span accepted (`3650d`): ten years, so `now - span` never underflows.
const MAX_RELATIVE_MS: i64 = 3650 * DAY_MS;

/// Parses an RFC 3339 date-time (any offset) into Unix milliseconds, dropping sub-ms digits.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let parsed = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    let ms = parsed.timestamp_millis();
    (0..=MAX_TS).contains(&ms).then_some(ms)
}

/// Formats Unix milliseconds as RFC 3339 in UTC with milliseconds: `2026-04-20T10:00:00.000Z`.
pub fn format_rfc3339(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(at) => at.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => String::from("invalid time"),
    }
}

/// Formats Unix milliseconds for people: `2026-04-20 10:00:00.123 UTC`.
pub fn format_human(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(at) => at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
        None => String::from("invalid time"),
    }
}

/// The UTC calendar hour containing `ms`, as `(year, month, day, hour)`.
pub fn utc_hour(ms: i64) -> Option<(i32, u32, u32, u32)> {
    let at = DateTime::<Utc>::from_timestamp_millis(ms)?;
    Some((at.year(), at.month(), at.day(), at.hour()))
}

/// Start of the UTC hour containing `ms`.
pub fn hour_start(ms: i64) -> i64 {
    ms - ms.rem_euclid(HOUR_MS)
}

/// Parses a filter instant: RFC 3339, Unix milliseconds (digits only), or a span back from
/// `now` such as `30s`, `15m`, `24h`, `7d` or `2w`.
pub fn parse_instant(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(String::from("is empty"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(ms) if ms <= MAX_TS => Ok(ms),
            _ => Err(String::from("is out of range as Unix milliseconds")),
        };
    }
    if let Some(span) = parse_span(text) {
        return span
            .map(|span| (now - span).max(0))
            .ok_or_else(|| String::from("is a relative span longer than 3650 days"));
    }
    parse_rfc3339(text).ok_or_else(|| {
        String::from("is not RFC 3339, Unix milliseconds or a span such as 15m, 24h, 7d")
    })
}

/// `Some(Some(ms))` for a valid span, `Some(None)` for a span that is too long, `None` when
/// the text is not shaped like a span at all.
fn parse_span(text: &str) -> Option<Option<i64>> {
    let unit = text.chars().last()?;
    let digits = text.get(..text.len() - unit.len_utf8())?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unit_ms = match unit {
        's' => SECOND_MS,
        'm' => MINUTE_MS,
        'h' => HOUR_MS,
        'd' => DAY_MS,
        'w' => 7 * DAY_MS,
        _ => return None,
    };
    let span = digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
        .filter(|ms| *ms <= MAX_RELATIVE_MS);
    Some(span)
}

/// How long ago `ts` was at `now`, in words: `just now`, `42 s ago`, `5 min ago`, `3 h ago`,
/// `2 days ago`; `in the future` for a time after `now`.
pub fn relative_age(ts: i64, now: i64) -> String {
    let age = now - ts;
    if age < 0 {
        return String::from("in the future");
    }
    let secs = age / SECOND_MS;
    match secs {
        0..=4 => String::from("just now"),
        5..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        86_400..=172_799 => String::from("1 day ago"),
        _ => format!("{} days ago", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_776_679_200_000; // 2026-04-20T10:00:00Z

    #[test]
    fn rfc3339_round_trips_in_utc_with_milliseconds() {
        assert_eq!(format_rfc3339(NOW), "2026-04-20T10:00:00.000Z");
        assert_eq!(parse_rfc3339("2026-04-20T10:00:00Z"), Some(NOW));
        assert_eq!(
            parse_rfc3339("2026-04-20T12:00:00.250+02:00"),
            Some(NOW + 250)
        );
        assert_eq!(
            parse_rfc3339("2026-04-20T10:00:00.123456Z"),
            Some(NOW + 123)
        );
        assert_eq!(format_human(NOW + 5), "2026-04-20 10:00:00.005 UTC");
    }

    #[test]
    fn rfc3339_refuses_garbage_and_times_before_1970() {
        for bad in [
            "",
            "yesterday",
            "2026-04-20",
            "2026-13-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn instants_accept_rfc3339_epoch_ms_and_relative_spans() {
        assert_eq!(parse_instant("2026-04-20T10:00:00Z", 0), Ok(NOW));
        assert_eq!(parse_instant("1776679200000", 0), Ok(NOW));
        assert_eq!(parse_instant("15m", NOW), Ok(NOW - 15 * MINUTE_MS));
        assert_eq!(parse_instant("24h", NOW), Ok(NOW - DAY_MS));
        assert_eq!(parse_instant("7d", NOW), Ok(NOW - 7 * DAY_MS));
        assert_eq!(parse_instant("2w", NOW), Ok(NOW - 14 * DAY_MS));
        assert_eq!(parse_instant("30s", NOW), Ok(NOW - 30 * SECOND_MS));
        assert_eq!(parse_instant(" 0 ", NOW), Ok(0));
    }

    #[test]
    fn instants_refuse_bad_units_signs_and_overflow() {
        for bad in [
            "",
            "m",
            "15x",
            "-5m",
            "1.5h",
            "15 m",
            "99999999999999999999",
            "3651d",
        ] {
            assert!(parse_instant(bad, NOW).is_err(), "{bad}");
        }
        assert!(parse_instant("999999999999999999d", NOW).is_err());
        assert!(parse_instant("253402300800000", NOW).is_err());
    }

    #[test]
    fn relative_ages_read_naturally() {
        assert_eq!(relative_age(NOW, NOW), "just now");
        assert_eq!(relative_age(NOW - 42 * SECOND_MS, NOW), "42 s ago");
        assert_eq!(relative_age(NOW - 5 * MINUTE_MS, NOW), "5 min ago");
        assert_eq!(relative_age(NOW - 3 * HOUR_MS, NOW), "3 h ago");
        assert_eq!(relative_age(NOW - DAY_MS - 1, NOW), "1 day ago");
        assert_eq!(relative_age(NOW - 9 * DAY_MS, NOW), "9 days ago");
        assert_eq!(relative_age(NOW + 1, NOW), "in the future");
    }

    #[test]
    fn hours_are_utc_calendar_hours() {
        assert_eq!(hour_start(NOW + 59 * MINUTE_MS), NOW);
        assert_eq!(utc_hour(NOW + 30 * MINUTE_MS), Some((2026, 4, 20, 10)));
    }
}
