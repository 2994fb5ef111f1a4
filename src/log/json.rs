//! Just enough JSON for `--inspect --json` and `--log-format json`: strings
//! escaped for a JSON document, and times as RFC 3339.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A string as a JSON string literal, quotes included.
pub struct Str<'a>(pub &'a str);

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        fmt::Write::write_str(&mut Escaper(f), self.0)?;
        f.write_str("\"")
    }
}

/// Writes what it is given escaped for the inside of a JSON string.
pub struct Escaper<'w, W: fmt::Write>(pub &'w mut W);

impl<W: fmt::Write> fmt::Write for Escaper<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                '"' => self.0.write_str("\\\"")?,
                '\\' => self.0.write_str("\\\\")?,
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                c if needs_code(c) => write!(self.0, "\\u{:04x}", u32::from(c))?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Characters a JSON string carries as `\uXXXX`: control characters, and
/// the marks that hide or end a line for the reader (see `escape::invisible`).
fn needs_code(c: char) -> bool {
    c.is_control() || crate::escape::invisible(c)
}

/// Escapes what it is given for a JSON string, up to `left` bytes of
/// escaped output, then "..." once and nothing more: a JSON log line must
/// stay whole, so its message is cut, never the line.
pub struct Capped<'w, W: fmt::Write> {
    pub inner: &'w mut W,
    pub left: usize,
}

impl<W: fmt::Write> fmt::Write for Capped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let width = match c {
                '"' | '\\' | '\n' | '\r' | '\t' => 2,
                c if needs_code(c) => 6,
                c => c.len_utf8(),
            };
            if width + 3 > self.left {
                if self.left >= 3 {
                    self.inner.write_str("...")?;
                }
                self.left = 0;
                return Ok(());
            }
            self.left -= width;
            fmt::Write::write_char(&mut Escaper(&mut *self.inner), c)?;
        }
        Ok(())
    }
}

/// Now, as "2026-11-23T05:09:27.123Z".
pub struct Now;

impl fmt::Display for Now {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = since.as_secs();
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let in_day = secs % 86_400;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60,
            since.subsec_millis()
        )
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(Str("a\"b\\c\nd\u{1b}").to_string(), r#""a\"b\\c\nd\u001b""#);
        assert_eq!(Str("a\u{2028}b\u{85}").to_string(), r#""a\u2028b\u0085""#);
        assert_eq!(Str("café").to_string(), "\"café\"");
    }

    #[test]
    fn capped_output_never_cuts_an_escape_and_ends_in_dots() {
        let mut out = String::new();
        let text = "\u{1b}".repeat(100);
        fmt::Write::write_str(
            &mut Capped {
                inner: &mut out,
                left: 20,
            },
            &text,
        )
        .unwrap();
        assert_eq!(out, format!("{}...", "\\u001b".repeat(2)));
        let mut out = String::new();
        fmt::Write::write_str(
            &mut Capped {
                inner: &mut out,
                left: 20,
            },
            "short \"q\"",
        )
        .unwrap();
        assert_eq!(out, "short \\\"q\\\"");
    }

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_415), (2025, 11, 23));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
