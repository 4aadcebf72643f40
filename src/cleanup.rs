//! Folders that must not outlive the process that made them, even when it is
//! killed with SIGKILL (no destructor runs then). The search records live in
//! `/dev/shm`, memory that is only returned when the folder is removed, so a
//! killed build at 100,000 pages would otherwise keep a gigabyte until reboot.
//!
//! A guard starts `sh` in its own process group, reading a pipe from us. When
//! this process ends in any way, the kernel closes the pipe; `sh` then removes
//! the folder (already gone after a normal exit, so that is a no-op). Its own
//! process group keeps a terminal's Ctrl-C from ending it together with us.

use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct RemoveOnExit {
    child: Option<Child>,
}

impl RemoveOnExit {
    /// Guards `dir`. Without `sh` (or off Unix) the guard does nothing and
    /// the folder is removed only by its owner's destructor, as before.
    pub fn guard(dir: &Path) -> RemoveOnExit {
        RemoveOnExit { child: spawn(dir) }
    }
}

#[cfg(unix)]
fn spawn(dir: &Path) -> Option<Child> {
    use std::os::unix::process::CommandExt;
    Command::new("sh")
        .args([
            "-c",
            "cat >/dev/null; rm -rf -- \"$1\"",
            "kennisbank-opruimen",
        ])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()
}

#[cfg(not(unix))]
fn spawn(_dir: &Path) -> Option<Child> {
    None
}

impl Drop for RemoveOnExit {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Closing the pipe lets `sh` finish; waiting leaves no zombie.
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_folder_goes_when_the_guard_goes() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("records");
        std::fs::create_dir_all(inner.join("a/b")).unwrap();
        std::fs::write(inner.join("a/b/index.html"), "x").unwrap();
        let guard = RemoveOnExit::guard(&inner);
        assert!(inner.exists(), "the guard leaves the folder while it lives");
        drop(guard);
        assert!(!inner.exists());
    }
}
