//! Network boot: everything that reaches a boot server on behalf of a guest.
//!
//! [`dhcp`] acquires a lease (address, TFTP server, boot file, pxelinux options) for
//! the guest's MAC address from dom0, as pypxeboot does with its patched udhcp.

pub mod dhcp;
