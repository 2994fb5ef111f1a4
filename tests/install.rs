//! `rinit --install DIR`: rinit copies itself into a directory, for images
//! without a shell or `cp` (a pod's initContainer from rinit's image).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{clean_slate, rinit_bin, run_with_deadline};

/// A directory of the test's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("rinit-install-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The file that runs: the shipped binary the test symlink points at.
fn running_binary() -> Vec<u8> {
    fs::read(fs::canonicalize(rinit_bin()).unwrap()).unwrap()
}

/// rinit --install DIR under a umask that would drop every permission of
/// group and others: (status, stdout, stderr).
fn install_into(dir: &Path) -> (i32, String, String) {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "umask 077; exec \"$0\" --install \"$1\""])
        .arg(rinit_bin())
        .arg(dir);
    clean_slate(&mut cmd);
    run_with_deadline(cmd)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn install_copies_the_running_binary_byte_for_byte_with_mode_0755() {
    let dir = Scratch::new("copy");
    let (status, out, err) = install_into(&dir.0);
    assert_eq!(status, 0, "{err}");
    // One line, on stderr as every line rinit says.
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("[rinit] installed '") && err.ends_with("/rinit'\n"),
        "{err}"
    );
    let copy = dir.0.join("rinit");
    assert!(
        fs::read(&copy).unwrap() == running_binary(),
        "not the same bytes"
    );
    assert_eq!(
        fs::metadata(&copy).unwrap().permissions().mode() & 0o7777,
        0o755
    );
    // Nothing else: the temporary name is gone.
    assert_eq!(names_in(&dir.0), ["rinit"]);
}

#[test]
fn the_installed_copy_runs_as_rinit() {
    let dir = Scratch::new("runs");
    assert_eq!(install_into(&dir.0).0, 0);
    let mut cmd = Command::new(dir.0.join("rinit"));
    cmd.args(["--", "sh", "-c", "exit 3"]);
    clean_slate(&mut cmd);
    assert_eq!(run_with_deadline(cmd).0, 3);
}

#[test]
fn install_replaces_an_older_copy() {
    let dir = Scratch::new("replace");
    let copy = dir.0.join("rinit");
    fs::write(&copy, b"an older rinit").unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(install_into(&dir.0).0, 0);
    assert!(fs::read(&copy).unwrap() == running_binary(), "not replaced");
    assert_eq!(
        fs::metadata(&copy).unwrap().permissions().mode() & 0o7777,
        0o755
    );
    assert_eq!(names_in(&dir.0), ["rinit"]);
}

#[test]
fn install_into_a_missing_directory_is_one_line_and_exit_1() {
    let dir = Scratch::new("missing");
    let missing = dir.0.join("nope");
    let (status, out, err) = install_into(&missing);
    assert_eq!(status, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("[rinit] --install '") && err.contains("No such file or directory"),
        "{err}"
    );
    assert!(!missing.exists());
}
