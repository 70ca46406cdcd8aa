//! The cost `GuardedAlloc` adds to an allocate + free pair, against the system
//! allocator called directly, in the states a program can be in.
//!
//! `cargo bench -p zerocast-alloc --bench overhead`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::mpsc;

use criterion::{criterion_group, criterion_main, Criterion};
use zerocast_alloc::{count_allocs, GuardedAlloc};

static GUARDED: GuardedAlloc = GuardedAlloc::system();

fn pair<A: GlobalAlloc>(alloc: &A, layout: Layout) {
    // SAFETY: `layout` has a non-zero size; the pointer is freed with the same
    // allocator and layout, and only if the allocation succeeded.
    unsafe {
        let p = alloc.alloc(layout);
        if !p.is_null() {
            alloc.dealloc(black_box(p), layout);
        }
    }
}

fn overhead(c: &mut Criterion) {
    let layout = Layout::from_size_align(64, 8).expect("a valid layout");
    let mut group = c.benchmark_group("alloc+free 64B");
    group.bench_function("System", |b| b.iter(|| pair(black_box(&System), layout)));
    group.bench_function("GuardedAlloc/idle", |b| {
        b.iter(|| pair(black_box(&GUARDED), layout))
    });
    // Another thread holds a counting scope: this thread reads its own state.
    let (release, held) = mpsc::channel::<()>();
    let (armed_tx, armed) = mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        count_allocs(|| {
            armed_tx.send(()).expect("bench thread alive");
            held.recv().ok();
        })
    });
    armed.recv().expect("holder armed");
    group.bench_function("GuardedAlloc/armed-elsewhere", |b| {
        b.iter(|| pair(black_box(&GUARDED), layout))
    });
    release.send(()).expect("holder alive");
    holder.join().expect("holder joined");
    // This thread counts every call.
    count_allocs(|| {
        group.bench_function("GuardedAlloc/counting", |b| {
            b.iter(|| pair(black_box(&GUARDED), layout))
        })
    });
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
