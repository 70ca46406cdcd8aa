//! The pools commit their memory when they are built: every page of their
//! buffers is touched then, so the first use of a buffer on the hot path
//! takes no page fault (the kernel finding, zeroing and mapping a page — an
//! allocation by the operating system, and microseconds on a VM). Counted
//! with the thread's minor faults (`getrusage`, Linux).
#![cfg(all(target_os = "linux", not(zerocast_loom)))]

use zerocast::pool::{BufferPool, Scratch, SlabPool};

/// Bytes per page the tests write to (the smallest page size of the
/// targets this runs on).
const PAGE: usize = 4096;
/// Bytes of each pool: above the 32 MiB up to which glibc's `malloc` may
/// serve a large block from memory an earlier test already touched, so each
/// pool is freshly mapped.
const POOL: usize = 40 << 20;

/// Minor page faults of this thread so far.
fn minor_faults() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the `rusage` it is given and nothing else.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage");
    // SAFETY: filled by the successful call (and zeroed before it).
    unsafe { usage.assume_init() }.ru_minflt
}

/// Faults taken by `touch`, which writes `pages` fresh pages: well under
/// one per page (a few for the test's own stack and bookkeeping).
fn assert_no_faults(pages: usize, touch: impl FnOnce()) {
    let before = minor_faults();
    touch();
    let faults = minor_faults() - before;
    assert!(
        faults < 16,
        "{faults} page faults writing {pages} pages of a pool just built"
    );
}

#[test]
fn a_buffer_pools_first_lap_takes_no_page_faults() {
    let (size, count) = (16 * 1024, POOL / (16 * 1024));
    let pool = BufferPool::builder(size, count).cache(1).build();
    let local = pool.register();
    // Written all through before counting, so that holding the buffers
    // takes no fault of its own.
    let mut held: Vec<_> = (0..count).map(|_| None).collect();
    assert_no_faults(size * count / PAGE, || {
        for slot in &mut held {
            let mut buf = local.try_acquire().expect("a free buffer");
            for at in (0..size).step_by(PAGE) {
                buf[at] = 1;
            }
            *slot = Some(buf);
        }
    });
}

#[test]
fn a_slab_pools_first_lap_takes_no_page_faults() {
    let (size, pages) = (64 * 1024, POOL / (64 * 1024));
    let pool = SlabPool::new(0, size, pages).expect("a valid pool");
    let mut held: Vec<_> = (0..pages).map(|_| None).collect();
    assert_no_faults(size * pages / PAGE, || {
        for slot in &mut held {
            let mut page = pool.alloc_local(size).expect("a free page");
            for at in (0..size).step_by(PAGE) {
                page[at] = 1;
            }
            *slot = Some(page);
        }
    });
}

#[test]
fn a_scratch_arenas_first_fill_takes_no_page_faults() {
    let size = POOL;
    let mut scratch = Scratch::new(size);
    scratch.with(|arena| {
        let bytes = arena.alloc(size).expect("the whole arena");
        assert_no_faults(size / PAGE, || {
            for at in (0..size).step_by(PAGE) {
                bytes[at] = 1;
            }
        });
    });
}
