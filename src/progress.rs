//! Progress and warnings on stderr; stdout is kept for data.

use std::fmt;
use std::io::Write;

/// Where collection progress goes. Silent with `--quiet`; warnings always print.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress { quiet }
    }

    pub fn info(&self, message: fmt::Arguments<'_>) {
        if !self.quiet {
            Self::print("", message);
        }
    }

    pub fn warn(&self, message: fmt::Arguments<'_>) {
        Self::print("warning: ", message);
    }

    fn print(prefix: &str, message: fmt::Arguments<'_>) {
        // Progress is best effort: a closed stderr must not stop the audit.
        let _ = writeln!(std::io::stderr().lock(), "vpcaudit: {prefix}{message}");
    }
}
