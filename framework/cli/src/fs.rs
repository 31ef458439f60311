//! Where rendering and generators read and write: a [`FileSystem`] rooted at
//! a project directory, on disk ([`DiskFs`]) or in memory ([`MemoryFs`], for
//! tests that need no disk).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Text files under one root; every path is relative to the root.
pub trait FileSystem {
    /// The text of `path`, or `None` when there is no such file.
    ///
    /// # Errors
    ///
    /// The file exists but cannot be read as UTF-8 text.
    fn read(&self, path: &Path) -> io::Result<Option<String>>;

    /// Writes `contents` to `path`, creating its directories.
    ///
    /// # Errors
    ///
    /// The file or a directory cannot be written.
    fn write(&mut self, path: &Path, contents: &str) -> io::Result<()>;
}

/// The files under a directory on disk.
#[derive(Debug, Clone)]
pub struct DiskFs {
    root: PathBuf,
}

impl DiskFs {
    /// The files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory the paths are relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl FileSystem for DiskFs {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        match std::fs::read_to_string(self.root.join(path)) {
            Ok(text) => Ok(Some(text)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn write(&mut self, path: &Path, contents: &str) -> io::Result<()> {
        let full = self.root.join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(full, contents)
    }
}

/// Files held in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryFs {
    files: BTreeMap<PathBuf, String>,
}

impl MemoryFs {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every file, by path.
    pub fn files(&self) -> &BTreeMap<PathBuf, String> {
        &self.files
    }

    /// The text of `path`, if it exists.
    pub fn get(&self, path: impl AsRef<Path>) -> Option<&str> {
        self.files.get(path.as_ref()).map(String::as_str)
    }

    /// Removes `path`, answering its text.
    pub fn remove(&mut self, path: impl AsRef<Path>) -> Option<String> {
        self.files.remove(path.as_ref())
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        Ok(self.files.get(path).cloned())
    }

    fn write(&mut self, path: &Path, contents: &str) -> io::Result<()> {
        self.files.insert(path.to_owned(), contents.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_files_are_read_back() {
        let mut fs = MemoryFs::new();
        assert_eq!(fs.read(Path::new("a/b.rs")).expect("read"), None);
        fs.write(Path::new("a/b.rs"), "text").expect("write");
        assert_eq!(
            fs.read(Path::new("a/b.rs")).expect("read").as_deref(),
            Some("text")
        );
    }

    #[test]
    fn disk_files_are_read_back_with_their_directories() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut fs = DiskFs::new(dir.path());
        assert_eq!(fs.read(Path::new("a/b.rs")).expect("read"), None);
        fs.write(Path::new("a/b.rs"), "text").expect("write");
        assert_eq!(
            fs.read(Path::new("a/b.rs")).expect("read").as_deref(),
            Some("text")
        );
        assert_eq!(fs.root(), dir.path());
    }
}
