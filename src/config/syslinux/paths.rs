//! File names in a syslinux configuration. syslinux opens relative names against its
//! working directory, which is the directory of the configuration file it loaded
//! (it does not change when an `INCLUDE`d file lives elsewhere); absolute names are
//! on the filesystem that holds the configuration. pxelinux is the exception: its
//! files live in `<prefix>/pxelinux.cfg/`, and relative names are taken from the
//! prefix (the directory of `pxelinux.0`), the parent of `pxelinux.cfg`.

/// The directory relative names in the configuration `config_path` resolve against.
pub fn base_directory(config_path: &str) -> String {
    let dir = directory_of(config_path);
    match dir.rsplit_once('/') {
        Some(("", "pxelinux.cfg")) => "/".to_string(),
        Some((parent, "pxelinux.cfg")) => parent.to_string(),
        _ => dir,
    }
}

/// The directory part of `config_path` (`/boot/extlinux/extlinux.conf` →
/// `/boot/extlinux`), normalised; `/` when there is none.
fn directory_of(config_path: &str) -> String {
    let norm = normalize(config_path);
    match norm.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => norm.get(..i).unwrap_or("/").to_string(),
    }
}

/// Resolves `name` as syslinux would: absolute names (and pxelinux's `::name`, an
/// absolute name on the TFTP server) stay on the configuration's filesystem, relative
/// names are taken from `dir`. URLs (`http://…`, gpxelinux/lpxelinux) are returned
/// unchanged. The result is normalised: `.` and empty components dropped, `..` pops a
/// component (never above the root).
pub fn resolve(dir: &str, name: &str) -> String {
    if name.contains("://") {
        return name.to_string();
    }
    if let Some(abs) = name.strip_prefix("::") {
        return normalize(&format!("/{abs}"));
    }
    if name.starts_with('/') {
        normalize(name)
    } else {
        normalize(&format!("{dir}/{name}"))
    }
}

/// Normalises an absolute path: `/a//b/./c/../d` → `/a/b/d`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_use_the_config_directory() {
        let dir = directory_of("/boot/extlinux//extlinux.conf");
        assert_eq!(dir, "/boot/extlinux");
        assert_eq!(resolve(&dir, "vmlinuz"), "/boot/extlinux/vmlinuz");
        assert_eq!(resolve(&dir, "../vmlinuz"), "/boot/vmlinuz");
        assert_eq!(resolve(&dir, "./a/./b"), "/boot/extlinux/a/b");
        assert_eq!(resolve(&dir, "../../../../x"), "/x");
        assert_eq!(resolve(&dir, "/abs//k"), "/abs/k");
        assert_eq!(resolve(&dir, "::k/v"), "/k/v");
        assert_eq!(resolve(&dir, "http://h/k"), "http://h/k");
        assert_eq!(directory_of("/extlinux.conf"), "/");
        assert_eq!(directory_of("extlinux.conf"), "/");
        assert_eq!(resolve("/", "vmlinuz"), "/vmlinuz");
        assert_eq!(
            base_directory("/boot/extlinux/extlinux.conf"),
            "/boot/extlinux"
        );
        assert_eq!(base_directory("/tftp/pxelinux.cfg/default"), "/tftp");
        assert_eq!(base_directory("/pxelinux.cfg/01-aa-bb"), "/");
    }
}
