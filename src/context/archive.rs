//! The tar stream of one image's build context, produced from git blobs, working-tree files and
//! in-memory files while it is sent, never held whole in memory.
//!
//! The tar is deterministic: entries in path order, parents before children, mtime 0, uid/gid 0,
//! no user names. The same commit therefore gives the same bytes, so the engine's layer cache
//! (which hashes `COPY` sources, including their metadata) is reused across runs and machines.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

/// Size of the pieces the stream yields.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Chunks produced ahead of the consumer: with [`CHUNK_SIZE`] this bounds the buffered part of
/// the tar to 256 KiB, whatever the size of the context.
const CHANNEL_DEPTH: usize = 4;

const BLOCK: usize = 512;

/// git's mode of a submodule (a commit of another repository: nothing to send).
const GIT_SUBMODULE: u32 = 0o160000;
const GIT_SYMLINK: u32 = 0o120000;

/// Where an entry's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySource {
    /// A committed file, read from the repository's object store.
    Blob(git2::Oid),
    /// A working-tree file (`contextAddFiles`, `--dev`).
    File(PathBuf),
    /// Content already in memory (the Dockerfile as planned).
    Bytes(Vec<u8>),
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// Relative to the context root, '/'-separated.
    pub path: String,
    /// git's file mode (0o100644, 0o100755, 0o120000 symlink).
    pub mode: u32,
    pub source: EntrySource,
}

/// A build context to send: its entries, sorted by path, and where to read blobs from.
#[derive(Debug, Clone)]
pub struct ContextArchive {
    repo_dir: PathBuf,
    entries: Vec<ArchiveEntry>,
    /// Every entry's modification time (0 unless [`ContextArchive::with_mtime`] sets one).
    mtime: u64,
}

impl ContextArchive {
    /// Entries are sorted by path here, so the tar's order never depends on the caller's.
    pub fn new(repo_dir: PathBuf, mut entries: Vec<ArchiveEntry>) -> Self {
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Self {
            repo_dir,
            entries,
            mtime: 0,
        }
    }

    /// The same archive with every entry dated `mtime` (Unix seconds). Storage drivers that
    /// find a layer's changes by comparing size and mtime (buildah's vfs) would miss a file
    /// replaced by one of the same size and the same (zero) time.
    pub fn with_mtime(mut self, mtime: u64) -> Self {
        self.mtime = mtime;
        self
    }

    pub fn entries(&self) -> &[ArchiveEntry] {
        &self.entries
    }

    pub fn repo_dir(&self) -> &std::path::Path {
        &self.repo_dir
    }

    /// Writes the whole tar (with its end-of-archive blocks) to `out` and returns it.
    ///
    /// The repository is opened only when an entry is a git blob, so archives of in-memory and
    /// working-tree files need no repository.
    pub fn write_to<W: Write>(&self, out: W) -> io::Result<W> {
        let mut tar = TarWriter {
            out,
            mtime: self.mtime,
        };
        let mut repo: Option<git2::Repository> = None;
        let mut dirs: BTreeSet<&str> = BTreeSet::new();
        for entry in &self.entries {
            if entry.mode == GIT_SUBMODULE || entry.path.is_empty() {
                continue;
            }
            for (i, _) in entry.path.match_indices('/') {
                let dir = &entry.path[..i];
                if dirs.insert(dir) {
                    tar.header(&format!("{dir}/"), Kind::Dir, 0, "")?;
                }
            }
            let symlink = entry.mode & 0o170000 == GIT_SYMLINK;
            let kind = if symlink {
                Kind::Symlink
            } else if entry.mode & 0o111 != 0 {
                Kind::Executable
            } else {
                Kind::File
            };
            match &entry.source {
                EntrySource::Bytes(bytes) => tar.entry(&entry.path, kind, bytes)?,
                EntrySource::Blob(oid) => {
                    let repo = match &mut repo {
                        Some(r) => r,
                        None => repo.insert(open_repo(&self.repo_dir)?),
                    };
                    write_blob(&mut tar, repo, *oid, &entry.path, kind)?;
                }
                EntrySource::File(abs) if symlink => {
                    let target = fs_err::read_link(abs)?;
                    tar.entry(&entry.path, kind, target.as_os_str().as_encoded_bytes())?;
                }
                EntrySource::File(abs) => {
                    let file = fs_err::File::open(abs)?;
                    let size = file.metadata()?.len();
                    tar.header(&entry.path, kind, size, "")?;
                    tar.body(file, size, abs)?;
                }
            }
        }
        // Two zero blocks end a tar.
        tar.out.write_all(&[0; 2 * BLOCK])?;
        Ok(tar.out)
    }

    /// The tar as a stream of [`CHUNK_SIZE`] pieces, produced in a thread of its own (reading
    /// blobs and files blocks) into a bounded channel: at most a few chunks wait in memory, and
    /// production stops as soon as the stream is dropped. A read error ends the stream with that
    /// error.
    pub fn into_stream(self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        let (tx, mut rx) = mpsc::channel(CHANNEL_DEPTH);
        let spawned = std::thread::Builder::new()
            .name("slipway-context-tar".to_owned())
            .spawn({
                let tx = tx.clone();
                move || {
                    let chunks = ChunkWriter {
                        tx: tx.clone(),
                        buf: Vec::with_capacity(CHUNK_SIZE),
                    };
                    let result = self.write_to(chunks).and_then(ChunkWriter::finish);
                    if let Err(e) = result {
                        // Nobody listens any more when the send fails: nothing to report to.
                        let _ = tx.blocking_send(Err(e));
                    }
                }
            });
        if let Err(e) = spawned {
            let _ = tx.try_send(Err(e));
        }
        drop(tx);
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}

fn open_repo(dir: &Path) -> io::Result<git2::Repository> {
    // GitRepo::open disabled git's owner check for this process before any context was listed.
    git2::Repository::open(dir).map_err(|e| {
        io::Error::other(format!(
            "opening the git repository {}: {}",
            dir.display(),
            e.message()
        ))
    })
}

fn write_blob<W: Write>(
    tar: &mut TarWriter<W>,
    repo: &git2::Repository,
    oid: git2::Oid,
    path: &str,
    kind: Kind,
) -> io::Result<()> {
    let missing = |e: git2::Error| {
        io::Error::other(format!(
            "reading {path} (blob {oid}) from the git repository: {}",
            e.message()
        ))
    };
    let odb = repo.odb().map_err(missing)?;
    // Loose objects can be streamed; packed ones (most of a clone) cannot, and are read whole:
    // memory then holds one file at a time, never the context.
    if kind != Kind::Symlink
        && let Ok((reader, size, _)) = odb.reader(oid)
    {
        let size = size as u64;
        tar.header(path, kind, size, "")?;
        return tar.body(reader, size, Path::new(path));
    }
    let object = odb.read(oid).map_err(missing)?;
    tar.entry(path, kind, object.data())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Executable,
    Symlink,
    Dir,
}

struct TarWriter<W> {
    out: W,
    mtime: u64,
}

impl<W: Write> TarWriter<W> {
    /// A whole entry from memory; a symlink's content is its target.
    fn entry(&mut self, path: &str, kind: Kind, content: &[u8]) -> io::Result<()> {
        if kind == Kind::Symlink {
            let target = String::from_utf8_lossy(content);
            return self.header(path, kind, 0, &target);
        }
        self.header(path, kind, content.len() as u64, "")?;
        self.out.write_all(content)?;
        self.pad(content.len() as u64)
    }

    /// Copies exactly `size` bytes of `content`: a file that changes size while it is sent
    /// would otherwise corrupt every entry after it.
    fn body(&mut self, content: impl Read, size: u64, shown: &Path) -> io::Result<()> {
        let copied = io::copy(&mut content.take(size), &mut self.out)?;
        if copied != size {
            return Err(io::Error::other(format!(
                "{} shrank from {size} to {copied} bytes while the build context was sent",
                shown.display()
            )));
        }
        self.pad(size)
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rest = (size % BLOCK as u64) as usize;
        if rest != 0 {
            self.out.write_all(&[0; BLOCK][..BLOCK - rest])?;
        }
        Ok(())
    }

    /// A ustar header, preceded by a PAX header when the path or link target does not fit
    /// ustar's 100 bytes or the size its 11 octal digits.
    fn header(&mut self, path: &str, kind: Kind, size: u64, link: &str) -> io::Result<()> {
        const MAX_OCTAL_SIZE: u64 = 0o77777777777;
        let mut pax = Vec::new();
        if path.len() > 100 {
            pax_record(&mut pax, "path", path);
        }
        if link.len() > 100 {
            pax_record(&mut pax, "linkpath", link);
        }
        if size > MAX_OCTAL_SIZE {
            pax_record(&mut pax, "size", &size.to_string());
        }
        if !pax.is_empty() {
            let block = ustar_block("././@PaxHeader", b'x', 0o644, pax.len() as u64, "", 0);
            self.out.write_all(&block)?;
            self.out.write_all(&pax)?;
            self.pad(pax.len() as u64)?;
        }
        let (flag, mode) = match kind {
            Kind::File => (b'0', 0o644),
            Kind::Executable => (b'0', 0o755),
            Kind::Symlink => (b'2', 0o777),
            Kind::Dir => (b'5', 0o755),
        };
        let block = ustar_block(path, flag, mode, size.min(MAX_OCTAL_SIZE), link, self.mtime);
        self.out.write_all(&block)
    }
}

/// One `"<len> key=value\n"` record, `len` counting the whole record including itself.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &str) {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    out.extend_from_slice(format!("{len} {key}={value}\n").as_bytes());
}

fn ustar_block(path: &str, flag: u8, mode: u32, size: u64, link: &str, mtime: u64) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    // Too-long names are in the PAX record; the truncated copy is what old readers show.
    let name = truncate(path, 100);
    b[..name.len()].copy_from_slice(name);
    octal(&mut b[100..108], u64::from(mode));
    octal(&mut b[108..116], 0);
    octal(&mut b[116..124], 0);
    octal(&mut b[124..136], size);
    octal(&mut b[136..148], mtime);
    b[156] = flag;
    let link = truncate(link, 100);
    b[157..157 + link.len()].copy_from_slice(link);
    b[257..263].copy_from_slice(b"ustar\0");
    b[263..265].copy_from_slice(b"00");
    octal(&mut b[329..337], 0);
    octal(&mut b[337..345], 0);
    // The checksum is computed with its own field as spaces.
    b[148..156].fill(b' ');
    let sum: u64 = b.iter().map(|&x| u64::from(x)).sum();
    octal(&mut b[148..155], sum);
    b
}

/// Cuts at a char boundary so the header's name stays valid UTF-8.
fn truncate(s: &str, max: usize) -> &[u8] {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s.as_bytes()[..end]
}

/// Zero-padded octal digits filling the field but its last byte, which stays NUL.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

/// Cuts the tar into [`CHUNK_SIZE`] pieces and hands them to the channel, waiting while it is
/// full: this wait is what keeps memory bounded.
struct ChunkWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_SIZE));
        self.tx.blocking_send(Ok(Bytes::from(chunk))).map_err(|_| {
            io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the build context is no longer read",
            )
        })
    }

    fn finish(mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            self.send()
        }
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK_SIZE {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn entry(path: &str, mode: u32, source: EntrySource) -> ArchiveEntry {
        ArchiveEntry {
            path: path.to_owned(),
            mode,
            source,
        }
    }

    fn bytes(s: &str) -> EntrySource {
        EntrySource::Bytes(s.as_bytes().to_vec())
    }

    /// (path, type, mode, content or link target) of every entry, as `tar` reads them.
    fn read_back(data: &[u8]) -> Vec<(String, tar::EntryType, u32, Vec<u8>)> {
        let mut archive = tar::Archive::new(data);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                let header = e.header().clone();
                assert_eq!(header.mtime().unwrap(), 0, "{path}");
                assert_eq!(header.uid().unwrap(), 0, "{path}");
                assert_eq!(header.gid().unwrap(), 0, "{path}");
                let kind = header.entry_type();
                let content = if kind == tar::EntryType::Symlink {
                    e.link_name()
                        .unwrap()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                        .into_bytes()
                } else {
                    let mut v = Vec::new();
                    e.read_to_end(&mut v).unwrap();
                    v
                };
                (path, kind, header.mode().unwrap(), content)
            })
            .collect()
    }

    fn git_repo() -> (tempfile::TempDir, git2::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        (dir, repo)
    }

    #[test]
    fn paths_modes_contents_and_parents() {
        let (dir, repo) = git_repo();
        let blob = repo.blob(b"committed\n").unwrap();
        let link = repo.blob(b"../target/file").unwrap();
        let work = dir.path().join("work.txt");
        std::fs::write(&work, "from disk").unwrap();
        let archive = ContextArchive::new(
            dir.path().to_path_buf(),
            vec![
                entry("src/a/run.sh", 0o100755, bytes("#!/bin/sh\n")),
                entry("Dockerfile", 0o100644, bytes("FROM scratch\n")),
                entry("src/a/blob.txt", 0o100644, EntrySource::Blob(blob)),
                entry("src/link", 0o120000, EntrySource::Blob(link)),
                entry("vendor/sub", 0o160000, EntrySource::Blob(blob)),
                entry("src/b/work.txt", 0o100644, EntrySource::File(work)),
            ],
        );
        let data = archive.write_to(Vec::new()).unwrap();
        assert_eq!(data.len() % BLOCK, 0);
        use tar::EntryType::{Directory, Regular, Symlink};
        let want: Vec<(String, tar::EntryType, u32, Vec<u8>)> = vec![
            ("Dockerfile", Regular, 0o644, &b"FROM scratch\n"[..]),
            ("src/", Directory, 0o755, b""),
            ("src/a/", Directory, 0o755, b""),
            ("src/a/blob.txt", Regular, 0o644, b"committed\n"),
            ("src/a/run.sh", Regular, 0o755, b"#!/bin/sh\n"),
            ("src/b/", Directory, 0o755, b""),
            ("src/b/work.txt", Regular, 0o644, b"from disk"),
            ("src/link", Symlink, 0o777, b"../target/file"),
        ]
        .into_iter()
        .map(|(p, k, m, c)| (p.to_owned(), k, m, c.to_vec()))
        .collect();
        assert_eq!(read_back(&data), want);
    }

    #[test]
    fn working_tree_symlink_and_large_file() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink("somewhere/else", &link).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let archive = ContextArchive::new(
            dir.path().to_path_buf(),
            vec![
                entry("l", 0o120000, EntrySource::File(link)),
                entry("big", 0o100644, EntrySource::Bytes(big.clone())),
            ],
        );
        let got = read_back(&archive.write_to(Vec::new()).unwrap());
        assert_eq!(got[0].0, "big");
        assert_eq!(got[0].3, big);
        assert_eq!(got[1].1, tar::EntryType::Symlink);
        assert_eq!(got[1].3, b"somewhere/else");
    }

    #[test]
    fn long_paths_and_link_targets() {
        let long_dir = "d".repeat(120);
        let long_file = format!("{long_dir}/{}", "é".repeat(60));
        let long_target = "t/".repeat(80);
        let archive = ContextArchive::new(
            PathBuf::from("/nonexistent"),
            vec![
                entry(&long_file, 0o100644, bytes("x")),
                entry("ln", 0o120000, bytes(&long_target)),
            ],
        );
        let got = read_back(&archive.write_to(Vec::new()).unwrap());
        let paths: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            paths,
            [format!("{long_dir}/"), long_file.clone(), "ln".into()]
        );
        assert_eq!(got[1].3, b"x");
        assert_eq!(got[2].3, long_target.as_bytes());
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        for value_len in [0, 1, 90, 91, 92, 93, 94, 95, 990, 995, 996, 997, 998] {
            let mut out = Vec::new();
            pax_record(&mut out, "path", &"v".repeat(value_len));
            let text = String::from_utf8(out).unwrap();
            let (len, _) = text.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), text.len(), "{value_len}");
        }
    }

    #[test]
    fn deterministic() {
        let (dir, repo) = git_repo();
        let blob = repo.blob(b"same").unwrap();
        let make = || {
            ContextArchive::new(
                dir.path().to_path_buf(),
                vec![
                    entry("b/c", 0o100644, EntrySource::Blob(blob)),
                    entry("a", 0o100755, bytes("a")),
                ],
            )
            .write_to(Vec::new())
            .unwrap()
        };
        let first = make();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(first, make());
    }

    #[test]
    fn missing_repository_is_an_error() {
        let archive = ContextArchive::new(
            PathBuf::from("/nonexistent/repo"),
            vec![entry(
                "a",
                0o100644,
                EntrySource::Blob(git2::Oid::ZERO_SHA1),
            )],
        );
        let e = archive.write_to(Vec::new()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/repo"), "{e}");
    }

    #[tokio::test]
    async fn stream_yields_the_same_tar_in_bounded_chunks() {
        let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let archive = ContextArchive::new(
            PathBuf::from("/nonexistent"),
            vec![
                entry("big", 0o100644, EntrySource::Bytes(big)),
                entry("small", 0o100644, bytes("s")),
            ],
        );
        let want = archive.write_to(Vec::new()).unwrap();
        let mut stream = std::pin::pin!(archive.into_stream());
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            assert!(!chunk.is_empty() && chunk.len() <= CHUNK_SIZE);
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn stream_reports_read_errors_and_stops_when_dropped() {
        let archive = ContextArchive::new(
            PathBuf::from("/nonexistent"),
            vec![entry(
                "gone",
                0o100644,
                EntrySource::File("/nonexistent/file".into()),
            )],
        );
        let items: Vec<_> = archive.into_stream().collect().await;
        assert!(items.last().unwrap().is_err());

        // A consumer that reads one chunk and goes away: the producer must not block forever
        // on the full channel (the test would hang).
        let big = vec![0u8; 10 * CHUNK_SIZE];
        let archive = ContextArchive::new(
            PathBuf::from("/nonexistent"),
            vec![entry("big", 0o100644, EntrySource::Bytes(big))],
        );
        let mut stream = Box::pin(archive.into_stream());
        assert!(stream.next().await.unwrap().is_ok());
        drop(stream);
    }
}
