//! `HotPathGuard`: what trips it, what does not, nesting, modes and policy.
#![cfg(debug_assertions)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use common::{assert_report, panic_message};
use zerocast_alloc::{
    allow_alloc, last_violation, violation_count, AllocOp, GuardOptions, HotPathGuard, Mode,
    Violation,
};

#[test]
fn box_trips_the_guard_with_its_size() {
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::box");
        black_box(Box::new(0u64));
    });
    assert_report(&msg, "alloc", 8, "test::box");
}

#[test]
fn vec_with_capacity_trips_the_guard() {
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::with_capacity");
        black_box(Vec::<u32>::with_capacity(100));
    });
    assert_report(&msg, "alloc", 400, "test::with_capacity");
}

#[test]
fn string_from_trips_the_guard() {
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::string");
        black_box(String::from("hello, hot path"));
    });
    assert_report(&msg, "alloc", 15, "test::string");
}

#[test]
fn format_trips_the_guard() {
    let n = black_box(12345u32);
    let msg = panic_message(move || {
        let _g = HotPathGuard::enter("test::format");
        black_box(format!("event {n}"));
    });
    assert!(msg.contains("ALLOCATION IN HOT PATH"), "{msg}");
    assert!(msg.contains("section `test::format`"), "{msg}");
}

#[test]
fn hashmap_growth_trips_the_guard() {
    let mut map: HashMap<u64, u64> = HashMap::with_capacity(3);
    for i in 0..3 {
        map.insert(i, i);
    }
    let mut map = std::panic::AssertUnwindSafe(map);
    let msg = panic_message(move || {
        let _g = HotPathGuard::enter("test::hashmap");
        for i in 3..64 {
            map.insert(i, i);
        }
    });
    assert!(msg.contains("ALLOCATION IN HOT PATH: alloc of"), "{msg}");
    assert!(msg.contains("section `test::hashmap`"), "{msg}");
}

#[test]
fn realloc_is_reported_as_realloc_with_the_new_size() {
    let mut v: Vec<u8> = Vec::with_capacity(16);
    v.extend_from_slice(&[1; 16]);
    let mut v = std::panic::AssertUnwindSafe(v);
    let msg = panic_message(move || {
        let _g = HotPathGuard::enter("test::realloc");
        v.reserve_exact(48); // 16 + 48 = 64 bytes
    });
    assert_report(&msg, "realloc", 64, "test::realloc");
}

#[test]
fn alloc_zeroed_is_reported_as_alloc_zeroed() {
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::zeroed");
        black_box(vec![0u8; 32]);
    });
    assert_report(&msg, "alloc_zeroed", 32, "test::zeroed");
}

#[test]
fn vec_new_and_pushes_within_capacity_do_not_trip() {
    let before = violation_count();
    let mut buf: Vec<u64> = Vec::with_capacity(8);
    {
        let _g = HotPathGuard::enter("test::clean");
        let empty: Vec<u64> = Vec::new();
        black_box(&empty);
        for i in 0..8 {
            buf.push(i);
        }
        buf.clear();
        let s = String::new();
        black_box(s);
    }
    assert_eq!(violation_count(), before);
}

#[test]
fn deallocation_is_allowed_by_default() {
    let b = Box::new(5u32);
    let before = violation_count();
    {
        let _g = HotPathGuard::enter("test::free");
        drop(b);
    }
    assert_eq!(violation_count(), before);
}

#[test]
fn deallocation_can_be_denied() {
    let b = Box::new(5u32);
    let mut b = std::panic::AssertUnwindSafe(Some(b));
    let msg = panic_message(move || {
        let _g = GuardOptions::new().deny_dealloc().enter("test::no_free");
        drop(b.take());
    });
    assert_report(&msg, "dealloc", 4, "test::no_free");
}

#[test]
fn nested_guards_name_the_innermost_and_keep_the_outer_enforced() {
    let before = violation_count();
    let _outer = GuardOptions::new().mode(Mode::Count).enter("test::outer");
    {
        let _inner = GuardOptions::new().mode(Mode::Count).enter("test::inner");
        black_box(Box::new(1u8));
        assert_eq!(last_violation().map(|v| v.section), Some("test::inner"));
    }
    black_box(Box::new(2u16));
    assert_eq!(
        last_violation(),
        Some(Violation {
            op: AllocOp::Alloc,
            size: 2,
            section: "test::outer"
        })
    );
    assert_eq!(violation_count() - before, 2);
}

#[test]
fn inner_panic_does_not_hide_the_outer_sections_violations() {
    let msg = panic_message(|| {
        let _outer = HotPathGuard::enter("test::outer2");
        black_box(Box::new(1u32)); // the outer's own violation, pending
        let inner = panic_message(|| {
            let _inner = HotPathGuard::enter("test::inner2");
            black_box(Box::new(1u64));
        });
        allow_alloc(|| assert_report(&inner, "alloc", 8, "test::inner2"));
    });
    // The outer section reports its own violation when it ends; the
    // allocations made by the inner panic are not charged to it.
    assert_report(&msg, "alloc", 4, "test::outer2");
    assert!(!msg.contains("more"), "{msg}");
}

#[test]
fn allow_alloc_permits_an_intended_allocation() {
    let before = violation_count();
    let v = {
        let _g = HotPathGuard::enter("test::allow");
        allow_alloc(|| vec![1u8, 2, 3])
    };
    assert_eq!(v, [1, 2, 3]);
    assert_eq!(violation_count(), before);
}

#[test]
fn allow_alloc_ends_with_its_scope() {
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::allow_ends");
        allow_alloc(|| black_box(Box::new(1u8)));
        black_box(Box::new(2u8));
    });
    assert_report(&msg, "alloc", 1, "test::allow_ends");
}

#[test]
fn another_thread_allocating_is_not_flagged() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    // Plain atomics for the hand-off: std's channels may allocate on first use.
    let go = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(u64::MAX));
    let worker = {
        let (go, done) = (go.clone(), done.clone());
        std::thread::spawn(move || {
            while !go.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            let before = violation_count();
            let v: Vec<u64> = (0..1000).collect();
            black_box(v);
            done.store(violation_count() - before, Ordering::Release);
        })
    };
    let before = violation_count();
    {
        // Panic mode: a violation charged to this thread fails the test here.
        let _g = HotPathGuard::enter("test::this_thread_only");
        go.store(true, Ordering::Release);
        while done.load(Ordering::Acquire) == u64::MAX {
            std::thread::yield_now();
        }
    }
    assert_eq!(violation_count(), before);
    assert_eq!(done.load(Ordering::Acquire), 0);
    worker.join().unwrap();
}

#[test]
fn count_mode_counts_every_violation_without_panicking() {
    let before = violation_count();
    {
        let _g = GuardOptions::new().mode(Mode::Count).enter("test::count");
        for _ in 0..3 {
            black_box(Box::new(0u128));
        }
    }
    assert_eq!(violation_count() - before, 3);
    assert_eq!(
        last_violation(),
        Some(Violation {
            op: AllocOp::Alloc,
            size: 16,
            section: "test::count"
        })
    );
}

#[test]
fn report_says_how_many_more_followed() {
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::many");
        for _ in 0..4 {
            black_box(Box::new(0u8));
        }
    });
    assert_report(&msg, "alloc", 1, "test::many");
    assert!(msg.contains("(and 3 more)"), "{msg}");
}

#[test]
fn violation_while_already_panicking_does_not_double_panic() {
    struct AllocOnDrop;
    impl Drop for AllocOnDrop {
        fn drop(&mut self) {
            // Runs during unwinding, inside the section.
            black_box(vec![0u8; 100]);
        }
    }
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::unwinding");
        let _d = AllocOnDrop;
        panic!("original failure");
    });
    assert_eq!(msg, "original failure");
    // The thread is usable and guards still work afterwards.
    let msg = panic_message(|| {
        let _g = HotPathGuard::enter("test::after");
        black_box(Box::new(1u8));
    });
    assert_report(&msg, "alloc", 1, "test::after");
}

#[test]
fn guard_debug_names_its_section() {
    let g = HotPathGuard::enter("test::debug");
    let text = allow_alloc(|| format!("{g:?}"));
    drop(g);
    assert!(text.contains("test::debug"), "{text}");
}
