//! The boot menu every configuration language is turned into.

use serde::Serialize;

/// One bootable (or listed but not bootable) menu entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The title shown in the menu (syslinux: `MENU LABEL` with `^` removed, else the
    /// label; LILO: the label).
    pub title: String,
    /// A stable identifier when the language has one: GRUB 2 `--id`, a syslinux
    /// `LABEL`, a LILO `label=`.
    pub id: Option<String>,
    /// Titles of the enclosing submenus (GRUB 2 `submenu`, syslinux `MENU BEGIN`),
    /// outermost first. Empty at top level.
    pub submenu: Vec<String>,
    /// The entry's position as GRUB numbers it: index at top level, then index within
    /// each submenu (`[1, 2]` is GRUB's `1>2`). Hidden entries keep their place.
    pub position: Vec<usize>,
    /// Kernel path on the filesystem that holds it, device prefix removed.
    pub kernel: Option<String>,
    /// Initrd paths, in order; they are concatenated into one ramdisk.
    pub initrds: Vec<String>,
    /// The kernel command line the boot loader would pass (words joined by single
    /// spaces).
    pub args: String,
    /// The partition the entry's files live on, as a GRUB 1-based partition number,
    /// when the configuration names one (`root (hd0,1)` → 2, `(hd0,msdos3)` → 3).
    /// `None`: the partition that holds the configuration.
    pub partition: Option<u32>,
    /// Why this entry cannot be booted as a PV kernel (chainloader, multiboot,
    /// localboot, COM32 module, no kernel); `None` when it can.
    pub not_bootable: Option<String>,
    /// Listed in the configuration but hidden from the menu (syslinux `MENU HIDE`).
    pub hidden: bool,
}

impl Entry {
    /// True when the entry names a kernel and nothing prevents booting it.
    pub fn is_bootable(&self) -> bool {
        self.not_bootable.is_none() && self.kernel.is_some()
    }
}

/// A submenu container (kept so that paths like GRUB's `1>2` or `Advanced>...`
/// resolve by title or id at each level).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Submenu {
    /// The submenu's title.
    pub title: String,
    /// Its `--id`, if any.
    pub id: Option<String>,
    /// Its position, as for [`Entry::position`].
    pub position: Vec<usize>,
}

/// A parsed boot menu.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Menu {
    /// Entries flattened in document order (submenu entries included).
    pub entries: Vec<Entry>,
    /// The submenus, in document order.
    pub submenus: Vec<Submenu>,
    /// Index into `entries` of the entry the boot loader boots by default.
    pub default: Option<usize>,
    /// The menu timeout in seconds, if the configuration sets one.
    pub timeout: Option<u64>,
}
