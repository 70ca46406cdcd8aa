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
//! A spinner keeps its core, so where more threads spin than the process
//! can run at once, the thread that would end their waits may be queued
//! behind one of them until the spin budget runs out. Threads count
//! themselves in [`SPINNERS`] once a wait outlasts its first clock look;
//! while the count is above the cores the process may use, each spinner
//! yields its core at every clock look (a `sched_yield`, about 0.2 µs on the
//! project's VM when nothing else wants the core), and so does every
//! spinner where the process has one core. Measured on the Intel
//! host (`zerocast-bench --quick --filter fanout4/threads --rounds 3`,
//! alternating processes: a publisher and four subscribers, five threads on
//! two cores; three pairs): 13.1-13.8 ns per message against 179-196
//! without the yield (bus 108-121 in the same processes).
//! Yielding on every long wait instead, crowded or not, read 14.7-18.6 ns
//! there but cost the one-way latency row at p50 (176-234 ns against
//! 159-197 in the same sets): a receiver alone on its core gains nothing
//! from a yield and sees a message that lands during one late. On one
//! core (the same benchmark under `taskset -c 0`, two alternating pairs)
//! the yield took `spsc/threads/u64` from 36-63 ns to 6.5-6.6 (rtrb
//! 4.6-4.8), `spsc/threads-burst10/u64` from 34.8 µs to 261-262 ns (rtrb
//! 291-296), `fanout1/threads` from 70-123 to 7.0-7.1 (bus 34-35) and
//! `fanout4/threads` from 47-98 to 16.9-17.3 (bus 60).

use core::cell::Cell;
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
    /// `available_parallelism`, recorded by [`Spinners::count_cores`]; 0
    /// before.
    cores: AtomicUsize,
}

impl Spinners {
    const fn new() -> Self {
        Self {
            now: AtomicUsize::new(0),
            cores: AtomicUsize::new(0),
        }
    }

    /// Records the cores the process may use, the first time only: asking
    /// may allocate (the standard library reads cgroup files), so it is
    /// done where each thread builds its waker, at its first blocking call.
    fn count_cores(&self) {
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

    /// More threads spin than the process has cores, or it has one core,
    /// where every spinner holds the core of the thread it waits for. Asked
    /// only by a thread that counted itself. A heuristic, so `Relaxed`
    /// reads, and a count that is off for a moment costs a yield or a clock
    /// look without one.
    fn crowded(&self) -> bool {
        let cores = self.cores.load(Relaxed);
        self.now.load(Relaxed) > cores || cores == 1
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
    fn the_cores_are_counted_once() {
        let spinners = Spinners::new();
        spinners.count_cores();
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(spinners.cores.load(Relaxed), cores);
        spinners.cores.store(cores + 7, Relaxed);
        spinners.count_cores();
        assert_eq!(spinners.cores.load(Relaxed), cores + 7);
    }

    #[test]
    fn spinners_above_the_core_count_or_on_one_core_are_crowded() {
        let spinners = Spinners::new();
        spinners.cores.store(2, Relaxed);
        spinners.enter();
        assert!(!spinners.crowded());
        spinners.enter();
        assert!(!spinners.crowded());
        spinners.enter();
        assert!(spinners.crowded());
        spinners.leave();
        assert!(!spinners.crowded());
        spinners.leave();
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
