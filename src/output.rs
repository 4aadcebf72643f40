//! Write stage: the site is written into a fresh folder beside the output
//! and swapped in only when complete, so a failed or killed build leaves the
//! previous output exactly as it was.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::Diagnostic;
use crate::model::Asset;
use crate::render::OutputFile;

/// Marks a folder as ours, so we never replace a folder we did not write.
pub const MARKER: &str = ".kennisbank-output";

/// Refuses output folders whose replacement would destroy sources.
pub fn check_output_dir(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let root = absolute(root);
    let out = absolute(out);
    let refuse = |why: &str| {
        Err(Diagnostic::error(
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
                out.clone(),
                "de map bestaat al, is niet leeg en is niet eerder door kennisbank geschreven",
            )
            .hint("kies een lege of nieuwe map; kennisbank vervangt alleen zijn eigen uitvoer"));
        }
    }
    Ok(())
}

/// Best-effort absolute, normalised path (the folder may not exist yet).
pub fn absolute(p: &Path) -> PathBuf {
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
pub struct WriteStats {
    pub files: usize,
    pub bytes: u64,
}

fn staging_prefix(out: &Path) -> String {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("public");
    format!(".{name}.kb-")
}

/// Removes staging folders left by builds that were killed.
pub fn remove_stale_staging(out: &Path) {
    let Some(parent) = out.parent() else { return };
    let prefix = staging_prefix(out);
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.rsplit('-').next())
        else {
            continue;
        };
        let alive = pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
        });
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `files` and `assets` into a staging folder and swaps it in.
pub fn write_site(
    out: &Path,
    files: &[OutputFile],
    assets: &[Asset],
) -> Result<WriteStats, Diagnostic> {
    let out = absolute(out);
    let parent = out
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
    remove_stale_staging(&out);
    let staging = parent.join(format!(
        "{}tmp-{}",
        staging_prefix(&out),
        std::process::id()
    ));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io_error(&staging, e))?;
    }
    let result = write_tree(&staging, files, assets);
    let stats = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    swap_in(&staging, &out)?;
    Ok(stats)
}

/// Writes everything under `dir` (which must not exist yet).
pub fn write_tree(
    dir: &Path,
    files: &[OutputFile],
    assets: &[Asset],
) -> Result<WriteStats, Diagnostic> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    std::fs::write(dir.join(MARKER), b"").map_err(|e| io_error(dir, e))?;
    // Create folders once, up front, so the parallel writes need no checks.
    let mut dirs = BTreeSet::new();
    for p in files
        .iter()
        .map(|f| f.path.as_str())
        .chain(assets.iter().map(|a| a.dest.as_str()))
    {
        if let Some(i) = p.rfind('/') {
            dirs.insert(&p[..i]);
        }
    }
    for d in dirs {
        let path = dir.join(d);
        std::fs::create_dir_all(&path).map_err(|e| io_error(&path, e))?;
    }
    let written: Result<Vec<u64>, Diagnostic> = files
        .par_iter()
        .map(|f| {
            let path = dir.join(&f.path);
            std::fs::write(&path, &f.bytes).map_err(|e| io_error(&path, e))?;
            Ok(f.bytes.len() as u64)
        })
        .chain(assets.par_iter().map(|a| {
            let path = dir.join(&a.dest);
            std::fs::copy(&a.source, &path).map_err(|e| io_error(&a.source, e))
        }))
        .collect();
    let bytes = written?.into_iter().sum();
    Ok(WriteStats {
        files: files.len() + assets.len(),
        bytes,
    })
}

/// Puts `staging` at `out`. On Linux the two folders are exchanged in one
/// atomic step, so `out` is never missing; the old tree is then removed.
fn swap_in(staging: &Path, out: &Path) -> Result<(), Diagnostic> {
    if !out.exists() {
        return std::fs::rename(staging, out).map_err(|e| io_error(out, e));
    }
    if exchange(staging, out).is_ok() {
        let _ = std::fs::remove_dir_all(staging);
        return Ok(());
    }
    // Fallback: two renames, with a short window where `out` is missing.
    let old = staging.with_extension("old");
    std::fs::rename(out, &old).map_err(|e| io_error(out, e))?;
    if let Err(e) = std::fs::rename(staging, out) {
        let _ = std::fs::rename(&old, out);
        return Err(io_error(out, e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
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
    Diagnostic::error(path, format!("schrijven mislukt: {e}"))
        .hint("controleer rechten en vrije schijfruimte")
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn swap_replaces_old_output_and_leaves_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let file = |p: &str, b: &str| OutputFile {
            path: p.into(),
            bytes: b.into(),
            source: None,
        };
        write_site(
            &out,
            &[file("index.html", "een"), file("a/index.html", "a")],
            &[],
        )
        .unwrap();
        write_site(&out, &[file("index.html", "twee")], &[]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "twee"
        );
        assert!(!out.join("a").exists());
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("public")]);
    }
}
