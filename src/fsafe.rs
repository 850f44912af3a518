//! File safety, in one place: the session cache and the credentials-file
//! writer both go through here, so a fix lands once.
//!
//! Everything happens relative to a directory handle opened once and checked
//! on the descriptor ([`Dir`]), never by path again, so renaming or swapping a
//! directory on the way cannot redirect a read or a write. Inside it:
//! - nothing is followed through a symlink (`O_NOFOLLOW`), and opens never
//!   block on a FIFO or device (`O_NONBLOCK`, then the file type is checked);
//! - a file is read only if it is a regular file owned by the user and small;
//! - temp files are created exclusively (`O_EXCL`) under an unpredictable name,
//!   written, given their mode on the descriptor, synced and renamed over the
//!   target, then the directory is synced;
//! - locks are OS file locks on lock files opened the same way.
//!
//! Unix only: the path-based fallback for other platforms cannot check owners.

use crate::error::{fail, report, Kind};
use anyhow::{Context, Result};
use std::fs::{File, TryLockError};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A directory opened once and used only through its handle.
pub struct Dir {
    path: PathBuf,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

/// What [`Dir::private`] does when the directory does not exist.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IfMissing {
    /// Create it (and its missing parents), 0700.
    Create,
    /// Answer `None`.
    Skip,
}

/// What reading a file found.
#[derive(Debug)]
pub enum Found {
    Missing,
    File(Vec<u8>),
    /// Something that must not be read: the reason, for a message.
    Refused(&'static str),
}

/// Holds an exclusive lock until dropped; the OS releases it if the process dies.
pub struct Lock {
    _file: File,
}

/// Debug builds only (set by `main` from `AWSCRED_DEBUG_SLOW_WRITE`): how long
/// a write holds its complete temp file before the rename, so the tests that
/// kill awscred at random can show that many kills landed right there.
#[cfg(debug_assertions)]
pub static WRITE_DELAY: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// The suffix of every temp file (`.<target>.<random>.awscred-tmp`).
pub const TEMP_SUFFIX: &str = ".awscred-tmp";

impl Dir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks `name` is one plain component, so nothing can leave the directory.
    fn component(name: &str) -> Result<&str> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            anyhow::bail!("internal error: `{name}` is not a file name");
        }
        Ok(name)
    }

    /// The temp file names left for `target` by runs that were killed while writing it.
    fn temps_of(&self, target: &str) -> Result<Vec<String>> {
        let prefix = format!(".{target}.");
        Ok(self
            .names()?
            .into_iter()
            .filter(|n| n.starts_with(&prefix) && n.ends_with(TEMP_SUFFIX))
            .collect())
    }

    /// Takes the exclusive lock `name` if it is free now: `None` when another
    /// run holds it.
    pub fn try_lock(&self, name: &str) -> Result<Option<Lock>> {
        let file = self.open_lock_file(Self::component(name)?)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", self.path.join(name).display()))
            }
        }
    }

    /// Takes the exclusive lock `name`, polling up to `wait`. `what` says what the
    /// lock guards, for the messages ("profile `work`").
    pub fn lock(&self, name: &str, wait: Duration, what: &str) -> Result<Lock> {
        let file = self.open_lock_file(Self::component(name)?)?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        anyhow::bail!(
                            "another awscred run has held the lock for {what} for {} s: finish or stop it, then retry",
                            wait.as_secs()
                        );
                    }
                    if !told {
                        report(&format!("waiting for another awscred run ({what})"));
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(e)
                        .with_context(|| format!("cannot lock {}", self.path.join(name).display()))
                }
            }
        }
    }

    /// Replaces `name` with `bytes` so that a reader sees the old file or the
    /// new one, never a mix, even if this process is killed at any point. The
    /// caller holds the target's lock, so any temp file already there for it is
    /// a killed run's leftover and is removed first: at most one is ever left.
    pub fn write_atomic(&self, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
        let name = Self::component(name)?;
        for stale in self.temps_of(name)? {
            let _ = self.remove(&stale);
        }
        let tmp = format!(".{name}.{:016x}{TEMP_SUFFIX}", random_u64()?);
        let result = self.write_new(&tmp, bytes, mode).and_then(|()| {
            #[cfg(debug_assertions)]
            if let Some(delay) = WRITE_DELAY.get() {
                std::thread::sleep(*delay);
            }
            self.replace(&tmp, name)
        });
        if result.is_err() {
            let _ = self.remove(&tmp);
        }
        result.with_context(|| format!("cannot write {}", self.path.join(name).display()))
    }
}

/// Makes the directory entries of `path`'s directory durable (fsync of the
/// directory, symlinks of `path` resolved first): what a caller about to
/// act on a write (delete the key it replaced) needs to be true after a crash.
pub fn sync_dir_of(path: &Path) -> Result<()> {
    let real =
        std::fs::canonicalize(path).with_context(|| format!("cannot find {}", path.display()))?;
    let dir = real.parent().unwrap_or(Path::new("/"));
    let handle = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    handle
        .sync_all()
        .with_context(|| format!("cannot sync {}", dir.display()))
}

/// Reads the file at `path` (symlinks followed: the AWS files are often links
/// into a dotfiles repository) if it is a regular file of at most `max` bytes.
/// A FIFO or device is never read (the open does not block on it), and a
/// larger file is refused, so neither can hang awscred or fill its memory.
/// Exactly `/dev/null` (`NUL` on Windows) is an empty file, as for the AWS
/// CLI and SDKs: `exec --server` points `AWS_SHARED_CREDENTIALS_FILE` there.
pub fn read_path(path: &Path, max: u64) -> Result<Found> {
    let null = if cfg!(windows) { "NUL" } else { "/dev/null" };
    if path.as_os_str() == null {
        return Ok(Found::File(Vec::new()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NONBLOCK | libc::O_NOCTTY,
    );
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        return Ok(Found::Refused("it is not a regular file"));
    }
    if meta.len() > max {
        return Ok(Found::Refused("it is too large"));
    }
    // Sized exactly: one read, no regrowth or copy (std probes for the end
    // with a small stack buffer), and the text can be kept as it is.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        return Ok(Found::Refused("it is too large"));
    }
    Ok(Found::File(bytes))
}

/// What a directory must be to hold sessions.
fn refuse_dir(path: &Path, why: String) -> anyhow::Error {
    fail(
        Kind::Input,
        format!(
            "refusing to use {} for sessions: {why}: point AWSCRED_CACHE_DIR at a directory of your own (mkdir -m 700 DIR), or unset it",
            path.display()
        ),
    )
}

/// Unpredictable temp names: nobody can guess one to plant it first (and
/// `O_EXCL` refuses anything already there).
fn random_u64() -> Result<u64> {
    getrandom::u64().map_err(|e| anyhow::anyhow!("cannot get random bytes from the OS: {e}"))
}

#[cfg(unix)]
mod imp {
    use super::*;
    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};

    fn euid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// The permission bits of a stat mode.
    #[allow(clippy::unnecessary_cast)] // u16 on macOS
    fn perms(st: &rfs::Stat) -> u32 {
        st.st_mode as u32 & 0o7777
    }

    fn is_regular(st: &rfs::Stat) -> bool {
        FileType::from_raw_mode(st.st_mode as _) == FileType::RegularFile
    }

    const OPEN_ANY: OFlags = OFlags::CLOEXEC
        .union(OFlags::NOFOLLOW)
        .union(OFlags::NONBLOCK)
        .union(OFlags::NOCTTY);

    impl Dir {
        /// The user's own private directory at `path`. A missing one (and any
        /// missing parent) is created 0700, or is `Ok(None)`, as `missing` says. It
        /// must be owned by the current user and closed to group and others,
        /// else it is refused (exit 3) and never changed: awscred does not
        /// chmod a directory it did not make (think `AWSCRED_CACHE_DIR=$HOME`).
        pub fn private(path: &Path, missing: IfMissing) -> Result<Option<Dir>> {
            Self::checked(path, missing, false)
        }

        /// [`Dir::private`] for a directory another program shares with
        /// awscred (the AWS CLI's `~/.aws/sso/cache`, which botocore makes
        /// 0755): it must be the user's and closed to writes by others, may be
        /// readable (its files are 0600); a missing one is created 0700.
        pub fn owned(path: &Path, missing: IfMissing) -> Result<Option<Dir>> {
            Self::checked(path, missing, true)
        }

        fn checked(path: &Path, missing: IfMissing, readable: bool) -> Result<Option<Dir>> {
            let open = || {
                rfs::open(
                    path,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOCTTY,
                    Mode::empty(),
                )
            };
            let fd = match open() {
                Ok(fd) => fd,
                Err(rustix::io::Errno::NOENT) if missing == IfMissing::Create => {
                    let mut builder = std::fs::DirBuilder::new();
                    std::os::unix::fs::DirBuilderExt::mode(builder.recursive(true), 0o700);
                    builder.create(path).with_context(|| {
                        format!("cannot create cache directory {}", path.display())
                    })?;
                    open().with_context(|| {
                        format!("cannot open cache directory {}", path.display())
                    })?
                }
                Err(rustix::io::Errno::NOENT) => return Ok(None),
                Err(rustix::io::Errno::NOTDIR) if missing == IfMissing::Skip => return Ok(None),
                Err(e) => {
                    return Err(std::io::Error::from(e))
                        .with_context(|| format!("cannot open cache directory {}", path.display()))
                }
            };
            let st = rfs::fstat(&fd)?;
            if st.st_uid != euid() {
                return Err(refuse_dir(
                    path,
                    format!(
                        "it belongs to uid {}, not to you (uid {})",
                        st.st_uid,
                        euid()
                    ),
                ));
            }
            if perms(&st) & 0o022 != 0 {
                return Err(refuse_dir(
                    path,
                    format!("others can write to it (mode {:o})", perms(&st)),
                ));
            }
            if !readable && perms(&st) & 0o077 != 0 {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "refusing to use {0} for sessions: others can read it (mode {1:o}): make it private with `chmod 700 {0}`",
                        path.display(),
                        perms(&st)
                    ),
                ));
            }
            Ok(Some(Dir {
                path: path.to_path_buf(),
                fd,
            }))
        }

        /// Any existing directory (the one holding the user's credentials file):
        /// not checked, but every operation inside it goes through this handle.
        pub fn open(path: &Path) -> Result<Dir> {
            let fd = rfs::open(
                path,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOCTTY,
                Mode::empty(),
            )
            .map_err(std::io::Error::from)
            .with_context(|| format!("cannot open directory {}", path.display()))?;
            Ok(Dir {
                path: path.to_path_buf(),
                fd,
            })
        }

        /// Reads `name` if it is a regular file owned by the user of at most
        /// `max` bytes. A symlink, FIFO, device, directory, foreign or larger
        /// file is [`Found::Refused`]; it is never followed or read. A file that
        /// others can read is tightened to 0600 first, with a warning.
        pub fn read(&self, name: &str, max: u64) -> Result<Found> {
            let name = Self::component(name)?;
            let fd = match rfs::openat(&self.fd, name, OFlags::RDONLY | OPEN_ANY, Mode::empty()) {
                Ok(fd) => fd,
                Err(rustix::io::Errno::NOENT) => return Ok(Found::Missing),
                Err(rustix::io::Errno::LOOP) => return Ok(Found::Refused("it is a symbolic link")),
                Err(e) => {
                    return Err(std::io::Error::from(e))
                        .with_context(|| format!("cannot read {}", self.path.join(name).display()))
                }
            };
            let st = rfs::fstat(&fd)?;
            if !is_regular(&st) {
                return Ok(Found::Refused("it is not a regular file"));
            }
            if st.st_uid != euid() {
                return Ok(Found::Refused("it belongs to another user"));
            }
            if st.st_size as u64 > max {
                return Ok(Found::Refused("it is too large"));
            }
            if perms(&st) & 0o077 != 0 {
                rfs::fchmod(&fd, Mode::from_raw_mode(0o600))?;
                report(&format!(
                    "warning: tightened permissions of {} to 600",
                    self.path.join(name).display()
                ));
            }
            let mut bytes = Vec::new();
            File::from(fd)
                .take(max + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {}", self.path.join(name).display()))?;
            if bytes.len() as u64 > max {
                return Ok(Found::Refused("it is too large"));
            }
            Ok(Found::File(bytes))
        }

        /// The file type, owner and permission bits of `name`, not following a symlink.
        pub fn stat(&self, name: &str) -> Result<Option<Entry>> {
            match rfs::statat(&self.fd, Self::component(name)?, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(Some(Entry {
                    regular: is_regular(&st),
                    own: st.st_uid == euid(),
                    mode: perms(&st),
                })),
                Err(rustix::io::Errno::NOENT) => Ok(None),
                Err(e) => Err(std::io::Error::from(e))
                    .with_context(|| format!("cannot inspect {}", self.path.join(name).display())),
            }
        }

        pub(super) fn open_lock_file(&self, name: &str) -> Result<File> {
            let path = self.path.join(name);
            let not_ours = || {
                fail(
                    Kind::Input,
                    format!(
                        "lock file {} is not a regular file of yours: remove it (awscred clear --all)",
                        path.display()
                    ),
                )
            };
            let fd = match rfs::openat(
                &self.fd,
                name,
                OFlags::RDWR | OFlags::CREATE | OPEN_ANY,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => fd,
                Err(rustix::io::Errno::LOOP) => return Err(not_ours()),
                Err(e) => {
                    return Err(std::io::Error::from(e))
                        .with_context(|| format!("cannot open lock file {}", path.display()))
                }
            };
            let st = rfs::fstat(&fd)?;
            if !is_regular(&st) || st.st_uid != euid() {
                return Err(not_ours());
            }
            Ok(File::from(fd))
        }

        /// Creates `name` exclusively (never an existing file or a symlink) with `bytes`.
        pub(super) fn write_new(&self, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
            let fd = rfs::openat(
                &self.fd,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OPEN_ANY,
                Mode::from_raw_mode(0o600),
            )?;
            let mut file = File::from(fd);
            file.write_all(bytes)?;
            // On the descriptor, exactly (the umask does not apply to fchmod).
            rfs::fchmod(&file, Mode::from_raw_mode(mode & 0o777))?;
            file.sync_all()?;
            Ok(())
        }

        /// Renames `from` over `to` inside the directory, then makes it durable.
        /// Once the rename is done the new file is what every reader sees, so
        /// a failed directory sync after it is a warning, not a failure: a
        /// caller told "not written" would act on a file that was (`rotate`
        /// would delete the key the file now holds). Only a crash before the
        /// OS writes the directory back could still bring the old file back.
        pub(super) fn replace(&self, from: &str, to: &str) -> Result<()> {
            rfs::renameat(&self.fd, from, &self.fd, to)?;
            if let Err(e) = rfs::fsync(&self.fd) {
                crate::error::report(&format!(
                    "{} is written, but its directory could not be synced ({}): a system crash now could undo the change",
                    self.path.join(to).display(),
                    std::io::Error::from(e)
                ));
            }
            Ok(())
        }

        /// Removes `name` (a file, or an empty directory planted in its place).
        pub fn remove(&self, name: &str) -> Result<()> {
            let name = Self::component(name)?;
            let result = match rfs::unlinkat(&self.fd, name, AtFlags::empty()) {
                Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
                Err(rustix::io::Errno::ISDIR) => rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR),
                Err(e) => Err(e),
            };
            result
                .map_err(std::io::Error::from)
                .with_context(|| format!("cannot remove {}", self.path.join(name).display()))
        }

        /// Every name in the directory except `.` and `..` (names that are not UTF-8 are skipped:
        /// awscred never creates one).
        pub fn names(&self) -> Result<Vec<String>> {
            let mut names = Vec::new();
            for entry in rfs::Dir::read_from(&self.fd)? {
                let entry = entry?;
                if let Ok(name) = entry.file_name().to_str() {
                    if name != "." && name != ".." {
                        names.push(name.to_string());
                    }
                }
            }
            names.sort();
            Ok(names)
        }
    }
}

/// What [`Dir::stat`] tells about a name, without following it.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub regular: bool,
    /// Owned by the current user.
    pub own: bool,
    pub mode: u32,
}

#[cfg(not(unix))]
mod imp {
    //! Best effort by path: no owners, no descriptors.
    use super::*;
    use std::fs;

    impl Dir {
        pub fn owned(path: &Path, missing: IfMissing) -> Result<Option<Dir>> {
            Self::private(path, missing)
        }

        pub fn private(path: &Path, missing: IfMissing) -> Result<Option<Dir>> {
            match fs::metadata(path) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(None),
                Err(_) if missing == IfMissing::Skip => return Ok(None),
                Err(_) => fs::create_dir_all(path)
                    .with_context(|| format!("cannot create cache directory {}", path.display()))?,
            }
            Ok(Some(Dir { path: path.into() }))
        }

        pub fn open(path: &Path) -> Result<Dir> {
            Ok(Dir { path: path.into() })
        }

        pub fn read(&self, name: &str, max: u64) -> Result<Found> {
            let path = self.path.join(Self::component(name)?);
            match fs::symlink_metadata(&path) {
                Err(_) => Ok(Found::Missing),
                Ok(m) if !m.is_file() => Ok(Found::Refused("it is not a regular file")),
                Ok(m) if m.len() > max => Ok(Found::Refused("it is too large")),
                Ok(_) => Ok(Found::File(fs::read(&path)?)),
            }
        }

        pub fn stat(&self, name: &str) -> Result<Option<Entry>> {
            Ok(fs::symlink_metadata(self.path.join(Self::component(name)?))
                .ok()
                .map(|m| Entry {
                    regular: m.is_file(),
                    own: true,
                    mode: 0o600,
                }))
        }

        pub(super) fn open_lock_file(&self, name: &str) -> Result<File> {
            Ok(fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(self.path.join(name))?)
        }

        pub(super) fn write_new(&self, name: &str, bytes: &[u8], _mode: u32) -> Result<()> {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))?;
            f.write_all(bytes)?;
            f.sync_all()?;
            Ok(())
        }

        pub(super) fn replace(&self, from: &str, to: &str) -> Result<()> {
            Ok(fs::rename(self.path.join(from), self.path.join(to))?)
        }

        pub fn remove(&self, name: &str) -> Result<()> {
            let path = self.path.join(Self::component(name)?);
            match fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
            }
        }

        pub fn names(&self) -> Result<Vec<String>> {
            let mut names: Vec<String> = fs::read_dir(&self.path)?
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect();
            names.sort();
            Ok(names)
        }
    }
}
