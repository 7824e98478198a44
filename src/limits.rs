//! Every resource bound of the library in one place, with safe defaults.
//!
//! Guest data is hostile: each loop over on-disk structures, each recursion and each
//! allocation driven by guest data is bounded by a field here.

use std::time::Duration;

/// Resource bounds. Construct with [`Limits::default`] and change what you need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest kernel that will be extracted, in bytes (default 128 MiB, as pygrub's
    /// deprivileged mode).
    pub max_kernel: u64,
    /// Largest ramdisk (all initrds concatenated) that will be extracted, in bytes
    /// (default 1 GiB).
    pub max_ramdisk: u64,
    /// Largest configuration file that will be read, in bytes (default 1 MiB).
    pub max_config: u64,
    /// Deepest nesting of `INCLUDE`, `source` or `configfile` (default 8).
    pub max_include_depth: u32,
    /// Most symlinks followed while resolving one path (default 40).
    pub max_symlink_hops: u32,
    /// Most menu entries one configuration may produce (default 4096).
    pub max_entries: usize,
    /// Most partitions considered on one disk (default 128).
    pub max_partitions: usize,
    /// Most EBRs followed in an extended-partition chain (default 128).
    pub max_ebr_chain: usize,
    /// Most GPT partition entries read (default 1024).
    pub max_gpt_entries: u32,
    /// Most configuration lines or script steps interpreted (default 1,000,000).
    pub max_script_steps: u64,
    /// Longest path component chain walked in one lookup (default 256 components).
    pub max_path_components: usize,
    /// Most entries one directory listing may return (default 65,536).
    pub max_dir_entries: usize,
    /// Deadline for the network work of one boot source, counted from its opening
    /// (PXE: the configuration search, includes, kernel and initrds, and the time a
    /// caller waits between opening and extracting; default 300 s).
    pub max_network_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_kernel: 128 << 20,
            max_ramdisk: 1 << 30,
            max_config: 1 << 20,
            max_include_depth: 8,
            max_symlink_hops: 40,
            max_entries: 4096,
            max_partitions: 128,
            max_ebr_chain: 128,
            max_gpt_entries: 1024,
            max_script_steps: 1_000_000,
            max_path_components: 256,
            max_dir_entries: 1 << 16,
            max_network_time: Duration::from_secs(300),
        }
    }
}

/// Size of the chunks in which extraction streams file data (1 MiB).
pub const COPY_CHUNK: usize = 1 << 20;

/// Deepest chain of qcow2 backing files followed, when the caller allows backing
/// files at all (default 8).
pub const QCOW2_MAX_BACKING_DEPTH: u32 = 8;

/// Memory for cached qcow2 L2 tables, per image (4 MiB; at least two tables).
pub const QCOW2_CACHE_BYTES: u64 = 4 << 20;

/// Most directory entries the name lookups of BLS snippet files may scan in one
/// `blscfg` or systemd-boot listing (262,144). Without a directory index (ext4
/// without htree) reading each of n snippets by name scans the directory, n × n in
/// all: a directory of n entries has its newest 262,144 / n snippets read (every
/// snippet up to 512).
pub const BLS_LOOKUP_BUDGET: usize = 1 << 18;
