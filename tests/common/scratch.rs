//! A directory of one test's own, removed when the test ends.

use std::fs;

use super::{within, PATIENCE};

/// A directory of one test's own below the temp directory, for the files
/// it hands rinit and its commands (logs, FIFOs, "ready" marks), removed
/// with all it holds when dropped. Anyone may write in it, as in /tmp: some
/// commands run as another user.
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rinit-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let sticky = std::os::unix::fs::PermissionsExt::from_mode(0o1777);
        fs::set_permissions(&dir, sticky).unwrap();
        Scratch(dir)
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.0
    }

    /// The path of `name` in it.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    /// A FIFO `name` in it, and its read end opened without blocking (a
    /// FIFO's open for reading waits for a writer otherwise): its path and
    /// the reader.
    pub fn fifo(&self, name: &str) -> (String, fs::File) {
        use std::os::unix::fs::OpenOptionsExt;
        let fifo = self.path(name);
        nix::unistd::mkfifo(fifo.as_str(), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        (fifo, reader)
    }

    /// What `name` holds; empty while it does not exist.
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.0.join(name)).unwrap_or_default()
    }

    /// Whether `name` exists.
    pub fn has(&self, name: &str) -> bool {
        fs::symlink_metadata(self.0.join(name)).is_ok()
    }

    /// Waits for `name` to exist; what it holds then, failing the test with
    /// "`what` never came" at PATIENCE.
    pub fn wait_for(&self, name: &str, what: &str) -> String {
        within(PATIENCE, || fs::read_to_string(self.0.join(name)).ok())
            .unwrap_or_else(|| panic!("{what} never came"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
