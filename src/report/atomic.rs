//! Replacing a file atomically: write a temporary sibling, fsync it, rename it over the target.
//! A CI step reading the report meanwhile sees the old one or the new one, never a torn file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::ReportError;

/// Tells apart the temporary files of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` through `.<name>.tmp-<pid>-<n>` in the same directory (a rename only
/// replaces atomically within one filesystem). On failure the temporary file is removed and an
/// existing file at `path` is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let not_a_file = || ReportError::NotAFile {
        path: path.to_owned(),
    };
    let name = path.file_name().ok_or_else(not_a_file)?;
    if path.is_dir() {
        return Err(not_a_file());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|source| ReportError::CreateDir {
        dir: dir.clone(),
        path: path.to_owned(),
        source,
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    replace(&dir.join(tmp_name), path, bytes)?;
    // The rename is durable only once the directory is synced. Some filesystems refuse to sync
    // a directory; the report is in place by now, so that is not worth failing the build.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Moves `bytes` into `path` through `tmp`, removing `tmp` whatever fails.
fn replace(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let result = write_synced(tmp, bytes).and_then(|()| fs::rename(tmp, path));
    result.map_err(|source| {
        // The temporary file may not exist (creation failed); nothing to clean up then.
        let _ = fs::remove_file(tmp);
        ReportError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

fn write_synced(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // create_new: never write through a stale temporary file or a planted symlink.
    let mut file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        fs::write(&path, "old\n").unwrap();
        write_atomically(&path, b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn creates_missing_parents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/r.env");
        write_atomically(&path, b"X=1\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "X=1\n");
    }

    #[test]
    fn a_directory_is_not_a_report_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(dir.path(), b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the report path {} names a directory, not a file; pass a file path such as {}/.werf-build-report.json",
                dir.path().display(),
                dir.path().display()
            )
        );
    }

    #[test]
    fn a_failed_rename_keeps_the_old_report_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory at the target makes the rename fail after the temporary file
        // is written and synced (write_atomically refuses it up front, so go one level down).
        let path = dir.path().join("r.json");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep"), "old").unwrap();
        let err = replace(&dir.path().join(".r.json.tmp-1-0"), &path, b"new").unwrap_err();
        assert!(matches!(err, ReportError::Write { .. }), "{err}");
        assert_eq!(fs::read_to_string(path.join("keep")).unwrap(), "old");
        assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn an_unwritable_directory_names_the_path_and_keeps_the_old_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        fs::write(&path, "old\n").unwrap();
        let mut perms = fs::metadata(dir.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        fs::set_permissions(dir.path(), perms.clone()).unwrap();
        let result = write_atomically(&path, b"new\n");
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(dir.path(), perms).unwrap();
        // root ignores directory permissions; the check is only meaningful for other users.
        if let Err(err) = result {
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("cannot write the report {}: ", path.display())),
                "{msg}"
            );
            assert!(
                msg.ends_with(
                    "; check that its directory is writable and has free space, or choose \
                     another path (--report-path or --build-report-path)"
                ),
                "{msg}"
            );
            assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
            assert_eq!(leftovers(dir.path()), Vec::<String>::new());
        }
    }

    #[test]
    fn a_file_in_the_way_of_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), "").unwrap();
        let path = dir.path().join("f/r.json");
        let msg = write_atomically(&path, b"x").unwrap_err().to_string();
        let prefix = format!(
            "cannot create the directory {} for the report {}: ",
            dir.path().join("f").display(),
            path.display()
        );
        assert!(msg.starts_with(&prefix), "{msg}");
        assert!(
            msg.ends_with(
                "; create it yourself or choose another path (--report-path or --build-report-path)"
            ),
            "{msg}"
        );
    }
}
