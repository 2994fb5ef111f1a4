//! Showing bytes rinit did not write: option values, the environment, other
//! processes' names and command lines from `/proc`.
//!
//! Any process can name itself anything (`prctl(PR_SET_NAME)`, its argv), so
//! such text is hostile: a newline in it would forge a `[rinit]` line in
//! `docker logs`, an ESC would drive the terminal of whoever reads them. It
//! is always shown escaped, and cut.

use std::fmt;

/// How many characters of a value a usage error quotes.
pub const VALUE: usize = 64;
/// How many characters of a process's command line a report shows.
pub const COMMAND: usize = 256;

/// `bytes` as one harmless line: control characters (C0, DEL, C1),
/// backslashes and invisible direction or width marks as Rust-style escapes,
/// invalid UTF-8 as `\xNN`; at most `max` characters, then `...`.
#[derive(Clone, Copy)]
pub struct Escaped<'a>(pub &'a [u8], pub usize);

/// A value quoted in a usage error.
pub fn quoted(bytes: &[u8]) -> Escaped<'_> {
    Escaped(bytes, VALUE)
}

/// The same as an owned string, for text that outlives the bytes it came
/// from.
pub fn shown(bytes: &[u8], max: usize) -> String {
    Escaped(bytes, max).to_string()
}

/// A control character as `char::escape_debug` shows it (`\n`, `\t`,
/// `\r`, `\0`, else `\u{1b}`), without the Unicode tables that
/// escape_debug brings along for the characters it never sees here.
fn control(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    match c {
        '\n' => f.write_str("\\n"),
        '\t' => f.write_str("\\t"),
        '\r' => f.write_str("\\r"),
        '\0' => f.write_str("\\0"),
        c => write!(f, "{}", c.escape_unicode()),
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Escaped(bytes, max) = *self;
        let mut count = 0;
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if count == max {
                    return f.write_str("...");
                }
                count += 1;
                match c {
                    '\\' => f.write_str("\\\\")?,
                    c if c.is_control() => control(f, c)?,
                    c if invisible(c) => write!(f, "{}", c.escape_unicode())?,
                    c => write!(f, "{c}")?,
                }
            }
            for byte in chunk.invalid() {
                if count == max {
                    return f.write_str("...");
                }
                count += 1;
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

/// Marks that change how the text around them reads without showing
/// themselves: zero-width characters, bidirectional marks, overrides and
/// isolates (the "Trojan Source" trick; U+061C is Arabic's mark), the
/// byte-order mark; and the Unicode line and paragraph separators, where
/// Python's `splitlines()`, Java's `\R` and JavaScript end a line.
pub fn invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_read_as_escape_debug_shows_them() {
        for c in (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| c.is_control())
        {
            let shown = Escaped(c.to_string().as_bytes(), 8).to_string();
            assert_eq!(shown, c.escape_debug().to_string(), "{:x}", c as u32);
        }
    }

    #[test]
    fn control_characters_bad_bytes_and_backslashes_are_escaped() {
        assert_eq!(quoted(b"5s").to_string(), "5s");
        assert_eq!(quoted(b"a\nb\x1b[2J").to_string(), "a\\nb\\u{1b}[2J");
        assert_eq!(quoted(b"caf\xe9").to_string(), "caf\\xe9");
        assert_eq!(quoted(b"a\\nb").to_string(), "a\\\\nb");
        assert_eq!(quoted("\u{9b}31m".as_bytes()).to_string(), "\\u{9b}31m");
        assert_eq!(quoted("a\u{202e}b".as_bytes()).to_string(), "a\\u{202e}b");
        assert_eq!(quoted("café ✓".as_bytes()).to_string(), "café ✓");
        for (mark, shown) in [
            ('\u{2028}', "a\\u{2028}b"),
            ('\u{2029}', "a\\u{2029}b"),
            ('\u{061c}', "a\\u{61c}b"),
            ('\u{200b}', "a\\u{200b}b"),
        ] {
            assert_eq!(quoted(format!("a{mark}b").as_bytes()).to_string(), shown);
        }
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(
            quoted("x".repeat(100).as_bytes()).to_string(),
            format!("{}...", "x".repeat(64))
        );
        assert_eq!(shown(b"\xff\xff\xff", 2), "\\xff\\xff...");
    }

    #[test]
    fn no_input_yields_a_line_break_or_an_escape_character() {
        let every_byte: Vec<u8> = (0..=255).collect();
        let out = shown(&every_byte, usize::MAX);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
    }
}
