//! Files only the server's OS user may read. The data file holds every company's records and
//! backups are copies of it, so the data and backup directories are created `0700` and every
//! file the program writes `0600` (data file, backups, their `.partial`/`.verify` scratch
//! copies, the token key). A directory or data file found looser is tightened, with a warning.
//! The executable also sets its umask to `077`, which covers files that libraries create
//! themselves (the search index).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Permission bits of a private file and a private directory.
pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and missing parents) `0700`; an existing directory that group or others may
/// enter is tightened to `0700` with a warning.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)?;
    tighten(dir, DIR_MODE)
}

/// Opens `path` for reading and writing, creating it `0600` if missing (an existing file is
/// kept as it is, and tightened to `0600` if looser).
pub fn open_file(path: &Path) -> io::Result<File> {
    let f = options().read(true).write(true).create(true).truncate(false).open(path)?;
    tighten(path, FILE_MODE)?;
    Ok(f)
}

/// Creates `path` empty and `0600`, replacing any file there.
pub fn create_file(path: &Path) -> io::Result<File> {
    let f = options().read(true).write(true).create(true).truncate(true).open(path)?;
    tighten(path, FILE_MODE)?;
    Ok(f)
}

/// Copies `from` to a new `0600` file `to` and fsyncs it.
pub fn copy_file(from: &Path, to: &Path) -> io::Result<u64> {
    let mut src = File::open(from)?;
    let mut dst = create_file(to)?;
    let n = io::copy(&mut src, &mut dst)?;
    dst.sync_all()?;
    Ok(n)
}

fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// Removes group and other bits from `path` when it has any.
fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if current & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "permissions {current:o} let other users read it; setting {mode:o}");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_private_and_tightens_loose() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);

        let f = dir.join("f");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).unwrap(), b"x", "an existing file is kept");

        let g = dir.join("g");
        create_file(&g).unwrap();
        assert_eq!(mode(&g), 0o600);
        copy_file(&f, &dir.join("h")).unwrap();
        assert_eq!(mode(&dir.join("h")), 0o600);
    }
}
