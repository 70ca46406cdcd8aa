//! Blocking waits for plain threads: spin for a while, then park.
//!
//! Each thread has one waker that unparks it, built on the thread's first
//! blocking call (one allocation per thread, at start-up) and cloned by
//! reference count afterwards, so a blocking wait allocates nothing in the
//! steady state.
//!
//! How long to spin adapts per thread, as adaptive mutexes do: a wait that
//! had to park but ended within [`MAX_SPIN`] (a stream whose messages arrive
//! every few microseconds) makes the next waits spin about twice that long,
//! so they catch the next message without paying for a park and a wake-up
//! (several microseconds on a VM); a wait longer than that halves the budget
//! again, down to [`MIN_SPIN`], so an idle thread parks almost at once.
//!
//! A spinner keeps its core, and it waits for some thread that is not
//! spinning: once as many threads spin as the process has cores, that
//! thread has no core of its own and may queue behind a spinner until the
//! budget runs out. Threads count themselves in [`SPINNERS`] once a wait
//! outlasts its first clock look; while they are as many as the cores
//! ([`Spinners::count_cores`]: on Linux the union of the CPU sets of the
//! process's threads, as a thread pinned to one core says only where it
//! runs), each spinner yields its core at every clock look (a
//! `sched_yield`, about 0.2 µs on the project's VM when nothing else wants
//! the core). On one core that is every spinner.
//!
//! Measured on the Intel host, alternating processes of the session's first
//! build and this one (`zerocast-bench --quick --filter fanout --filter
//! latency/oneway --filter spsc/threads/u64 --rounds 3`, three pairs):
//! `fanout4/threads` (a publisher and four subscribers, five threads on
//! two cores) 13.4-14.3 ns per message against 187-197 (bus 101-133),
//! `fanout1/threads` 3.1-3.4 against 2.9-3.1, `spsc/threads/u64` 2.8-3.1
//! against 3.2-3.5, and one-way p50 190-198 ns against 171-181 (the floor
//! 163-175): a waiting receiver pays for counting itself in and out, about
//! a tenth of its wake-up. Yielding on every long wait, crowded or not,
//! read 14.7-18.6 ns on `fanout4/threads` but cost the one-way p50 more
//! (176-234 ns against 159-197): a receiver alone on its core gains nothing
//! from a yield and sees a message that lands during one late. On one core
//! (the same benchmark under `taskset -c 0`, two pairs) `spsc/threads/u64`
//! read 6.4 ns against 143-147 (rtrb 4.7-5.5), `spsc/threads-burst10/u64`
//! 260 ns against 34.8 µs (rtrb 293-295), `fanout1/threads` 7.1-7.2
//! against 114-122 (bus 35) and `fanout4/threads` 17.5-17.7 against
//! 161-164 (bus 60).

use core::cell::Cell;
#[cfg(all(target_os = "linux", not(miri)))]
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crate::error::Closed;
use crate::sync::CachePadded;

/// The shortest spin before parking: enough to cover a hand-off that is
/// already under way.
const MIN_SPIN: Duration = Duration::from_micros(2);
/// The longest: about ten times what a park and wake-up cost on a small VM,
/// and the most a thread burns on a wait it then has to park for anyway.
const MAX_SPIN: Duration = Duration::from_micros(50);
/// Condition checks between looks at the clock while spinning.
const CHECKS_PER_CLOCK: u32 = 32;

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Threads spinning now, and the cores the process may use (see the
/// module docs).
struct Spinners {
    /// Threads past the first clock look of a spin, not yet done with it.
    now: AtomicUsize,
    /// The cores the process may use, recorded by
    /// [`Spinners::count_cores`]; 0 before.
    cores: AtomicUsize,
    /// Linux: the CPUs any thread was allowed on when it built its waker,
    /// a bit each (`cores` counts them).
    #[cfg(all(target_os = "linux", not(miri)))]
    allowed: [AtomicU64; CPU_WORDS],
}

/// Words of a Linux `cpu_set_t`.
#[cfg(all(target_os = "linux", not(miri)))]
const CPU_WORDS: usize = core::mem::size_of::<libc::cpu_set_t>() / 8;

/// The CPUs this thread may run on (Linux), or `None` if the kernel's set
/// does not fit a `cpu_set_t`.
#[cfg(all(target_os = "linux", not(miri)))]
fn this_thread_cpus() -> Option<[u64; CPU_WORDS]> {
    // SAFETY: `cpu_set_t` is plain bits; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    let size = core::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: the kernel writes at most the size it is given into `set`.
    if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
        return None;
    }
    // SAFETY: `cpu_set_t` is `CPU_WORDS` words of bits and nothing else
    // (`transmute` checks the sizes), every pattern a valid `u64`.
    Some(unsafe { core::mem::transmute::<libc::cpu_set_t, [u64; CPU_WORDS]>(set) })
}

impl Spinners {
    const fn new() -> Self {
        Self {
            now: AtomicUsize::new(0),
            cores: AtomicUsize::new(0),
            #[cfg(all(target_os = "linux", not(miri)))]
            allowed: [const { AtomicU64::new(0) }; CPU_WORDS],
        }
    }

    /// Records the cores the calling thread may use, where each thread
    /// builds its waker (its first blocking call). On Linux the count is of
    /// every CPU some thread was allowed on: a thread pinned to one core
    /// (thread-per-core designs, this project's benchmarks) says only where
    /// it runs, not how many cores the process has, so the union of the
    /// threads' sets stands for the process. Elsewhere, and where the set
    /// does not fit, `available_parallelism`, asked once (it may allocate:
    /// the standard library reads cgroup files).
    fn count_cores(&self) {
        #[cfg(all(target_os = "linux", not(miri)))]
        if let Some(mine) = this_thread_cpus() {
            for (word, bits) in self.allowed.iter().zip(mine) {
                word.fetch_or(bits, SeqCst);
            }
            let all = self.allowed.iter();
            let cores = all.map(|w| w.load(SeqCst).count_ones() as usize).sum();
            self.cores.fetch_max(cores, SeqCst);
            return;
        }
        if self.cores.load(Relaxed) == 0 {
            let cores = thread::available_parallelism().map_or(1, |n| n.get());
            self.cores.store(cores, Relaxed);
        }
    }

    fn enter(&self) {
        self.now.fetch_add(1, Relaxed);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Relaxed);
    }

    /// As many threads spin as the process has cores: each spinner waits
    /// for some thread that is not spinning, and that thread then has no
    /// core of its own (on one core, any spinner). Asked only by a thread
    /// that counted itself. A heuristic, so `Relaxed` reads, and a count
    /// that is off for a moment costs a yield or a clock look without one.
    fn crowded(&self) -> bool {
        self.now.load(Relaxed) >= self.cores.load(Relaxed)
    }
}

/// The process's spinners, on a line of their own: the count changes at the
/// start and end of every long wait, and a word beside it that another
/// thread reads on its hot path is taken from that thread's core each time.
/// Unpadded, the linker put the count on the line of `prefetch`'s CPU flags
/// and the fence's `membarrier` state (`nm -n`), which every SPSC push
/// reads: one-way p50 222-259 ns against 153-187.
static SPINNERS: CachePadded<Spinners> = CachePadded::new(Spinners::new());

std::thread_local! {
    static WAKER: Waker = {
        SPINNERS.count_cores();
        Waker::from(Arc::new(Unparker(thread::current())))
    };
    /// This thread's spin budget in nanoseconds (see the module docs).
    static SPIN_NS: Cell<u64> = const { Cell::new(MIN_SPIN.as_nanos() as u64) };
}

/// Spins until `ready` (`Ok`) or until `budget` has passed since the clock
/// was first read (`Err` with that time). The clock is read only after the
/// first checks fail, so a wait that is over at once costs no clock read
/// and is not counted in [`SPINNERS`]; from then on, while the spinners
/// are crowded ([`Spinners::crowded`]), it yields at each clock look.
#[inline]
fn spin(budget: Duration, mut ready: impl FnMut() -> bool) -> Result<(), Instant> {
    let mut start = None;
    let outcome = loop {
        let mut checks = 0;
        while checks < CHECKS_PER_CLOCK && !ready() {
            core::hint::spin_loop();
            checks += 1;
        }
        if checks < CHECKS_PER_CLOCK {
            break Ok(());
        }
        let since = *start.get_or_insert_with(|| {
            SPINNERS.enter();
            Instant::now()
        });
        if since.elapsed() >= budget {
            break Err(since);
        }
        if SPINNERS.crowded() {
            thread::yield_now();
        }
    };
    if start.is_some() {
        SPINNERS.leave();
    }
    outcome
}

/// The next budget after a wait that parked and took `waited` in all.
fn adapt(budget: Duration, waited: Duration) -> Duration {
    if waited <= MAX_SPIN {
        // Spinning about this long would have caught it.
        (waited * 2).clamp(MIN_SPIN, MAX_SPIN)
    } else {
        (budget / 2).max(MIN_SPIN)
    }
}

/// How many free slots a blocking send that found a ring of `capacity`
/// full spins for before it goes on: `capacity / 16`, at least 1, at most
/// 64. A batch, not one slot, so that the sender, a ring ahead of its
/// receivers, stops taking the lines they are working on (their position,
/// or the slot counts they release) back and forth on every message; should
/// the spin end first, one free slot is enough. Used by
/// `spsc::Producer::push_blocking` and `multicast::Publisher::publish_blocking`
/// (`zerocast-bench --quick --filter fanout --rounds 3`, alternating
/// processes on the Intel host: `fanout1/threads/u64` 60-89 ns
/// when the publisher spun for one slot, 11-12 with this batch).
pub(crate) fn room_batch(capacity: usize) -> usize {
    (capacity / 16).clamp(1, 64)
}

/// Builds this thread's waker if it has none yet: every blocking call starts
/// here, so the one allocation happens on a thread's first blocking call,
/// deterministically, even when that call does not have to wait.
#[inline]
pub(crate) fn prepare() {
    WAKER.with(|_| {});
}

/// The shape of every blocking form that moves a value or an item: `now`,
/// inline, checks whether the operation can go ahead at once; if not,
/// `wait` (out of line) waits until it can (`Ok`) or the channel is closed.
/// The caller moves its value or item only after this returns, so neither
/// passes through memory for the out-of-line call: a 64-byte item built in
/// registers and handed to such a call was stored to the stack and read back
/// on every message, and the wide load stalled on the narrow stores.
#[inline(always)]
pub(crate) fn ready<S: ?Sized>(
    state: &mut S,
    now: impl FnOnce(&mut S) -> bool,
    wait: impl FnOnce(&mut S) -> Result<(), Closed>,
) -> Result<(), Closed> {
    prepare();
    if now(state) {
        Ok(())
    } else {
        wait(state)
    }
}

/// Waits until `poll` is ready: spins on the cheap `ready` check first, then
/// polls with this thread's waker and parks between polls.
///
/// The thread's waker is built on its first call here, whether or not it has
/// to wait: a deterministic start-up cost that a warm-up always covers, never a
/// surprise allocation later in a guarded section.
pub(crate) fn wait<S: ?Sized, R>(
    state: &mut S,
    mut ready: impl FnMut(&mut S) -> bool,
    mut poll: impl FnMut(&mut S, &mut Context<'_>) -> Poll<R>,
) -> R {
    WAKER.with(|waker| {
        let budget = Duration::from_nanos(SPIN_NS.with(Cell::get));
        let start = match spin(budget, || ready(state)) {
            Ok(()) => {
                // Most waits end here, without registering anything. Should
                // the poll still find nothing, the noop waker it registered
                // is replaced by the real one below.
                let mut cx = Context::from_waker(Waker::noop());
                if let Poll::Ready(r) = poll(state, &mut cx) {
                    return r;
                }
                Instant::now()
            }
            Err(start) => start,
        };
        let mut cx = Context::from_waker(waker);
        let r = loop {
            match poll(state, &mut cx) {
                Poll::Ready(r) => break r,
                // Spurious unparks are fine: the loop polls again.
                Poll::Pending => thread::park(),
            }
        };
        let next = adapt(budget, start.elapsed());
        SPIN_NS.with(|ns| ns.set(next.as_nanos() as u64));
        r
    })
}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_spin_budget_grows_to_cover_short_waits_and_shrinks_after_long_ones() {
        let us = Duration::from_micros;
        // A parked wait that ended after 10 µs: spin about 20 µs next time.
        assert_eq!(adapt(MIN_SPIN, us(10)), us(20));
        // Never beyond the cap, never below the floor.
        assert_eq!(adapt(MIN_SPIN, us(40)), MAX_SPIN);
        assert_eq!(adapt(MIN_SPIN, Duration::from_nanos(100)), MIN_SPIN);
        // A long wait (an idle stream) halves it, down to the floor.
        assert_eq!(adapt(MAX_SPIN, us(5_000)), MAX_SPIN / 2);
        assert_eq!(adapt(MIN_SPIN, us(5_000)), MIN_SPIN);
    }

    #[test]
    fn a_thread_counts_the_cores_it_may_use_and_the_count_only_grows() {
        let spinners = Spinners::new();
        spinners.count_cores();
        let cores = spinners.cores.load(Relaxed);
        #[cfg(all(target_os = "linux", not(miri)))]
        let expected =
            this_thread_cpus().map(|set| set.iter().map(|w| w.count_ones() as usize).sum());
        #[cfg(not(all(target_os = "linux", not(miri))))]
        let expected = Some(thread::available_parallelism().map_or(1, |n| n.get()));
        assert_eq!(Some(cores), expected);
        assert!(cores >= 1);
        spinners.cores.store(cores + 7, Relaxed);
        spinners.count_cores();
        assert_eq!(spinners.cores.load(Relaxed), cores + 7);
    }

    /// A thread pinned to one CPU counts one; an unpinned one adds the rest.
    #[cfg(all(target_os = "linux", not(miri)))]
    #[test]
    fn the_cores_are_the_union_of_the_threads_sets() {
        let Some(all) = this_thread_cpus() else {
            return;
        };
        let total: usize = all.iter().map(|w| w.count_ones() as usize).sum();
        let first = (0..CPU_WORDS * 64)
            .find(|&c| all[c / 64] & (1 << (c % 64)) != 0)
            .unwrap();
        let spinners = Spinners::new();
        thread::scope(|scope| {
            scope.spawn(|| {
                // SAFETY: a zeroed `cpu_set_t` is the empty set.
                let mut one: libc::cpu_set_t = unsafe { core::mem::zeroed() };
                // SAFETY: `first` is below the set's size in bits.
                unsafe { libc::CPU_SET(first, &mut one) };
                let size = core::mem::size_of::<libc::cpu_set_t>();
                // SAFETY: the kernel reads `size` bytes of `one`.
                assert_eq!(unsafe { libc::sched_setaffinity(0, size, &one) }, 0);
                spinners.count_cores();
                assert_eq!(spinners.cores.load(Relaxed), 1);
            });
        });
        spinners.count_cores();
        assert_eq!(spinners.cores.load(Relaxed), total);
    }

    #[test]
    fn as_many_spinners_as_cores_are_crowded() {
        let spinners = Spinners::new();
        spinners.cores.store(2, Relaxed);
        spinners.enter();
        assert!(!spinners.crowded());
        spinners.enter();
        assert!(spinners.crowded());
        spinners.leave();
        assert!(!spinners.crowded());
        // One core: the one spinner holds up whatever it waits for.
        spinners.cores.store(1, Relaxed);
        assert!(spinners.crowded());
    }

    #[test]
    fn spinning_returns_at_once_when_ready_and_gives_up_after_the_budget() {
        assert_eq!(spin(MAX_SPIN, || true), Ok(()));
        let mut checks = 0;
        let started = Instant::now();
        let given_up = spin(MIN_SPIN, || {
            checks += 1;
            false
        });
        assert!(given_up.is_err() && checks >= CHECKS_PER_CLOCK);
        assert!(started.elapsed() >= MIN_SPIN);
    }
}
