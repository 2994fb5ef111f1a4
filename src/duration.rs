//! Durations on the command line: `500ms`, `5s`, `2m`, or plain seconds
//! (`5`, `1.5`).

use std::time::Duration;

/// Parses a duration; None for anything else, including values too large to
/// represent.
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit_nanos): (&str, u128) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000_000)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000_000_000)
    } else {
        (text, 1_000_000_000)
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || number.ends_with('.') {
        return None;
    }
    // Whole units, then the fraction digit by digit: exact, no floats.
    let mut nanos = whole.parse::<u128>().ok()?.checked_mul(unit_nanos)?;
    let mut scale = unit_nanos;
    for digit in fraction.bytes().take(18) {
        scale /= 10;
        nanos = nanos.checked_add(u128::from(digit - b'0') * scale)?;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_plain_seconds() {
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse("0.25s"), Some(Duration::from_millis(250)));
        assert_eq!(parse("0"), Some(Duration::ZERO));
        assert_eq!(parse(" 3s "), Some(Duration::from_secs(3)));
    }

    #[test]
    fn nonsense_negative_and_overflow_are_refused() {
        for text in [
            "", "s", "ms", "-1", "-5s", "5h", "1e3", "1.", ".5", "5 s", "abc", "1..2", "+5",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        assert_eq!(parse("99999999999999999999999999999999999999999"), None);
        assert_eq!(parse("18446744073709551616"), None);
        assert_eq!(parse("999999999999999999m"), None);
    }
}
