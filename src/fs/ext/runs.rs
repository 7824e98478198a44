//! Host runs of an ext file: where its bytes lie in the volume, found by our own
//! directory walk and extent-tree reader (`ext4-view` exposes neither inode numbers
//! nor extents), for files `ext4-view` has already opened.
//!
//! Every doubt is `None` (the caller then streams through `ext4-view`), and the
//! result is only used when our walk reached the very inode `ext4-view` opened (a
//! hostile directory with two entries of the same name could otherwise resolve
//! differently from `ext4-view`'s hashed lookup) with the same size.

use super::dir;
use super::layout::Layout;
use crate::source::ByteSource;

/// File type bits of `i_mode`, and the regular-file type.
const S_IFMT: u16 = 0xF000;
const S_IFREG: u16 = 0x8000;

/// The `(byte offset in the volume, length)` runs of the regular file at the
/// canonical path `path`, which `ext4-view` opened as `file`.
pub(super) fn volume_runs(
    layout: &Layout,
    vol: &dyn ByteSource,
    path: &[u8],
    file: &ext4_view::File,
    max_dir_bytes: u64,
) -> Option<Vec<(u64, u64)>> {
    let (ino, inode) = dir::lookup(layout, vol, path, max_dir_bytes)?;
    if Some(ino) != opened_inode(file)
        || inode.size != file.metadata().len()
        || inode.mode & S_IFMT != S_IFREG
    {
        return None;
    }
    super::extents::map(layout, vol, &inode)
}

/// The inode number `ext4-view` opened. The crate has no accessor, but its `File`'s
/// `Debug` form is `File { inode: N, position: P, .. }`; the version is pinned and
/// the tests check that runs are found, so a change of form shows (and only ever
/// costs speed: no inode number, no runs).
fn opened_inode(file: &ext4_view::File) -> Option<u64> {
    let text = format!("{file:?}");
    let rest = text.strip_prefix("File { inode: ")?;
    rest.split(',').next()?.parse().ok()
}
