//! A report of everything found on a boot source — partitions, filesystems,
//! configuration paths tried, entries — for operators debugging a guest that will
//! not boot. Unlike [`Boot::open`], it reports a failure instead of returning it.

use crate::boot::{scan_disk, Boot, Options};
use crate::disk::Volume;
use crate::menu::Entry;
use serde::Serialize;

/// One volume in a [`Report`].
#[derive(Clone, Debug, Serialize)]
pub struct VolumeReport {
    /// Where the volume is.
    #[serde(flatten)]
    pub volume: Volume,
    /// The filesystem type found, if any.
    pub filesystem: Option<String>,
    /// The filesystem UUID.
    pub uuid: Option<String>,
    /// The filesystem label.
    pub label: Option<String>,
    /// Why no filesystem could be used.
    pub error: Option<String>,
}

/// Everything known about a boot source.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The location probed.
    pub location: String,
    /// Its volumes.
    pub volumes: Vec<VolumeReport>,
    /// Partitioning remarks (skipped partitions and why).
    pub notes: Vec<String>,
    /// Each configuration lookup, in order.
    pub tried: Vec<String>,
    /// The configuration used: volume description and path.
    pub config: Option<String>,
    /// Its language.
    pub language: Option<String>,
    /// Parsed entries.
    pub entries: Vec<Entry>,
    /// Default entry index.
    pub default: Option<usize>,
    /// Parser warnings.
    pub warnings: Vec<String>,
    /// The error that stopped the scan, if any.
    pub error: Option<String>,
}

fn volume_reports(boot_volumes: &[crate::boot::ProbedVolume]) -> Vec<VolumeReport> {
    boot_volumes
        .iter()
        .map(|pv| VolumeReport {
            volume: pv.volume.clone(),
            filesystem: pv.fs.as_ref().map(|f| f.kind().to_string()),
            uuid: pv.fs.as_ref().and_then(|f| f.uuid()),
            label: pv.fs.as_ref().and_then(|f| f.label()),
            error: pv.fs_error.clone(),
        })
        .collect()
}

/// Probes `location` and reports what was found, never failing: errors are part of
/// the report.
pub fn probe(location: &str, options: Options) -> Report {
    let offset = options.offset;
    let allow_backing_file = options.allow_backing_file;
    let limits = options.limits.clone();
    match Boot::open(location, options) {
        Ok(boot) => Report {
            location: location.to_string(),
            volumes: volume_reports(boot.volumes()),
            notes: boot.notes.clone(),
            tried: boot.tried().to_vec(),
            config: Some(
                match boot.config().volume.and_then(|v| boot.volumes().get(v)) {
                    Some(pv) => format!("{} {}", pv.volume.describe(), boot.config().path),
                    None => boot.config().path.clone(),
                },
            ),
            language: Some(boot.config().language.name().to_string()),
            entries: boot.entries().to_vec(),
            default: boot.default_index(),
            warnings: boot.warnings().to_vec(),
            error: None,
        },
        Err(e) => {
            // Scan again (cheap) so the report still lists the volumes.
            let opts = Options {
                limits,
                offset,
                allow_backing_file,
                ..Options::default()
            };
            let (volumes, notes) = match scan_disk(std::path::Path::new(location), &opts) {
                Ok(scan) => (volume_reports(&scan.volumes), scan.notes),
                Err(_) => (Vec::new(), Vec::new()),
            };
            Report {
                location: location.to_string(),
                volumes,
                notes,
                tried: Vec::new(),
                config: None,
                language: None,
                entries: Vec::new(),
                default: None,
                warnings: Vec::new(),
                error: Some(e.to_string()),
            }
        }
    }
}
