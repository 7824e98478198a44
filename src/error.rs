//! The one error type of the library: a stable [`ErrorKind`] (mapped to C status codes)
//! plus a human message and a chain of context lines saying what was being tried.

use std::fmt;

/// The stable class of an error. Each kind maps to one C status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller passed an invalid argument (bad selector, bad option, NULL pointer).
    Invalid,
    /// Reading the source or writing the output failed at the operating-system level.
    Io,
    /// No boot configuration was found on any volume.
    NoConfig,
    /// The requested (or default) menu entry does not exist or cannot be booted.
    NoEntry,
    /// A file named by the configuration does not exist in the guest filesystem.
    NotFound,
    /// Guest data is malformed (bad partition table, corrupt filesystem, …).
    Corrupt,
    /// The data uses a format or feature that is not supported.
    Unsupported,
    /// A resource bound from [`crate::limits::Limits`] was exceeded.
    Limit,
    /// A network operation failed.
    Network,
    /// An internal panic was caught at the C boundary.
    Panic,
}

impl ErrorKind {
    /// A short, stable, lower-case name for the kind (used in JSON output).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::Io => "io",
            ErrorKind::NoConfig => "no-config",
            ErrorKind::NoEntry => "no-entry",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit",
            ErrorKind::Network => "network",
            ErrorKind::Panic => "panic",
        }
    }
}

/// An error with its kind, message and the context in which it happened
/// (innermost first).
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    context: Vec<String>,
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Creates an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            context: Vec::new(),
        }
    }

    /// Shorthand for an [`ErrorKind::Corrupt`] error.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Corrupt, message)
    }

    /// Shorthand for an [`ErrorKind::Limit`] error.
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Limit, message)
    }

    /// Shorthand for an [`ErrorKind::Invalid`] error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    /// Shorthand for an [`ErrorKind::NotFound`] error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Shorthand for an [`ErrorKind::Unsupported`] error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// Wraps an I/O error, naming what was being done.
    pub fn io(what: impl Into<String>, err: &std::io::Error) -> Self {
        Self::new(ErrorKind::Io, format!("{}: {err}", what.into()))
    }

    /// Adds an outer context line ("while reading /boot/grub/grub.cfg on msdos1").
    #[must_use]
    pub fn context(mut self, ctx: impl Into<String>) -> Self {
        self.context.push(ctx.into());
        self
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The innermost message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Bytes of text the error holds (message and context), for callers that keep
    /// errors and must bound what they keep.
    pub(crate) fn text_len(&self) -> usize {
        self.context
            .iter()
            .fold(self.message.len(), |n, c| n.saturating_add(c.len()))
    }

    /// Context lines, innermost first.
    pub fn context_lines(&self) -> &[String] {
        &self.context
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ctx in self.context.iter().rev() {
            write!(f, "{ctx}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Adds context to results in one call.
pub trait ResultExt<T> {
    /// Adds a context line to the error, if any; the closure runs only on error.
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn with_context<F: FnOnce() -> String>(self, f: F) -> Result<T> {
        self.map_err(|e| e.context(f()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_outer_context_first() {
        let e = Error::not_found("no such file /vmlinuz")
            .context("partition msdos1")
            .context("extracting kernel");
        assert_eq!(
            e.to_string(),
            "extracting kernel: partition msdos1: no such file /vmlinuz"
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }
}
