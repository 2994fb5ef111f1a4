//! `--expand`: `$NAME` and `${NAME...}` in the command's words, from the
//! environment the command gets, so an exec-form ENTRYPOINT needs no shell
//! in front of the app for `--bind :$PORT`.
//!
//! Not a shell: no word splitting (one argument stays one, an empty result
//! stays one empty argument), no globs, `~`, quotes, backslashes, `$(...)`
//! or backquotes; each is left exactly as written. `$$` is a literal `$`;
//! a `$` before anything but a name's first character or `{` stays itself.
//! The word of `${NAME:-word}` and its kin may hold expansions of its own,
//! expanded only when used, as a shell does.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::escape::quoted;
use crate::options::UsageError;
use crate::sort::sort;

/// The kernel takes at most this much of one argument (MAX_ARG_STRLEN):
/// a word that expands to more could not be run anyway.
const MOST: usize = 32 * 4096;

/// How deep `${A:-${B:-...}}` may nest: the expander recurses, and a
/// hostile word must not overflow PID 1's stack.
const DEEPEST: usize = 16;

/// The environment, sorted by name once: each lookup is a binary search,
/// so a long word full of `$A` costs no scan of the environment per name.
/// Each variable keeps its place in the environment: of two with one name,
/// the first wins, as getenv(3) finds it.
pub struct Env(Vec<(OsString, usize, OsString)>);

impl Env {
    pub fn new(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Env {
        let mut vars: Vec<_> = vars
            .into_iter()
            .enumerate()
            .map(|(at, (name, value))| (name, at, value))
            .collect();
        sort(&mut vars, |a, b| {
            (a.0.as_bytes(), a.1) < (b.0.as_bytes(), b.1)
        });
        vars.dedup_by(|later, first| later.0 == first.0);
        Env(vars)
    }

    fn get(&self, name: &[u8]) -> Option<&[u8]> {
        let found = self
            .0
            .binary_search_by(|(n, _, _)| n.as_bytes().cmp(name))
            .ok()?;
        self.0.get(found).map(|(_, _, v)| v.as_bytes())
    }
}

/// Every word of `command` expanded.
pub fn command(command: &[OsString], env: &Env) -> Result<Vec<OsString>, UsageError> {
    command
        .iter()
        .map(|w| word(w, env).map(OsString::from_vec))
        .collect()
}

/// One word expanded; a usage error names what is wrong and the word.
pub fn word(word: &OsStr, env: &Env) -> Result<Vec<u8>, UsageError> {
    let mut expander = Expander {
        input: word.as_bytes(),
        at: 0,
        env,
    };
    let mut out = Vec::new();
    expander
        .until(None, &mut Some(&mut out), 0)
        .map_err(|e| UsageError(e.text(word.as_bytes())))?;
    Ok(out)
}

enum Error {
    /// `${NAME:?message}`: NAME and the message, expanded.
    Unset(Vec<u8>, Vec<u8>),
    /// A `${` with no `}`.
    Unterminated,
    /// A `${` not followed by a name and `}` or an operator.
    Bad,
    TooDeep,
    TooLong,
}

impl Error {
    fn text(&self, word: &[u8]) -> String {
        let word = quoted(word);
        match self {
            Error::Unset(name, message) if message.is_empty() => {
                format!("--expand: {} is not set", quoted(name))
            }
            Error::Unset(name, message) => {
                format!("--expand: {}: {}", quoted(name), quoted(message))
            }
            Error::Unterminated => format!("--expand: '{word}' has a '${{' with no '}}'"),
            Error::Bad => format!(
                "--expand: '{word}': only $NAME, ${{NAME}} and ${{NAME:-word}}, -, :+, +, :?, ? are expanded"
            ),
            Error::TooDeep => format!("--expand: '{word}' nests more than {DEEPEST} deep"),
            Error::TooLong => format!(
                "--expand: '{word}' expands to more than the {} KiB the kernel takes in one argument",
                MOST / 1024
            ),
        }
    }
}

/// What follows a name in `${NAME...}`.
#[derive(Clone, Copy)]
enum Op {
    /// `-` or `:-` (the colon: empty counts as unset)
    Default(bool),
    /// `+` or `:+`
    Alternative(bool),
    /// `?` or `:?`
    Required(bool),
}

struct Expander<'a> {
    input: &'a [u8],
    at: usize,
    env: &'a Env,
}

/// Where expanded bytes go: None while skipping a word that is not used
/// (it is parsed, to find its end, but nothing in it is looked up).
type Out<'o> = Option<&'o mut Vec<u8>>;

impl<'a> Expander<'a> {
    /// Expands up to `end` (the `}` closing a `${`) or the end of the word.
    fn until(&mut self, end: Option<u8>, out: &mut Out, depth: usize) -> Result<(), Error> {
        while let Some(&b) = self.input.get(self.at) {
            if Some(b) == end {
                return Ok(());
            }
            self.at += 1;
            if b != b'$' {
                push(out, &[b])?;
                continue;
            }
            match self.input.get(self.at) {
                Some(b'$') => {
                    self.at += 1;
                    push(out, b"$")?;
                }
                Some(b'{') => {
                    self.at += 1;
                    self.braced(out, depth + 1)?;
                }
                Some(&c) if name_start(c) => {
                    let name = self.name();
                    let value = self.lookup(out, name);
                    push(out, value.unwrap_or_default())?;
                }
                _ => push(out, b"$")?,
            }
        }
        match end {
            Some(_) => Err(Error::Unterminated),
            None => Ok(()),
        }
    }

    /// `${NAME}` or `${NAME<op>word}`, after the `${`.
    fn braced(&mut self, out: &mut Out, depth: usize) -> Result<(), Error> {
        if depth > DEEPEST {
            return Err(Error::TooDeep);
        }
        if !self.input.get(self.at).copied().is_some_and(name_start) {
            return Err(self.bad());
        }
        let name = self.name();
        let colon = self.input.get(self.at) == Some(&b':');
        let op = match self.input.get(self.at + usize::from(colon)) {
            Some(b'}') if !colon => {
                self.at += 1;
                let value = self.lookup(out, name);
                return push(out, value.unwrap_or_default());
            }
            Some(b'-') => Op::Default(colon),
            Some(b'+') => Op::Alternative(colon),
            Some(b'?') => Op::Required(colon),
            _ => return Err(self.bad()),
        };
        self.at += usize::from(colon) + 1;
        let value = self.lookup(out, name);
        let set = |empty_unset: bool| value.is_some_and(|v| !(empty_unset && v.is_empty()));
        let use_word = match op {
            Op::Default(c) | Op::Required(c) => !set(c),
            Op::Alternative(c) => set(c),
        };
        if !use_word {
            // The word is skipped, and the value (if any) stands.
            self.until(Some(b'}'), &mut None, depth)?;
            self.at += 1;
            return push(out, value.unwrap_or_default());
        }
        if let (Op::Required(_), Some(_)) = (op, &out) {
            let mut message = Vec::new();
            self.until(Some(b'}'), &mut Some(&mut message), depth)?;
            return Err(Error::Unset(name.to_vec(), message));
        }
        self.until(Some(b'}'), out, depth)?;
        self.at += 1;
        Ok(())
    }

    /// The name starting at the cursor (its first character checked).
    fn name(&mut self) -> &'a [u8] {
        let start = self.at;
        while self.input.get(self.at).copied().is_some_and(name_char) {
            self.at += 1;
        }
        self.input.get(start..self.at).unwrap_or_default()
    }

    /// A variable's value, looked up only where the word is used.
    fn lookup(&self, out: &Out, name: &[u8]) -> Option<&'a [u8]> {
        out.as_ref().and_then(|_| self.env.get(name))
    }

    /// A bad substitution, or an unterminated one if no `}` follows.
    fn bad(&self) -> Error {
        match self
            .input
            .get(self.at..)
            .unwrap_or_default()
            .contains(&b'}')
        {
            true => Error::Bad,
            false => Error::Unterminated,
        }
    }
}

fn push(out: &mut Out, bytes: &[u8]) -> Result<(), Error> {
    if let Some(out) = out {
        if out.len() + bytes.len() > MOST {
            return Err(Error::TooLong);
        }
        out.extend_from_slice(bytes);
    }
    Ok(())
}

fn name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env::new(
            [
                ("PORT", "8123"),
                ("EMPTY", ""),
                ("A_B", "x y"),
                ("HOST", "0.0.0.0"),
            ]
            .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        )
    }

    fn x(word: &str) -> Result<String, String> {
        super::word(OsStr::new(word), &env())
            .map(|b| String::from_utf8(b).unwrap())
            .map_err(|e| e.0)
    }

    #[test]
    fn plain_and_braced_names() {
        assert_eq!(x("0.0.0.0:${PORT}").unwrap(), "0.0.0.0:8123");
        assert_eq!(x("$PORT").unwrap(), "8123");
        assert_eq!(x("${A_B}").unwrap(), "x y");
        assert_eq!(x("$HOST:$PORT").unwrap(), "0.0.0.0:8123");
        assert_eq!(x("$UNSET").unwrap(), "");
        assert_eq!(x("${UNSET}").unwrap(), "");
        assert_eq!(x("$PORTS").unwrap(), "", "the longest name is taken");
        assert_eq!(x("${PORT}S").unwrap(), "8123S");
    }

    #[test]
    fn defaults_alternatives_and_their_colons() {
        assert_eq!(x("${UNSET:-dflt}").unwrap(), "dflt");
        assert_eq!(x("${EMPTY:-dflt}").unwrap(), "dflt");
        assert_eq!(x("${EMPTY-dflt}").unwrap(), "");
        assert_eq!(x("${UNSET-dflt}").unwrap(), "dflt");
        assert_eq!(x("${PORT:-dflt}").unwrap(), "8123");
        assert_eq!(x("${PORT:+set}").unwrap(), "set");
        assert_eq!(x("${EMPTY:+set}").unwrap(), "");
        assert_eq!(x("${EMPTY+set}").unwrap(), "set");
        assert_eq!(x("${UNSET+set}").unwrap(), "");
        assert_eq!(x("${PORT:?needed}").unwrap(), "8123");
        assert_eq!(x("${EMPTY?needed}").unwrap(), "");
        assert_eq!(x("${UNSET:-}").unwrap(), "");
    }

    #[test]
    fn words_hold_expansions_used_only_when_taken() {
        assert_eq!(x("${UNSET:-${PORT}}").unwrap(), "8123");
        assert_eq!(x("${UNSET:-${ALSO:-8000}}").unwrap(), "8000");
        assert_eq!(x("${UNSET:-:$PORT:}").unwrap(), ":8123:");
        // A word not taken is not looked at: its :? does not fire.
        assert_eq!(x("${PORT:-${NOPE:?unused}}").unwrap(), "8123");
        assert_eq!(x("${UNSET:+${NOPE:?unused}}").unwrap(), "");
    }

    #[test]
    fn dollars_that_are_not_expansions_stay() {
        assert_eq!(x("$$PORT").unwrap(), "$PORT");
        assert_eq!(x("a$").unwrap(), "a$");
        assert_eq!(x("$(id)").unwrap(), "$(id)");
        assert_eq!(x("$1 $@ $* $- $ x").unwrap(), "$1 $@ $* $- $ x");
        assert_eq!(
            x("`id` '$PORT' \"$PORT\" \\$PORT ~ *").unwrap(),
            "`id` '8123' \"8123\" \\8123 ~ *"
        );
        assert_eq!(x("$$$$").unwrap(), "$$");
        assert_eq!(x("}").unwrap(), "}");
        assert_eq!(x("").unwrap(), "");
    }

    #[test]
    fn required_names_stop_everything_with_their_message() {
        let e = x("${NOPE:?set NOPE to the port}").unwrap_err();
        assert!(
            e.contains("NOPE") && e.contains("set NOPE to the port"),
            "{e}"
        );
        let e = x("${EMPTY:?must not be empty}").unwrap_err();
        assert!(
            e.contains("EMPTY") && e.contains("must not be empty"),
            "{e}"
        );
        let e = x("${NOPE?}").unwrap_err();
        assert!(e.contains("NOPE is not set"), "{e}");
        // The message is expanded, and shown escaped.
        let e = x("${NOPE:?port $PORT is taken\n}").unwrap_err();
        assert!(e.contains("port 8123 is taken\\n"), "{e}");
    }

    #[test]
    fn broken_braces_are_usage_errors_naming_the_word() {
        for word in ["${PORT", "${", "x${UNSET:-y", "${UNSET:-${PORT}"] {
            let e = x(word).unwrap_err();
            assert!(e.contains("no '}'") && e.contains(word), "{word}: {e}");
        }
        for word in [
            "${}",
            "${1}",
            "${#PORT}",
            "${PORT%x}",
            "${A B}",
            "${PORT:=x}",
        ] {
            let e = x(word).unwrap_err();
            assert!(e.contains("only $NAME"), "{word}: {e}");
        }
    }

    #[test]
    fn hostile_words_are_bounded() {
        let deep = "${U:-".repeat(100_000) + &"}".repeat(100_000);
        assert!(x(&deep).unwrap_err().contains("nests more than"));
        let ok = "${U:-".repeat(DEEPEST) + "z" + &"}".repeat(DEEPEST);
        assert_eq!(x(&ok).unwrap(), "z");
        let many = "$PORT".repeat(100_000);
        assert!(x(&many).unwrap_err().contains("KiB"));
        let fine = "$PORT".repeat(1000);
        assert_eq!(x(&fine).unwrap().len(), 4000);
    }

    #[test]
    fn the_first_of_a_name_in_the_environment_wins() {
        let env =
            Env::new([("A", "1"), ("A", "2")].map(|(k, v)| (OsString::from(k), OsString::from(v))));
        assert_eq!(word(OsStr::new("$A"), &env).unwrap(), b"1");
    }
}
