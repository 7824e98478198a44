//! Command lines as syslinux executes them: an image type, the image's file name and
//! the argument words, and what that means for a Xen PV boot (Linux kernel or not,
//! which initrds, which arguments).

use super::lexer::{first_word, words};

/// How syslinux loads an image (the `KERNEL`-like keyword of a label, or the image
/// type syslinux infers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelType {
    /// `KERNEL`: the type follows from the file name's extension.
    Kernel,
    /// `LINUX`: a Linux kernel whatever its name.
    Linux,
    /// `LOCALBOOT`: boot the next local device.
    LocalBoot,
    /// `BOOT`, or a `.bs`/`.bin` name: a boot sector.
    Boot,
    /// `BSS`, or a `.bss` name: a boot sector with a patched DOS superblock.
    Bss,
    /// `PXE`, or a `.0` name: a PXE network boot program.
    Pxe,
    /// `FDIMAGE`, or a `.img` name: a floppy image.
    FdImage,
    /// `COMBOOT`, or a `.com`/`.cbt` name (syslinux 4 and older): a COMBOOT program.
    ComBoot,
    /// `COM32`, or a `.c32` name: a COM32 module (menus, `chain.c32`, `mboot.c32`).
    Com32,
    /// `CONFIG`: load another configuration file.
    Config,
}

/// The keywords that set a label's image, with their types (syslinux's
/// `kernel_types`).
pub const KERNEL_KEYWORDS: &[(&str, KernelType)] = &[
    ("localboot", KernelType::LocalBoot),
    ("kernel", KernelType::Kernel),
    ("linux", KernelType::Linux),
    ("boot", KernelType::Boot),
    ("bss", KernelType::Bss),
    ("pxe", KernelType::Pxe),
    ("fdimage", KernelType::FdImage),
    ("comboot", KernelType::ComBoot),
    ("com32", KernelType::Com32),
    ("config", KernelType::Config),
];

/// File-name extensions that make a `KERNEL` image something other than a Linux
/// kernel (syslinux 6's `file_extensions`, plus the COMBOOT ones of syslinux 4).
/// Matched case-insensitively, since FAT and ISO 9660 names are.
const EXTENSIONS: &[(&str, KernelType)] = &[
    (".c32", KernelType::Com32),
    (".img", KernelType::FdImage),
    (".bss", KernelType::Bss),
    (".bin", KernelType::Boot),
    (".bs", KernelType::Boot),
    (".0", KernelType::Pxe),
    (".com", KernelType::ComBoot),
    (".cbt", KernelType::ComBoot),
];

/// One command line: what syslinux runs for a label, `DEFAULT` or `ONTIMEOUT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// How the image is loaded, as written (`Kernel` still infers from the name).
    pub ktype: KernelType,
    /// The image's file name as written (for `LOCALBOOT`, the boot type).
    pub image: String,
    /// The argument words, in order.
    pub args: Vec<String>,
    /// Index in `args` of the words a label's `INITRD` line added, if it has one.
    pub initrd_line_at: Option<usize>,
}

impl Command {
    /// The command line syslinux builds for a label: the label's image value (the
    /// rest of its `KERNEL` line: extra words there become the first arguments), then
    /// the `APPEND` text, then ` initrd=<INITRD value>` when the label has an `INITRD`
    /// line.
    pub fn from_label(
        ktype: KernelType,
        image_value: &str,
        append: Option<&str>,
        initrd: Option<&str>,
    ) -> Command {
        let (image, rest) = first_word(image_value);
        let mut args: Vec<String> = words(rest).map(str::to_string).collect();
        if let Some(a) = append {
            args.extend(words(a).map(str::to_string));
        }
        let initrd_line_at = initrd.map(|_| args.len());
        if let Some(i) = initrd {
            let mut w = words(i);
            if let Some(first) = w.next() {
                args.push(format!("initrd={first}"));
                args.extend(w.map(str::to_string));
            } else {
                args.push("initrd=".to_string());
            }
        }
        Command {
            ktype,
            image: image.to_string(),
            args,
            initrd_line_at,
        }
    }

    /// A command line typed at the `boot:` prompt (or given to `DEFAULT` /
    /// `ONTIMEOUT`) that names no label: the first word is the image, unless it is a
    /// type prefix such as `.linux` or `.com32` (which the following word then names).
    pub fn implicit(cmdline: &str) -> Command {
        let (first, rest) = first_word(cmdline);
        if let Some(t) = first.strip_prefix('.') {
            if let Some(&(_, ktype)) = KERNEL_KEYWORDS.iter().find(|(kw, _)| *kw == t) {
                let (image, rest) = first_word(rest);
                let mut image = image.to_string();
                if ktype == KernelType::Com32 && !image.to_ascii_lowercase().ends_with(".c32") {
                    image.push_str(".c32");
                }
                return Command {
                    ktype,
                    image,
                    args: words(rest).map(str::to_string).collect(),
                    initrd_line_at: None,
                };
            }
        }
        Command {
            ktype: KernelType::Kernel,
            image: first.to_string(),
            args: words(rest).map(str::to_string).collect(),
            initrd_line_at: None,
        }
    }

    /// The type syslinux loads the image as: `KERNEL` images by their extension.
    pub fn effective_type(&self) -> KernelType {
        if self.ktype != KernelType::Kernel {
            return self.ktype;
        }
        let lower = self.image.to_ascii_lowercase();
        EXTENSIONS
            .iter()
            .find(|(ext, _)| lower.ends_with(ext))
            .map_or(KernelType::Kernel, |&(_, t)| t)
    }

    /// Why this command cannot be booted as a Linux kernel by Xen; `None` when it can.
    pub fn not_bootable(&self) -> Option<String> {
        let image = &self.image;
        let why = match self.effective_type() {
            KernelType::Kernel | KernelType::Linux => {
                if image.is_empty() {
                    "no kernel is named".to_string()
                } else if basename(image).eq_ignore_ascii_case("memdisk") {
                    format!("{image} is MEMDISK (disk image emulation), not a Linux kernel")
                } else {
                    return None;
                }
            }
            KernelType::LocalBoot => {
                format!("LOCALBOOT {image}: boots the next local device, not a Linux kernel")
            }
            KernelType::Boot => format!("{image} is a boot sector, not a Linux kernel"),
            KernelType::Bss => format!("{image} is a BSS boot sector, not a Linux kernel"),
            KernelType::Pxe => {
                format!("{image} is a PXE network boot program, not a Linux kernel")
            }
            KernelType::FdImage => format!("{image} is a floppy image, not a Linux kernel"),
            KernelType::ComBoot => {
                format!("{image} is a COMBOOT program, not a Linux kernel")
            }
            KernelType::Com32 => format!("{image} is a COM32 module, not a Linux kernel"),
            KernelType::Config => {
                format!("CONFIG {image}: loads another configuration file, not a kernel")
            }
        };
        Some(why)
    }

    /// The argument words joined by single spaces.
    pub fn args_text(&self) -> String {
        self.args.join(" ")
    }

    /// The initrd names syslinux loads: the comma-separated list that follows the
    /// first `initrd=` anywhere in the arguments (syslinux 6 searches the command
    /// line with `strstr`), up to the next space. Empty names are skipped.
    pub fn initrd_names(&self) -> Vec<String> {
        let text = self.args_text();
        let Some(at) = text.find("initrd=") else {
            return Vec::new();
        };
        let list = text.get(at + "initrd=".len()..).unwrap_or("");
        let list = list.split(' ').next().unwrap_or("");
        list.split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// True when the label has an `INITRD` line and the words before it (image
    /// words and `APPEND`) already hold an `initrd=`: that earlier one wins then.
    pub fn initrd_line_shadowed(&self) -> bool {
        match self.initrd_line_at {
            Some(at) => self.args.iter().take(at).any(|a| a.contains("initrd=")),
            None => false,
        }
    }
}

/// The last component of a path.
fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_command_line_order_is_kernel_append_initrd() {
        let c = Command::from_label(
            KernelType::Kernel,
            "vmlinuz quiet",
            Some("root=/dev/sda1  ro"),
            Some("a.img,b.img"),
        );
        assert_eq!(c.image, "vmlinuz");
        assert_eq!(c.args_text(), "quiet root=/dev/sda1 ro initrd=a.img,b.img");
        assert_eq!(c.initrd_names(), vec!["a.img", "b.img"]);
        assert_eq!(c.not_bootable(), None);
    }

    #[test]
    fn first_initrd_on_the_line_wins() {
        let c = Command::from_label(
            KernelType::Linux,
            "vmlinuz",
            Some("initrd=x.gz,y.gz root=/dev/sda"),
            Some("z.gz"),
        );
        assert_eq!(c.initrd_names(), vec!["x.gz", "y.gz"]);
        assert!(c.initrd_line_shadowed());
        let d = Command::from_label(KernelType::Linux, "vmlinuz", Some("ro"), Some("z.gz"));
        assert!(!d.initrd_line_shadowed());
        assert_eq!(d.initrd_names(), vec!["z.gz"]);
    }

    #[test]
    fn image_types_from_keywords_and_extensions() {
        let t = |k, img: &str| Command::from_label(k, img, None, None).not_bootable();
        assert!(t(KernelType::Kernel, "menu.c32").unwrap().contains("COM32"));
        assert!(t(KernelType::Kernel, "CHAIN.C32")
            .unwrap()
            .contains("COM32"));
        assert!(t(KernelType::Kernel, "x.cbt").unwrap().contains("COMBOOT"));
        assert!(t(KernelType::Kernel, "x.com").unwrap().contains("COMBOOT"));
        assert!(t(KernelType::Kernel, "x.bs")
            .unwrap()
            .contains("boot sector"));
        assert!(t(KernelType::Kernel, "x.bin")
            .unwrap()
            .contains("boot sector"));
        assert!(t(KernelType::Kernel, "x.bss").unwrap().contains("BSS"));
        assert!(t(KernelType::Kernel, "pxelinux.0").unwrap().contains("PXE"));
        assert!(t(KernelType::Kernel, "f.img").unwrap().contains("floppy"));
        assert!(t(KernelType::Kernel, "/memdisk")
            .unwrap()
            .contains("MEMDISK"));
        assert!(t(KernelType::Kernel, "").unwrap().contains("no kernel"));
        assert!(t(KernelType::LocalBoot, "0").unwrap().contains("LOCALBOOT"));
        assert!(t(KernelType::Config, "x.cfg").unwrap().contains("CONFIG"));
        assert_eq!(t(KernelType::Linux, "odd.c32"), None);
        assert_eq!(t(KernelType::Kernel, "vmlinuz-6.1"), None);
    }

    #[test]
    fn implicit_command_lines_and_type_prefixes() {
        let c = Command::implicit("vmlinuz root=/dev/sda initrd=i");
        assert_eq!(c.image, "vmlinuz");
        assert_eq!(c.initrd_names(), vec!["i"]);
        let c = Command::implicit(".com32 chain hd0");
        assert_eq!(
            (c.ktype, c.image.as_str()),
            (KernelType::Com32, "chain.c32")
        );
        let c = Command::implicit(".linux k.c32 a");
        assert_eq!(c.effective_type(), KernelType::Linux);
        assert_eq!(c.args, vec!["a"]);
    }
}
