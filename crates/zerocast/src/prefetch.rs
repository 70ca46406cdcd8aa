//! Cache hints: ask for a line before it is read or written.
//!
//! A producer writes memory its consumer's core read last (ring slots,
//! pooled buffers), so each line it stores to must first be taken from the
//! other core. A read prefetch brings such a line shared, and the store still
//! waits for the other copy to go; `prefetchw` asks for the line ready to
//! write. The crate's default x86-64 target has no `prfchw` feature, so
//! `_mm_prefetch::<_MM_HINT_ET0>` compiles to the read prefetch there: the
//! write hint is emitted directly instead, where the CPU reports it (CPUID
//! leaf `0x8000_0001`, ECX bit 8, which Linux lists as `3dnowprefetch`:
//! this project's AMD EPYC host has it, as Intel's CPUs have since
//! Broadwell), asked once per process by [`init`]. Hints only: they never
//! fault and change no memory. They exist on x86-64 only, outside Miri and
//! loom, as do their callers; [`init`] is a no-op elsewhere.

#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
use core::sync::atomic::{AtomicU8, Ordering};

/// Whether `prefetchw` may be used: 0 not asked yet, 1 no, 2 yes.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
static WRITE_HINT: AtomicU8 = AtomicU8::new(0);

/// Asks the CPU whether it has `prefetchw`, once per process; call it where
/// a producer is made, before its hot path.
pub(crate) fn init() {
    #[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
    if !cfg!(target_feature = "prfchw") && WRITE_HINT.load(Ordering::Relaxed) == 0 {
        // SAFETY: every x86-64 CPU has CPUID and its leaf 0x8000_0001 (the
        // leaf that reports long mode itself).
        #[allow(unused_unsafe)]
        let ecx = unsafe { core::arch::x86_64::__cpuid(0x8000_0001) }.ecx;
        let has = ecx & (1 << 8) != 0;
        WRITE_HINT.store(if has { 2 } else { 1 }, Ordering::Relaxed);
    }
}

/// Whether [`write`] asks for lines to write (`prefetchw`), as [`init`]
/// found; `false` before it was called.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
#[inline(always)]
pub(crate) fn has_write_hint() -> bool {
    cfg!(target_feature = "prfchw") || WRITE_HINT.load(Ordering::Relaxed) == 2
}

/// Asks for the line of `at` to read.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
#[inline(always)]
pub(crate) fn read<T>(at: *const T) {
    // SAFETY: a prefetch never faults and changes no memory, whatever the
    // address.
    unsafe { core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(at.cast()) };
}

/// Asks for the line of `at` to write: `prefetchw` where the CPU has it,
/// else as [`read`].
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
#[inline(always)]
pub(crate) fn write<T>(at: *const T) {
    if has_write_hint() {
        // SAFETY: the CPU has `prefetchw` (`has_write_hint`); a prefetch
        // never faults and changes no memory, whatever the address.
        unsafe {
            core::arch::asm!(
                "prefetchw [{0}]",
                in(reg) at,
                options(nostack, preserves_flags, readonly)
            );
        }
        return;
    }
    read(at);
}

#[cfg(all(
    test,
    target_arch = "x86_64",
    target_os = "linux",
    not(zerocast_loom),
    not(miri)
))]
mod tests {
    #[test]
    fn the_write_hint_follows_what_the_cpu_reports() {
        super::init();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap();
        let flags = cpuinfo.lines().find(|l| l.starts_with("flags")).unwrap();
        // Linux names CPUID 0x8000_0001 ECX bit 8 `3dnowprefetch`.
        let reported = flags.split_whitespace().any(|f| f == "3dnowprefetch");
        let expected = reported || cfg!(target_feature = "prfchw");
        assert_eq!(super::has_write_hint(), expected);
        super::init();
        assert_eq!(super::has_write_hint(), expected);
    }

    #[test]
    fn hints_take_any_address() {
        super::init();
        let x = 5u64;
        super::read(&x);
        super::write(&x);
        super::read(core::ptr::null::<u8>());
        super::write(usize::MAX as *const u8);
        assert_eq!(x, 5);
    }
}
