//! Rock Ridge (IEEE P1282) over SUSP (P1281): the entries of a record's system use
//! area and its `CE` continuation areas — `NM` names, `SL` symlink targets, `PX`
//! modes, `RE`/`CL` directory relocation. `SP` marks the extensions in use.

use super::{le32, Iso, SECTOR};
use crate::error::{Error, Result};

/// Most continuation areas followed for one record (a loop of `CE` stops here).
const MAX_CONTINUATIONS: usize = 16;
/// Longest `NM` name or `SL` target assembled from parts.
const MAX_TEXT: usize = 4096;
/// Most SUSP entries parsed for one record, over all its areas.
const MAX_ENTRIES: usize = 1024;

/// File type bits of a POSIX mode.
const S_IFMT: u32 = 0o170_000;
/// Directory type.
pub(super) const S_IFDIR: u32 = 0o040_000;
/// Regular file type.
pub(super) const S_IFREG: u32 = 0o100_000;
/// Symbolic link type.
pub(super) const S_IFLNK: u32 = 0o120_000;

/// What the Rock Ridge entries of one record say.
#[derive(Default, Debug)]
pub(super) struct RockRidge {
    /// The POSIX name (`NM`), when given.
    pub name: Option<Vec<u8>>,
    /// The symlink target (`SL`), when given.
    pub symlink: Option<Vec<u8>>,
    /// The file type bits of the POSIX mode (`PX`).
    pub file_type: Option<u32>,
    /// `RE`: this directory was relocated; its record is a placeholder to hide.
    pub relocated: bool,
    /// `CL`: this entry stands for the directory relocated to this block.
    pub child_link: Option<u32>,
}

/// When the system use area of the root's `.` record starts with `SP`, the number
/// of bytes to skip at the start of every other system use area.
pub(super) fn sp_skip(root_dot_su: &[u8]) -> Option<usize> {
    match root_dot_su.get(..7)? {
        [b'S', b'P', 7, _, 0xbe, 0xef, skip] => Some(usize::from(*skip)),
        _ => None,
    }
}

/// Parses the Rock Ridge entries of a record whose system use area is `su`.
pub(super) fn parse(iso: &Iso, su: &[u8], skip: usize) -> Result<RockRidge> {
    let mut rr = RockRidge::default();
    let mut name: Vec<u8> = Vec::new();
    let mut name_done = false;
    let mut link = LinkBuilder::default();
    let mut area: Vec<u8> = su.get(skip..).unwrap_or_default().to_vec();
    let mut entries = 0usize;
    for hop in 0..=MAX_CONTINUATIONS {
        let mut next: Option<(u32, u32, u32)> = None;
        let mut off = 0usize;
        while let Some(&[s0, s1, len, _version]) = area.get(off..off + 4) {
            let len = usize::from(len);
            let Some(e) = area.get(off..off + len).filter(|_| len >= 4) else {
                break; // malformed length: stop as Linux does
            };
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(Error::limit(format!(
                    "more than {MAX_ENTRIES} Rock Ridge entries on one record"
                )));
            }
            let w = "Rock Ridge entry";
            match [s0, s1] {
                [b'S', b'T'] => break,
                [b'C', b'E'] => next = Some((le32(e, 4, w)?, le32(e, 12, w)?, le32(e, 20, w)?)),
                [b'P', b'X'] => rr.file_type = Some(le32(e, 4, w)? & S_IFMT),
                [b'R', b'E'] => rr.relocated = true,
                [b'C', b'L'] => rr.child_link = Some(le32(e, 4, w)?),
                [b'N', b'M'] if !name_done => {
                    let flags = *e.get(4).unwrap_or(&0);
                    // Flags 2 (`.`) and 4 (`..`) name the special entries: no name.
                    if flags & 0x06 == 0 {
                        name.extend_from_slice(e.get(5..).unwrap_or_default());
                        if name.len() > MAX_TEXT {
                            return Err(Error::limit("Rock Ridge name too long"));
                        }
                        rr.name = Some(name.clone());
                    }
                    name_done = flags & 0x01 == 0;
                }
                [b'S', b'L'] => link.entry(e.get(5..).unwrap_or_default())?,
                _ => {}
            }
            off += len;
        }
        let Some((block, offset, length)) = next else {
            break;
        };
        if hop == MAX_CONTINUATIONS {
            return Err(Error::limit(format!(
                "more than {MAX_CONTINUATIONS} Rock Ridge continuation areas (a CE loop?)"
            )));
        }
        area = continuation(iso, block, offset, length)?;
    }
    rr.symlink = link.finish();
    Ok(rr)
}

/// Reads the continuation area `length` bytes at `offset` in `block`, which must lie
/// inside that block.
fn continuation(iso: &Iso, block: u32, offset: u32, length: u32) -> Result<Vec<u8>> {
    let end = offset.saturating_add(length);
    if end as usize > SECTOR {
        return Err(Error::corrupt(format!(
            "Rock Ridge continuation area of {length} bytes at {offset} overruns block {block}"
        )));
    }
    let mut buf = vec![0u8; length as usize];
    let at = u64::from(block) * SECTOR as u64 + u64::from(offset);
    iso.src
        .read_at(at, &mut buf)
        .map_err(|e| e.context("reading a Rock Ridge continuation area"))?;
    Ok(buf)
}

/// Assembles an `SL` target from its component records, over several entries.
#[derive(Default)]
struct LinkBuilder {
    /// Components so far; an empty first component stands for the root.
    parts: Vec<Vec<u8>>,
    /// The last component continues in the next one.
    glue: bool,
    len: usize,
    seen: bool,
}

impl LinkBuilder {
    /// Adds the component records of one `SL` entry (bytes after its flags).
    fn entry(&mut self, mut comps: &[u8]) -> Result<()> {
        self.seen = true;
        while let Some(&[flags, len]) = comps.get(..2) {
            let len = usize::from(len);
            let Some(content) = comps.get(2..2 + len) else {
                break;
            };
            let text: &[u8] = match flags & 0x0e {
                0x02 => b".",
                0x04 => b"..",
                0x08 => b"",
                _ => content,
            };
            self.len += text.len() + 1;
            if self.len > MAX_TEXT {
                return Err(Error::limit("Rock Ridge symlink target too long"));
            }
            match self.parts.last_mut() {
                Some(last) if self.glue => last.extend_from_slice(text),
                _ => self.parts.push(text.to_vec()),
            }
            self.glue = flags & 0x01 != 0;
            comps = comps.get(2 + len..).unwrap_or_default();
        }
        Ok(())
    }

    fn finish(self) -> Option<Vec<u8>> {
        if !self.seen {
            return None;
        }
        if self.parts.len() == 1 && self.parts.first().is_some_and(Vec::is_empty) {
            return Some(b"/".to_vec());
        }
        Some(self.parts.join(&b'/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(entries: &[&[u8]]) -> Vec<u8> {
        let mut b = LinkBuilder::default();
        for e in entries {
            b.entry(e).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn symlink_components() {
        assert_eq!(link(&[&[8, 0, 0, 3, b'u', b's', b'r']]), b"/usr");
        assert_eq!(link(&[&[4, 0, 0, 1, b'a']]), b"../a");
        assert_eq!(link(&[&[8, 0]]), b"/");
        // A component continued over two entries.
        assert_eq!(
            link(&[&[1, 2, b'a', b'b'], &[0, 1, b'c', 0, 1, b'd']]),
            b"abc/d"
        );
    }

    #[test]
    fn sp_detection() {
        assert_eq!(sp_skip(&[b'S', b'P', 7, 1, 0xbe, 0xef, 0]), Some(0));
        assert_eq!(sp_skip(&[b'S', b'P', 7, 1, 0xbe, 0xee, 0]), None);
    }
}
