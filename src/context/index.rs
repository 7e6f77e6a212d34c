//! A reader for git's index file (versions 2 to 4): what git last recorded about each tracked
//! file. libgit2's reader verifies a SHA-1 checksum and allocates per entry, which costs more
//! than listing the whole tree on large repositories; this one only slices the mapped bytes.

/// One tracked file as the index records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub path: String,
    pub mtime: (u32, u32),
    pub ino: u32,
    pub mode: u32,
    pub size: u32,
    pub id: git2::Oid,
    /// Set for unmerged (conflicted) entries.
    pub stage: u8,
    /// `git update-index --skip-worktree` / sparse checkout: the working tree is not consulted.
    pub skip_worktree: bool,
}

/// Why the index could not be read by this reader (the caller then falls back to libgit2).
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

/// Parses an index file's bytes.
pub fn parse(data: &[u8]) -> Result<Vec<IndexEntry>, Unsupported> {
    let bad = Unsupported("malformed index");
    if data.len() < 12 || &data[..4] != b"DIRC" {
        return Err(bad);
    }
    let version = be32(&data[4..8]);
    if !(2..=4).contains(&version) {
        return Err(Unsupported("unknown index version"));
    }
    let count = be32(&data[8..12]) as usize;
    let mut entries = Vec::with_capacity(count);
    let mut pos = 12;
    let mut prev_path: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = pos;
        let fixed = data
            .get(pos..pos + 62)
            .ok_or(Unsupported("truncated index"))?;
        let mtime = (be32(&fixed[8..12]), be32(&fixed[12..16]));
        let ino = be32(&fixed[20..24]);
        let mode = be32(&fixed[24..28]);
        let size = be32(&fixed[36..40]);
        let id = git2::Oid::from_bytes(&fixed[40..60]).map_err(|_| Unsupported("bad object id"))?;
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        pos += 62;
        let mut skip_worktree = false;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return Err(Unsupported("extended flags in a version 2 index"));
            }
            let ext = data
                .get(pos..pos + 2)
                .ok_or(Unsupported("truncated index"))?;
            skip_worktree = u16::from_be_bytes([ext[0], ext[1]]) & 0x4000 != 0;
            pos += 2;
        }
        let path = if version == 4 {
            let (strip, used) = varint(&data[pos..]).ok_or(Unsupported("bad path prefix"))?;
            pos += used;
            let end = memchr(&data[pos..]).ok_or(Unsupported("unterminated path"))?;
            let keep = prev_path
                .len()
                .checked_sub(strip)
                .ok_or(Unsupported("bad path prefix"))?;
            prev_path.truncate(keep);
            prev_path.extend_from_slice(&data[pos..pos + end]);
            pos += end + 1;
            prev_path.clone()
        } else {
            let end = memchr(&data[pos..]).ok_or(Unsupported("unterminated path"))?;
            let path = data[pos..pos + end].to_vec();
            // Entries are NUL-padded to a multiple of 8 bytes, with at least one NUL.
            let len = pos + end - start;
            pos = start + (len + 8) / 8 * 8;
            path
        };
        if mode & 0o170000 == 0o040000 {
            return Err(Unsupported("sparse index"));
        }
        let path = String::from_utf8(path).map_err(|_| Unsupported("non-UTF-8 path"))?;
        entries.push(IndexEntry {
            path,
            mtime,
            ino,
            mode,
            size,
            id,
            stage: ((flags >> 12) & 0x3) as u8,
            skip_worktree,
        });
    }
    // Extensions follow the entries; a split index keeps entries in another file.
    while pos + 8 <= data.len().saturating_sub(20) {
        let sig = &data[pos..pos + 4];
        if sig == b"link" {
            return Err(Unsupported("split index"));
        }
        pos += 8 + be32(&data[pos + 4..pos + 8]) as usize;
    }
    Ok(entries)
}

/// Reads the index of the repository whose git directory is `git_dir`, through libgit2 when
/// the file uses a feature this reader leaves out.
pub fn read(repo: &git2::Repository) -> Result<Vec<IndexEntry>, git2::Error> {
    let file = repo.path().join("index");
    match std::fs::read(&file) {
        Ok(data) => {
            if let Ok(entries) = parse(&data) {
                return Ok(entries);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(_) => {}
    }
    read_with_libgit2(repo)
}

fn read_with_libgit2(repo: &git2::Repository) -> Result<Vec<IndexEntry>, git2::Error> {
    let index = repo.index()?;
    Ok(index
        .iter()
        .filter_map(|e| {
            Some(IndexEntry {
                path: String::from_utf8(e.path).ok()?,
                mtime: (e.mtime.seconds() as u32, e.mtime.nanoseconds()),
                ino: e.ino,
                mode: e.mode,
                size: e.file_size,
                id: e.id,
                stage: ((e.flags >> 12) & 0x3) as u8,
                skip_worktree: e.flags_extended & 0x4000 != 0,
            })
        })
        .collect())
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn memchr(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == 0)
}

/// git's offset encoding (index v4 path prefixes).
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut byte = *b.first()?;
    let mut value = usize::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        i += 1;
        byte = *b.get(i)?;
        value = ((value + 1) << 7) | usize::from(byte & 0x7f);
    }
    Some((value, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    }

    /// Every index version git writes parses to what libgit2 reads.
    #[test]
    fn matches_libgit2_for_versions_2_3_4() {
        for version in ["2", "3", "4"] {
            let dir = tempfile::tempdir().unwrap();
            git(dir.path(), &["init", "-q"]);
            for (p, c) in [
                ("a.txt", "a"),
                ("dir/b.txt", "b"),
                ("dir/sub/c.txt", "c"),
                ("dir/sub/c.txt.orig", "d"),
                ("dir/sub2/long-name-that-shares-no-prefix.bin", "e"),
                ("z", "f"),
            ] {
                let f = dir.path().join(p);
                std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                std::fs::write(f, c).unwrap();
            }
            git(dir.path(), &["add", "-A"]);
            git(dir.path(), &["update-index", "--index-version", version]);
            if version != "2" {
                git(dir.path(), &["update-index", "--skip-worktree", "z"]);
            }
            let repo = git2::Repository::open(dir.path()).unwrap();
            let data = std::fs::read(repo.path().join("index")).unwrap();
            let ours = parse(&data).unwrap_or_else(|e| panic!("v{version}: {e:?}"));
            let theirs = read_with_libgit2(&repo).unwrap();
            assert_eq!(ours, theirs, "index version {version}");
            assert_eq!(ours.len(), 6);
            assert_eq!(ours.last().unwrap().skip_worktree, version != "2");
        }
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse(b"nope"), Err(Unsupported("malformed index")));
        assert_eq!(
            parse(b"DIRC\0\0\0\x09\0\0\0\0"),
            Err(Unsupported("unknown index version"))
        );
        assert_eq!(
            parse(b"DIRC\0\0\0\x02\0\0\0\x01"),
            Err(Unsupported("truncated index"))
        );
    }
}
