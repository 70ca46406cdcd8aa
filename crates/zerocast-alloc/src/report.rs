//! What a violation records, how it reads, and the allocation-free abort path.

use core::fmt;

/// The allocator operation that was called.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::AllocOp;
///
/// assert_eq!(AllocOp::AllocZeroed.to_string(), "alloc_zeroed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllocOp {
    /// `GlobalAlloc::alloc`.
    Alloc,
    /// `GlobalAlloc::alloc_zeroed`.
    AllocZeroed,
    /// `GlobalAlloc::realloc`; the size is the new size.
    Realloc,
    /// `GlobalAlloc::dealloc`; a violation only where a guard denies it.
    Dealloc,
}

impl AllocOp {
    /// The operation's name, as it appears in reports.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(zerocast_alloc::AllocOp::Realloc.as_str(), "realloc");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            AllocOp::Alloc => "alloc",
            AllocOp::AllocZeroed => "alloc_zeroed",
            AllocOp::Realloc => "realloc",
            AllocOp::Dealloc => "dealloc",
        }
    }
}

impl fmt::Display for AllocOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One allocator call made inside a hot-path section.
///
/// Recorded inside the allocator without allocating: the section name is the
/// `&'static str` the guard was entered with.
///
/// The caller's return address is not recorded: stable Rust has no
/// allocation-free way to read it (unwinders may allocate on first use). To find
/// the call site, run the failing test with [`Mode::Abort`](crate::Mode::Abort)
/// under a debugger: the process stops inside the offending allocation with the
/// whole stack intact.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{AllocOp, GuardOptions, GuardedAlloc, Mode};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     {
///         let _hot = GuardOptions::new().mode(Mode::Count).enter("decode");
///         let _ = Box::new([0u8; 24]);
///     }
///     # if zerocast_alloc::ENFORCING {
///     let v = zerocast_alloc::last_violation().unwrap();
///     assert_eq!((v.op, v.size, v.section), (AllocOp::Alloc, 24, "decode"));
///     # }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The allocator operation.
    pub op: AllocOp,
    /// The requested size in bytes (the new size for `realloc`).
    pub size: usize,
    /// The innermost section active at the time.
    pub section: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ALLOCATION IN HOT PATH: {} of {} bytes in section `{}`",
            self.op, self.size, self.section
        )
    }
}

/// The message a guard panics with: the first violation and how many followed.
pub(crate) struct Report {
    pub(crate) first: Violation,
    pub(crate) more: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if self.more > 0 {
            write!(f, " (and {} more)", self.more)?;
        }
        f.write_str(
            "; hot-path code must not allocate: pre-allocate at start-up, \
             or wrap intended allocations in `allow_alloc`",
        )
    }
}

/// A fixed stack buffer that formats without allocating and truncates when full.
struct StackBuf {
    buf: [u8; 512],
    len: usize,
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Writes the violation to standard error with a raw `write(2)` and aborts.
///
/// Runs inside the allocator, so it formats into a stack buffer and writes to
/// file descriptor 2 directly: no allocation, no lock, no unwinding.
#[cold]
pub(crate) fn abort(violation: &Violation) -> ! {
    use fmt::Write as _;
    let mut out = StackBuf {
        buf: [0; 512],
        len: 0,
    };
    let _ = writeln!(out, "{violation} (mode: abort)");
    write_stderr(&out.buf[..out.len]);
    std::process::abort()
}

#[cfg(unix)]
fn write_stderr(bytes: &[u8]) {
    use std::io::Write as _;
    use std::mem::ManuallyDrop;
    use std::os::fd::FromRawFd as _;
    // SAFETY: descriptor 2 is open for the life of the process (or the write
    // fails harmlessly); `ManuallyDrop` keeps the `File` from closing it.
    let mut stderr = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(2) });
    let _ = stderr.write_all(bytes);
}

#[cfg(not(unix))]
fn write_stderr(bytes: &[u8]) {
    use std::io::Write as _;
    // Stderr is unbuffered and does not allocate on write.
    let _ = std::io::stderr().write_all(bytes);
}

/// Violations recorded on this thread since it started (in every [`Mode`]).
///
/// [`Mode`]: crate::Mode
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{violation_count, GuardOptions, GuardedAlloc, Mode};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let before = violation_count();
///     {
///         let _g = GuardOptions::new().mode(Mode::Count).enter("tick");
///         let _ = String::from("oops");
///     }
///     # if zerocast_alloc::ENFORCING {
///     assert_eq!(violation_count() - before, 1);
///     let last = zerocast_alloc::last_violation().unwrap();
///     assert_eq!((last.op.as_str(), last.size, last.section), ("alloc", 4, "tick"));
///     # }
/// }
/// ```
pub fn violation_count() -> u64 {
    crate::state::with(|s| s.violations.get()).unwrap_or(0)
}

/// The most recent violation recorded on this thread, if any.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{GuardOptions, GuardedAlloc, Mode};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     assert!(zerocast_alloc::last_violation().is_none());
///     {
///         let _hot = GuardOptions::new().mode(Mode::Count).enter("encode");
///         let _ = vec![0u8; 32];
///     }
///     # if zerocast_alloc::ENFORCING {
///     let last = zerocast_alloc::last_violation().unwrap();
///     assert_eq!((last.section, last.size), ("encode", 32));
///     # }
/// }
/// ```
pub fn last_violation() -> Option<Violation> {
    crate::state::with(|s| s.last.get()).flatten()
}

/// Violations recorded on all threads since start-up: a process-wide figure
/// for a CI gate at the end of a run.
///
/// # Examples
///
/// ```
/// // No guard has been entered in this program.
/// assert_eq!(zerocast_alloc::total_violation_count(), 0);
/// ```
pub fn total_violation_count() -> u64 {
    crate::state::total_violations()
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write as _;

    #[test]
    fn stack_buf_truncates_instead_of_overflowing() {
        let mut out = StackBuf {
            buf: [0; 512],
            len: 0,
        };
        for _ in 0..100 {
            let _ = out.write_str("0123456789");
        }
        assert_eq!(out.len, 512);
        assert_eq!(&out.buf[..10], b"0123456789");
    }

    #[test]
    fn report_names_operation_size_and_section() {
        let first = Violation {
            op: AllocOp::Realloc,
            size: 48,
            section: "app::tick",
        };
        let mut out = StackBuf {
            buf: [0; 512],
            len: 0,
        };
        let _ = write!(out, "{}", Report { first, more: 2 });
        let text = core::str::from_utf8(&out.buf[..out.len]).unwrap();
        assert!(text.starts_with(
            "ALLOCATION IN HOT PATH: realloc of 48 bytes in section `app::tick` (and 2 more)"
        ));
    }
}
