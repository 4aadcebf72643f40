//! Write stage: the site is written into a fresh folder beside the output
//! and swapped in only when complete, so a failed or killed build leaves the
//! previous output exactly as it was.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Code, Diagnostic};
use crate::model::Asset;

/// Marks a folder as ours, so we never replace a folder we did not write.
pub(crate) const MARKER: &str = ".kennisbank-output";

/// Refuses output folders whose replacement would destroy sources.
pub(crate) fn check_output_dir(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let root = absolute(root);
    let out = absolute(out);
    let refuse = |why: &str| {
        Err(Diagnostic::error(
            Code::OutputRefused,
            out.clone(),
            format!("deze map kan niet de uitvoermap zijn: {why}"),
        )
        .hint("kies een aparte map, bijvoorbeeld public/ (de standaard)"))
    };
    if out == root {
        return refuse("het is de sitemap zelf");
    }
    if root.starts_with(&out) {
        return refuse("de site staat erin");
    }
    for sub in ["content", "themes", "templates", "static", "i18n"] {
        if out.starts_with(root.join(sub)) {
            return refuse(&format!("ze ligt in {sub}/"));
        }
    }
    if out.is_dir() && !out.join(MARKER).exists() {
        let non_empty = std::fs::read_dir(&out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(Diagnostic::error(
                Code::OutputRefused,
                out.clone(),
                "de map bestaat al, is niet leeg en is niet eerder door kennisbank geschreven",
            )
            .hint("kies een lege of nieuwe map; kennisbank vervangt alleen zijn eigen uitvoer"));
        }
    }
    Ok(())
}

/// Best-effort absolute, normalised path (the folder may not exist yet).
pub(crate) fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => absolute(parent).join(name),
        _ => abs,
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WriteStats {
    pub files: usize,
    pub bytes: u64,
    /// Files whose bytes were new (the rest were already there, untouched).
    pub changed: usize,
}

fn staging_prefix(out: &Path) -> String {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("public");
    format!(".{name}.kb-")
}

/// The output of the build before the current one, kept beside it
/// (`.public.kb-previous/`) and reused as the next build's staging folder.
pub(crate) fn previous_dir(out: &Path) -> PathBuf {
    let out = absolute(out);
    let parent = out.parent().map(Path::to_path_buf).unwrap_or_default();
    parent.join(format!("{}previous", staging_prefix(&out)))
}

/// Staging folders left by builds that were killed: `(path, pid alive)`.
fn stale_staging(out: &Path) -> Vec<PathBuf> {
    let Some(parent) = out.parent() else {
        return Vec::new();
    };
    let prefix = format!("{}tmp-", staging_prefix(out));
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let pid = name.to_str()?.strip_prefix(&prefix)?.parse::<u32>().ok()?;
            let alive = pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists();
            (!alive).then(|| e.path())
        })
        .collect()
}

/// A build's output being written into a private folder beside the output,
/// which becomes the output only on [`Staging::commit`]. Safe to write from
/// many threads at once.
///
/// A mass delete followed by mass creation is slow on many file systems
/// (on ext4 without a journal, new inodes skip the recently deleted ones
/// one by one), and it rewrites what did not change. So nothing is deleted
/// wholesale: the staging folder is the previous output when there is one,
/// files are compared and only changed ones written, files no longer made
/// are pruned, and after the swap the replaced output becomes the next
/// build's previous output.
pub(crate) struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// Updating an older output in place (compare, prune) rather than
    /// filling an empty folder.
    reuse: bool,
    written: Mutex<Vec<String>>,
    files: AtomicUsize,
    changed: AtomicUsize,
    bytes: AtomicU64,
    done: bool,
}

impl Staging {
    /// Claims a staging folder for `out`: the previous output if there is
    /// one (taken by rename, so two builds never share it), else a new one.
    pub(crate) fn begin(out: &Path) -> Result<Staging, Diagnostic> {
        let out = absolute(out);
        let parent = out
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
        let dir = parent.join(format!(
            "{}tmp-{}",
            staging_prefix(&out),
            std::process::id()
        ));
        let previous = previous_dir(&out);
        // What killed builds left is a partly updated output: as good a
        // starting point as any, when there is no previous one.
        for stale in stale_staging(&out) {
            if !previous.exists() && std::fs::rename(&stale, &previous).is_ok() {
                continue;
            }
            let _ = std::fs::remove_dir_all(&stale);
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        let reuse = previous.join(MARKER).is_file() && std::fs::rename(&previous, &dir).is_ok();
        if !reuse {
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        let staging = Staging {
            out,
            dir,
            reuse,
            written: Mutex::new(Vec::new()),
            files: AtomicUsize::new(0),
            changed: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            done: false,
        };
        staging.put(MARKER, b"")?;
        // Not counted as a file of the site.
        staging.files.store(0, Ordering::Relaxed);
        staging.changed.store(0, Ordering::Relaxed);
        Ok(staging)
    }

    /// Writes one file (`rel` is `/`-separated, relative to the output).
    pub(crate) fn put(&self, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        let path = self.dir.join(rel);
        let changed = if !self.reuse {
            write_fresh(&path, bytes).map_err(|e| io_error(&path, e))?;
            true
        } else if same_contents(&path, bytes) {
            false
        } else {
            write_making_room(&self.dir, &path, |p| std::fs::write(p, bytes))
                .map_err(|e| io_error(&path, e))?;
            true
        };
        self.record(rel, bytes.len() as u64, changed);
        Ok(())
    }

    /// Copies a static file or bundle asset.
    pub(crate) fn copy(&self, asset: &Asset) -> Result<(), Diagnostic> {
        if let Some(bytes) = asset.embedded {
            return self.put(&asset.dest, bytes);
        }
        let path = self.dir.join(&asset.dest);
        let source_len = std::fs::metadata(&asset.source)
            .map_err(|e| io_error(&asset.source, e))?
            .len();
        let unchanged = self.reuse
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == source_len)
            && std::fs::read(&asset.source).is_ok_and(|b| same_contents(&path, &b));
        if !unchanged {
            write_making_room(&self.dir, &path, |p| {
                std::fs::copy(&asset.source, p).map(|_| ())
            })
            .map_err(|e| io_error(&asset.source, e))?;
        }
        self.record(&asset.dest, source_len, !unchanged);
        Ok(())
    }

    fn record(&self, rel: &str, len: u64, changed: bool) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len, Ordering::Relaxed);
        if changed {
            self.changed.fetch_add(1, Ordering::Relaxed);
        }
        if self.reuse {
            if let Ok(mut w) = self.written.lock() {
                w.push(rel.to_string());
            }
        }
    }

    /// Removes what the older output had and this build did not write, then
    /// swaps the staging folder in; the replaced output is kept as the
    /// previous one.
    pub(crate) fn commit(mut self) -> Result<WriteStats, Diagnostic> {
        if self.reuse {
            let written: HashSet<String> = std::mem::take(
                &mut *self
                    .written
                    .lock()
                    .map_err(|_| io_error(&self.dir, poisoned()))?,
            )
            .into_iter()
            .collect();
            prune(&self.dir, &written).map_err(|e| io_error(&self.dir, e))?;
        }
        swap_in(&self.dir, &self.out)?;
        self.done = true;
        Ok(WriteStats {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            changed: self.changed.load(Ordering::Relaxed),
        })
    }
}

impl Drop for Staging {
    /// A build that failed keeps what it wrote as the previous output (it
    /// is only ever compared against, never trusted), so nothing is deleted.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let previous = previous_dir(&self.out);
        if previous.exists() || std::fs::rename(&self.dir, &previous).is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn poisoned() -> std::io::Error {
    std::io::Error::other("a writer thread panicked")
}

/// Whether the file at `path` holds exactly `bytes`.
fn same_contents(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    if !f
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
    {
        return false;
    }
    let mut old = Vec::with_capacity(bytes.len());
    f.read_to_end(&mut old).is_ok() && old == bytes
}

/// Writes a file into a staging folder that started empty, where nothing
/// can be in the way: its folder is made first (almost every page has its
/// own), so a new file costs a `mkdir` and an `open`, not a failed `open`,
/// a `stat`, the `mkdir` and the `open` (at 100,000 pages file creation is
/// a third of the build's system time).
fn write_fresh(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        match std::fs::create_dir(parent) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(_) => std::fs::create_dir_all(parent)?,
        }
    }
    std::fs::write(path, bytes)
}

/// Runs `write(path)`; when that fails because folders are missing or a
/// file or folder of an older output is in the way, makes room (inside
/// `root` only) and tries once more.
fn write_making_room(
    root: &Path,
    path: &Path,
    write: impl Fn(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if write(path).is_ok() {
        return Ok(());
    }
    if path.is_dir() {
        std::fs::remove_dir_all(path)?;
    }
    if let Some(parent) = path.parent() {
        if std::fs::create_dir_all(parent).is_err() {
            // A file where a folder must go (an older output's `a`, now `a/b`).
            let mut cur = parent;
            while cur.starts_with(root) && cur != root {
                if cur.is_file() || cur.is_symlink() {
                    std::fs::remove_file(cur)?;
                }
                match cur.parent() {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            std::fs::create_dir_all(parent)?;
        }
    }
    write(path)
}

/// Removes every file under `dir` whose relative path is not in `keep`,
/// then the folders left empty.
fn prune(dir: &Path, keep: &HashSet<String>) -> std::io::Result<()> {
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        if entry.file_type().is_dir() {
            dirs.push(entry.into_path());
        } else if !keep.contains(&rel) {
            std::fs::remove_file(entry.path())?;
        }
    }
    // Deepest first; a folder that still has files is simply not removed.
    for d in dirs.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
    Ok(())
}

/// Puts `staging` at `out`. On Linux the two folders are exchanged in one
/// atomic step, so `out` is never missing. The replaced output becomes the
/// previous output.
fn swap_in(staging: &Path, out: &Path) -> Result<(), Diagnostic> {
    if !out.exists() {
        return std::fs::rename(staging, out).map_err(|e| io_error(out, e));
    }
    let previous = previous_dir(out);
    if exchange(staging, out).is_ok() {
        keep_as_previous(staging, &previous);
        return Ok(());
    }
    // Fallback: two renames, with a short window where `out` is missing.
    let old = staging.with_extension("old");
    std::fs::rename(out, &old).map_err(|e| io_error(out, e))?;
    if let Err(e) = std::fs::rename(staging, out) {
        let _ = std::fs::rename(&old, out);
        return Err(io_error(out, e));
    }
    keep_as_previous(&old, &previous);
    Ok(())
}

/// Keeps a replaced output for the next build. Git does not show it: a
/// `.gitignore` inside ignores the folder itself (the next build prunes it).
fn keep_as_previous(old: &Path, previous: &Path) {
    if previous.exists() || std::fs::rename(old, previous).is_err() {
        let _ = std::fs::remove_dir_all(old);
        return;
    }
    let _ = std::fs::write(
        previous.join(".gitignore"),
        "# Vorige uitvoer van kennisbank, hergebruikt door de volgende build.\n*\n",
    );
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both pointers are valid NUL-terminated paths for the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

fn io_error(path: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error(Code::OutputWrite, path, format!("schrijven mislukt: {e}"))
        .hint("controleer rechten en vrije schijfruimte")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::OutputFile;
    use rayon::prelude::*;

    /// Writes `files` and `assets` through a [`Staging`] folder and swaps it
    /// in, as a build does while it renders.
    fn write_site(
        out: &Path,
        files: &[OutputFile],
        assets: &[Asset],
    ) -> Result<WriteStats, Diagnostic> {
        let staging = Staging::begin(out)?;
        files
            .par_iter()
            .try_for_each(|f| staging.put(&f.path, &f.bytes))?;
        assets.par_iter().try_for_each(|a| staging.copy(a))?;
        staging.commit()
    }

    #[test]
    fn refuses_root_content_and_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("site");
        std::fs::create_dir_all(root.join("content")).unwrap();
        assert!(check_output_dir(&root, &root).is_err());
        assert!(check_output_dir(&root, &root.join("content")).is_err());
        assert!(check_output_dir(&root, tmp.path()).is_err());
        assert!(check_output_dir(&root, &root.join("public")).is_ok());
    }

    #[test]
    fn refuses_foreign_non_empty_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("docs");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("belangrijk.txt"), "x").unwrap();
        assert!(check_output_dir(&tmp.path().join("site"), &out).is_err());
    }

    fn file(p: &str, b: &str) -> OutputFile {
        OutputFile {
            path: p.into(),
            bytes: b.into(),
            source: None,
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_fresh_output_makes_missing_folders_at_any_depth_and_in_any_order() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        // Deepest first, so a page's folder is made before its section's.
        let files = [
            file("pilots/loopbaan/2024/gesprek/index.html", "gesprek"),
            file("pilots/loopbaan/index.html", "loopbaan"),
            file("pilots/index.html", "pilots"),
            file("pilots/stage-zwolle/index.html", "stage"),
            file("tags/mbo/index.html", "mbo"),
            file("index.html", "home"),
            file("sitemap.xml", "kaart"),
        ];
        // One at a time, in this order (write_site writes in parallel).
        let staging = Staging::begin(&out).unwrap();
        for f in &files {
            staging.put(&f.path, &f.bytes).unwrap();
        }
        let stats = staging.commit().unwrap();
        assert_eq!(stats.files, files.len());
        assert_eq!(stats.changed, files.len());
        for f in &files {
            assert_eq!(
                std::fs::read(out.join(&f.path)).unwrap(),
                f.bytes,
                "{}",
                f.path
            );
        }
    }

    #[test]
    fn swap_replaces_old_output_and_keeps_it_as_the_previous() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        write_site(
            &out,
            &[file("index.html", "een"), file("a/index.html", "a")],
            &[],
        )
        .unwrap();
        assert_eq!(names(tmp.path()), ["public"]);
        write_site(&out, &[file("index.html", "twee")], &[]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "twee"
        );
        assert!(!out.join("a").exists());
        assert_eq!(names(tmp.path()), [".public.kb-previous", "public"]);
        let previous = previous_dir(&out);
        assert_eq!(
            std::fs::read_to_string(previous.join("index.html")).unwrap(),
            "een"
        );
        // Git ignores it, and the next build prunes that file again.
        assert!(previous.join(".gitignore").is_file());
        write_site(&out, &[file("index.html", "drie")], &[]).unwrap();
        assert_eq!(names(&out), [MARKER, "index.html"]);
        assert_eq!(
            std::fs::read_to_string(previous.join("index.html")).unwrap(),
            "twee"
        );
    }

    #[test]
    fn reused_output_writes_only_changed_files_and_prunes_the_rest() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let site = |extra: &str| {
            vec![
                file("index.html", "zelfde"),
                file("p/index.html", extra),
                file("weg/index.html", "weg"),
            ]
        };
        write_site(&out, &site("een"), &[]).unwrap();
        write_site(&out, &site("twee"), &[]).unwrap();
        // The third build reuses the first one's folder.
        let inode = |p: &str| std::fs::metadata(previous_dir(&out).join(p)).unwrap().ino();
        let unchanged = inode("index.html");
        let mut third = site("drie");
        third.pop();
        let stats = write_site(&out, &third, &[]).unwrap();
        assert_eq!((stats.files, stats.changed), (2, 1));
        assert_eq!(
            std::fs::metadata(out.join("index.html")).unwrap().ino(),
            unchanged
        );
        assert_eq!(
            std::fs::read_to_string(out.join("p/index.html")).unwrap(),
            "drie"
        );
        assert!(!out.join("weg").exists(), "pruned, folder included");
    }

    #[test]
    fn a_file_where_a_folder_must_go_is_replaced_and_back() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let a_file = vec![file("a", "bestand")];
        let a_dir = vec![file("a/b.txt", "in map")];
        for (round, files) in [&a_file, &a_dir, &a_file, &a_dir, &a_dir]
            .iter()
            .enumerate()
        {
            write_site(&out, files, &[]).unwrap_or_else(|e| panic!("round {round}: {e}"));
            let (path, text) = (
                &files[0].path,
                std::str::from_utf8(&files[0].bytes).unwrap(),
            );
            assert_eq!(
                std::fs::read_to_string(out.join(path)).unwrap(),
                text,
                "round {round}"
            );
        }
    }

    #[test]
    fn a_failed_build_keeps_its_folder_as_the_previous_and_output_stays() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        write_site(&out, &[file("index.html", "een")], &[]).unwrap();
        {
            let staging = Staging::begin(&out).unwrap();
            staging.put("index.html", b"half").unwrap();
            // Dropped without commit: the build failed.
        }
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "een"
        );
        assert_eq!(names(tmp.path()), [".public.kb-previous", "public"]);
        write_site(&out, &[file("index.html", "twee")], &[]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "twee"
        );
        assert_eq!(names(tmp.path()), [".public.kb-previous", "public"]);
    }

    #[test]
    fn a_killed_build_folder_becomes_the_previous() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        write_site(&out, &[file("index.html", "een")], &[]).unwrap();
        // pid 0 is never a running build.
        let stale = tmp.path().join(".public.kb-tmp-0");
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join(MARKER), "").unwrap();
        std::fs::write(stale.join("oud.html"), "oud").unwrap();
        write_site(&out, &[file("index.html", "twee")], &[]).unwrap();
        assert!(!stale.exists());
        assert_eq!(names(&out), [MARKER, "index.html"]);
        assert_eq!(names(tmp.path()), [".public.kb-previous", "public"]);
    }
}
