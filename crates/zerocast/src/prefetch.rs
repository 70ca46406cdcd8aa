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
//!
//! Whether the hint pays for a line written whole (one item per line) was
//! measured to depend on the maker, so [`init`] records that too and
//! [`write_line`] follows it. On an Intel Xeon host (KVM, 2 cores) the SPSC
//! ring's 64-byte row (`spsc/threads/struct64`) ran 6.3-9.0 ns per message
//! with `prefetchw` against 38.4-41.7 with the read prefetch, in alternating
//! processes (`zerocast-bench --quick --filter spsc/threads/struct64
//! --rounds 3`); on an AMD EPYC (Zen 3) host it read slower with `prefetchw` in
//! three pairs of four (11.7-14.8 ns against 19.8-21.2). So whole lines get
//! the write hint on Intel's CPUs and the read hint elsewhere.

#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
use core::sync::atomic::{AtomicU8, Ordering};

/// What [`init`] found: 0 not asked yet, else [`ASKED`] with [`HAS_HINT`]
/// where the CPU has `prefetchw` and [`INTEL`] where Intel made it.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
static FOUND: AtomicU8 = AtomicU8::new(0);
/// [`init`] has run.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
const ASKED: u8 = 0b001;
/// The CPU has `prefetchw`.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
const HAS_HINT: u8 = 0b010;
/// The CPU is Intel's (CPUID leaf 0 names `GenuineIntel`).
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
const INTEL: u8 = 0b100;

/// Asks the CPU whether it has `prefetchw`, and who made it, once per
/// process; call it where a producer is made, before its hot path.
pub(crate) fn init() {
    #[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
    if FOUND.load(Ordering::Relaxed) == 0 {
        use core::arch::x86_64::__cpuid;
        // SAFETY: every x86-64 CPU has CPUID, its leaf 0 and its leaf
        // 0x8000_0001 (the leaf that reports long mode itself).
        #[allow(unused_unsafe)]
        let (vendor, ecx) = unsafe { (__cpuid(0), __cpuid(0x8000_0001).ecx) };
        // "GenuineIntel", in the register order EBX, EDX, ECX.
        let intel = (vendor.ebx, vendor.edx, vendor.ecx) == (0x756e_6547, 0x4965_6e69, 0x6c65_746e);
        let has = cfg!(target_feature = "prfchw") || ecx & (1 << 8) != 0;
        let found = ASKED | if has { HAS_HINT } else { 0 } | if intel { INTEL } else { 0 };
        FOUND.store(found, Ordering::Relaxed);
    }
}

/// Whether [`write()`] asks for lines to write (`prefetchw`), as [`init`]
/// found; `false` before it was called (unless the build targets `prfchw`).
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
#[inline(always)]
pub(crate) fn has_write_hint() -> bool {
    cfg!(target_feature = "prfchw") || FOUND.load(Ordering::Relaxed) & HAS_HINT != 0
}

/// Whether [`write_line`] asks for lines to write: the CPU has `prefetchw`
/// and is Intel's (see the module's notes), as [`init`] found.
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
#[inline(always)]
fn has_line_hint() -> bool {
    const BOTH: u8 = HAS_HINT | INTEL;
    FOUND.load(Ordering::Relaxed) & BOTH == BOTH
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

/// Asks for the line of `at`, which the caller will write whole: as
/// [`write()`] on Intel's CPUs, else as [`read`] (see the module's notes).
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
#[inline(always)]
pub(crate) fn write_line<T>(at: *const T) {
    if has_line_hint() {
        write(at);
    } else {
        read(at);
    }
}

/// How far ahead a ring's handles ask for slots of `T` ([`ahead`]).
#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
struct Ahead<T>(core::marker::PhantomData<T>);

#[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
impl<T> Ahead<T> {
    /// Four cache lines' worth of slots, for items of up to a line (none
    /// for larger ones).
    const SLOTS: usize = match core::mem::size_of::<T>() {
        0 | 65.. => 0,
        size => 256 / size,
    };

    /// Slots that may share a cache line with a given one, on either side.
    const LINE: usize = match core::mem::size_of::<T>() {
        0 => 0,
        size => 2 * 64 / size,
    };

    /// Whether a writer always asks for lines to write (`prefetchw`)
    /// rather than to read: for items of up to 32 bytes, two or more to a
    /// line. Measured on an AMD EPYC host (`spsc/threads`, alternating
    /// processes): with `prefetchw` the `u64` row ran 2.6-2.7 ns against 3.0
    /// with the read prefetch in the host's fast phase and 6.5-7.0 against
    /// 16-24 in its slow one. Larger items, one to a line, ask as
    /// [`write_line`] decides: the write hint helps them on Intel's CPUs and
    /// not on that AMD host.
    const EXCLUSIVE: bool = core::mem::size_of::<T>() <= 32;
}

/// Asks the cache for the slot [`Ahead::SLOTS`] positions after slot index
/// `slot` of the ring of `capacity` slots at `slots` (to read; with
/// `WRITE`, to write: `prefetchw` where the CPU has it and the items are
/// small ([`Ahead::EXCLUSIVE`]) or the CPU is Intel's, else the read
/// prefetch), once a line's worth of slots (at every `LINE / 2`-th slot),
/// when the `ready` slots from `slot` on (items published, for a reader;
/// slots released, for a writer) reach past every slot that shares its
/// cache line: that line then holds only slots the other side is done
/// with, so asking for it early takes nothing from under it. The slots'
/// lines come from the other side's core; one asked for ahead arrives while
/// the handle works through the lines before it. A hint only: it changes no
/// memory. Used by `spsc` and by gated `multicast` channels.
#[inline(always)]
pub(crate) fn ahead<T, const WRITE: bool>(
    slots: *const T,
    capacity: usize,
    slot: usize,
    ready: usize,
) {
    #[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
    if Ahead::<T>::SLOTS > 0
        && slot % (Ahead::<T>::LINE / 2) == 0
        && ready > Ahead::<T>::SLOTS + Ahead::<T>::LINE
        && slot + Ahead::<T>::SLOTS < capacity
    {
        let at = slots.wrapping_add(slot + Ahead::<T>::SLOTS);
        if WRITE && Ahead::<T>::EXCLUSIVE {
            write(at);
        } else if WRITE {
            write_line(at);
        } else {
            read(at);
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(zerocast_loom), not(miri))))]
    let _ = (slots, capacity, slot, ready);
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
        let intel = cpuinfo
            .lines()
            .find(|l| l.starts_with("vendor_id"))
            .is_some_and(|l| l.ends_with("GenuineIntel"));
        assert_eq!(super::has_line_hint(), expected && intel);
    }

    #[test]
    fn hints_take_any_address() {
        super::init();
        let x = 5u64;
        super::read(&x);
        super::write(&x);
        super::write_line(&x);
        super::read(core::ptr::null::<u8>());
        super::write(usize::MAX as *const u8);
        super::write_line(usize::MAX as *const u8);
        assert_eq!(x, 5);
    }
}
