//! `count_allocs` and `assert_no_alloc`: exact figures, this thread only.

mod common;

use std::hint::black_box;

use common::panic_message;
use zerocast_alloc::{assert_no_alloc, count_allocs, AllocStats};

#[test]
fn counts_exactly_one_box() {
    let (b, stats) = count_allocs(|| Box::new(7u64));
    assert_eq!(
        stats,
        AllocStats {
            allocs: 1,
            reallocs: 0,
            deallocs: 0,
            bytes: 8
        }
    );
    drop(b);
}

#[test]
fn counts_growth_as_reallocs_with_new_sizes() {
    let ((), stats) = count_allocs(|| {
        let mut v: Vec<u8> = Vec::with_capacity(8); // alloc 8
        v.extend_from_slice(&[1; 8]);
        v.reserve_exact(24); // realloc to 8 + 24 = 32
        v.extend_from_slice(&[2; 24]);
        v.reserve_exact(32); // realloc to 32 + 32 = 64
        black_box(&v);
    }); // dealloc
    assert_eq!(
        stats,
        AllocStats {
            allocs: 1,
            reallocs: 2,
            deallocs: 1,
            bytes: 8 + 32 + 64
        }
    );
}

#[test]
fn counts_strings_and_collects() {
    let (s, stats) = count_allocs(|| {
        let a = String::from("abc");
        let v: Vec<u16> = (0..10).collect();
        (a, v)
    });
    assert_eq!(stats.allocs, 2);
    assert_eq!(stats.bytes, 3 + 20);
    assert_eq!(stats.deallocs, 0);
    drop(s);
}

#[test]
fn other_threads_are_not_counted() {
    let (handle, stats) = count_allocs(|| {
        // Spawning allocates here (the thread's name, its packet): counted.
        std::thread::spawn(|| {
            let v: Vec<u64> = (0..10_000).collect();
            v.len()
        })
    });
    let spawn_cost = stats.allocs;
    let (n, join_stats) = count_allocs(|| handle.join().unwrap());
    assert_eq!(n, 10_000);
    // The worker's 80 kB vector never shows up on this thread.
    assert!(stats.bytes < 80_000, "{stats:?}");
    assert!(join_stats.bytes < 80_000, "{join_stats:?}");
    assert!(spawn_cost >= 1);
}

#[test]
fn steady_state_loop_is_zero_per_message() {
    let mut q = std::collections::VecDeque::with_capacity(128);
    for i in 0..256u64 {
        q.push_back(i);
        q.pop_front();
    }
    let n = 10_000u64;
    let (sum, stats) = count_allocs(|| {
        let mut sum = 0;
        for i in 0..n {
            q.push_back(i);
            sum += q.pop_front().unwrap();
        }
        sum
    });
    assert_eq!(sum, n * (n - 1) / 2);
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn assert_no_alloc_passes_clean_code_through() {
    let mut buf = [0u32; 16];
    let total = assert_no_alloc(|| {
        for (i, x) in buf.iter_mut().enumerate() {
            *x = i as u32;
        }
        buf.iter().sum::<u32>()
    });
    assert_eq!(total, 120);
}

#[test]
fn assert_no_alloc_reports_the_allocation() {
    let msg = panic_message(|| assert_no_alloc(|| black_box(vec![1u32; 4])));
    common::assert_report(&msg, "alloc", 16, "assert_no_alloc");
}
