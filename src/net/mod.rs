//! Network boot: fetching a guest's kernel, initrd and configuration from a server
//! instead of its disk (what pypxeboot and xenpvnetboot did).
//!
//! [`tftp`] is the TFTP client and a read-only [`Filesystem`](crate::fs::Filesystem)
//! over it; [`pxe`] follows pxelinux's rules to find and parse the configuration a
//! PXE client would boot, giving a [`Boot`](crate::Boot) like a disk does.

pub mod pxe;
pub mod tftp;
