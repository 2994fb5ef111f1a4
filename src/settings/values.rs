//! Reading one value of an option or a variable: text, a number, a
//! duration, a list of signals; each error names where the value came from.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use crate::duration;
use crate::escape::quoted;
use crate::options::UsageError;
use crate::signal::Signal;

pub(super) fn text(value: &OsStr, what: &str) -> Result<String, UsageError> {
    value
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| UsageError(format!("{what}: value is not valid UTF-8")))
}

pub(super) fn number(value: &OsStr, what: &str) -> Result<u32, UsageError> {
    let shown = value.to_string_lossy();
    shown.trim().parse().map_err(|_| {
        UsageError(format!(
            "{what}: '{}' is not a whole number",
            quoted(value.as_bytes())
        ))
    })
}

/// `TERM,INT`: names or numbers of signals rinit relays, at least one.
pub(super) fn signal_list(value: &OsStr, what: &str) -> Result<Vec<Signal>, UsageError> {
    let text = text(value, what)?;
    let signals = text
        .split(',')
        .map(|name| Signal::parse(name.trim()).filter(|s| s.is_relayed()))
        .collect::<Option<Vec<Signal>>>()
        .filter(|list| !list.is_empty());
    signals.ok_or_else(|| {
        UsageError(format!(
            "{what}: '{}' is not a list of signals rinit relays (like TERM,INT)",
            quoted(text.as_bytes())
        ))
    })
}

/// C's atoi: leading white space, a sign, digits up to the first other
/// byte; 0 when there are none (clamped where atoi would overflow).
pub(super) fn atoi(bytes: &[u8]) -> i64 {
    let mut rest = bytes
        .iter()
        .skip_while(|b| b" \t\n\x0b\x0c\r".contains(b))
        .peekable();
    let negative = match rest.peek() {
        Some(b'-') => rest.next().is_some(),
        Some(b'+') => rest.next().is_none(),
        _ => false,
    };
    let magnitude = rest
        .map_while(|b| b.is_ascii_digit().then(|| i64::from(b - b'0')))
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(d));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

pub(super) fn duration_of(value: &OsStr, what: &str) -> Result<Duration, UsageError> {
    let shown = value.to_string_lossy();
    duration::parse(&shown).ok_or_else(|| {
        UsageError(format!(
            "{what}: '{}' is not a duration (like 500ms, 5s, 2m or 5)",
            quoted(value.as_bytes())
        ))
    })
}
