//! Durations on the command line: `500ms`, `5s`, `2m`, or plain seconds
//! (`5`, `1.5`), and in log lines.

use std::fmt;
use std::time::Duration;

/// A duration as log lines show it, in the units the command line takes:
/// `5s`, `1.5s`, `250ms`. Its own Display, not Duration's Debug: the tiny
/// build compiles every Debug impl to nothing (-Zfmt-debug=none).
pub struct Shown(pub Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, nanos) = (self.0.as_secs(), self.0.subsec_nanos());
        if secs == 0 && nanos != 0 && nanos % 1_000_000 == 0 {
            return write!(f, "{}ms", nanos / 1_000_000);
        }
        write!(f, "{secs}")?;
        if nanos != 0 {
            // Nine digits, trailing zeros dropped: 1.5s, not 1.500000000s.
            let mut digits = nanos;
            let mut width = 9;
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            write!(f, ".{digits:0width$}")?;
        }
        f.write_str("s")
    }
}

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

    #[test]
    fn shown_in_the_units_it_was_given() {
        for (text, shown) in [
            ("5s", "5s"),
            ("2m", "120s"),
            ("1.5", "1.5s"),
            ("250ms", "250ms"),
            ("0", "0s"),
            ("1.000000001", "1.000000001s"),
            ("0.0000001", "0.0000001s"),
            ("10.05", "10.05s"),
        ] {
            assert_eq!(Shown(parse(text).unwrap()).to_string(), shown, "{text}");
        }
    }
}
