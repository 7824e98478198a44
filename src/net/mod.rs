//! Network boot: everything that reaches a boot server on behalf of a guest, to
//! fetch its kernel, initrd and configuration from a server instead of its disk
//! (what pypxeboot and xenpvnetboot did).
//!
//! [`dhcp`] acquires a lease (address, TFTP server, boot file, pxelinux options) for
//! the guest's MAC address from dom0, as pypxeboot does with its patched udhcp.
//! [`tftp`] is the TFTP client and a read-only [`Filesystem`](crate::fs::Filesystem)
//! over it; [`pxe`] follows pxelinux's rules to find and parse the configuration a
//! PXE client would boot, giving a [`Boot`](crate::Boot) like a disk does.

pub mod dhcp;
pub mod pxe;
pub mod tftp;
