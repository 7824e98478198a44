//! libxenboot: find, read and hand over the kernel, initrd(s) and command line that a
//! Xen PV/PVH guest boots, from the guest's own disk image, without trusting anything
//! the guest wrote.
//!
//! The work is a pipeline, one module per stage:
//! [`source`] (bytes) → [`disk`] (partitions) → [`fs`] (filesystems) → [`config`]
//! (boot configuration languages) → [`menu`] → [`select`] → [`extract`].
//!
//! ```no_run
//! use xenboot::{Boot, Options, extract::Request};
//! let mut boot = Boot::open("/var/lib/xen/images/guest.img", Options::default())?;
//! let index = boot.select(None)?;
//! let plan = boot.plan(index, &Request::default())?;
//! let out = boot.extract_to_dir(&plan, std::path::Path::new("/var/run/xen/bootloader"))?;
//! println!("kernel {} args {}", out.kernel.display(), plan.args);
//! # Ok::<(), xenboot::Error>(())
//! ```

#![deny(unsafe_code)] // allowed only in `capi`, the C boundary

pub mod boot;
pub mod capi;
pub mod config;
pub mod disk;
pub mod error;
pub mod extract;
pub mod fs;
pub mod limits;
pub mod menu;
pub mod net;
pub mod probe;
pub mod select;
pub mod source;

pub use boot::{Boot, LogLevel, Logger, Options};
pub use error::{Error, ErrorKind, Result};
pub use limits::Limits;
pub use menu::{Entry, Menu};

/// The library version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
