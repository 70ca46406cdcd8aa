//! `#[hot_path]` on functions, methods and `async fn`s, and `no_alloc`.
#![cfg(debug_assertions)]

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};

use common::{assert_report, panic_message};
use zerocast_alloc::{hot_path, violation_count, NoAllocExt};

#[hot_path]
fn clean(buf: &mut [u8; 8], x: u8) -> u8 {
    buf.fill(x);
    buf.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

#[hot_path]
fn allocating(n: usize) -> usize {
    let v = vec![1u8; n];
    v.len()
}

#[hot_path]
fn early_return(flag: bool) -> Result<u8, &'static str> {
    if flag {
        return Err("flagged");
    }
    Ok(1)
}

struct Router {
    routes: [u32; 4],
}

impl Router {
    #[hot_path]
    fn route(&self, key: u32) -> u32 {
        self.routes[(key % 4) as usize]
    }

    #[hot_path]
    fn route_boxed(&self, key: u32) -> Box<u32> {
        Box::new(self.route(key))
    }
}

#[test]
fn clean_fn_passes_and_returns_its_value() {
    let before = violation_count();
    let mut buf = [0; 8];
    assert_eq!(clean(&mut buf, 3), 24);
    assert_eq!(early_return(true), Err("flagged"));
    assert_eq!(early_return(false), Ok(1));
    assert_eq!(violation_count(), before);
}

#[test]
fn allocating_fn_is_named_by_its_real_path() {
    let msg = panic_message(|| allocating(10));
    assert_report(&msg, "alloc", 10, "hot_path::allocating");
}

#[test]
fn methods_are_named_with_their_type() {
    let r = Router {
        routes: [1, 2, 3, 4],
    };
    assert_eq!(r.route(6), 3);
    let msg = panic_message(|| r.route_boxed(1));
    // The inner `route` section ended cleanly; the method's own section is
    // `hot_path::Router::route_boxed`.
    assert_report(&msg, "alloc", 4, "hot_path::Router::route_boxed");
}

/// Returns `Pending` once after waking its own task: an await point that
/// allocates nothing itself. (tokio's `yield_now` defers the waker into a `Vec`
/// that allocates, so a guarded body must not use it.)
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[hot_path]
async fn async_clean(x: u64) -> u64 {
    YieldOnce(false).await;
    x * 2
}

#[hot_path]
async fn async_allocating(x: u64) -> u64 {
    YieldOnce(false).await;
    let b = Box::new(x);
    *b
}

#[hot_path]
async fn async_with_question_mark(s: &str) -> Result<u64, std::num::ParseIntError> {
    let n: u64 = s.parse()?;
    Ok(n + 1)
}

#[tokio::test]
async fn async_fn_clean_poll_passes() {
    let before = violation_count();
    assert_eq!(async_clean(21).await, 42);
    assert_eq!(async_with_question_mark("41").await, Ok(42));
    assert!(async_with_question_mark("x").await.is_err());
    assert_eq!(violation_count(), before);
}

#[test]
fn async_fn_allocating_poll_is_flagged() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let msg = panic_message(|| rt.block_on(async_allocating(5)));
    assert_report(&msg, "alloc", 8, "hot_path::async_allocating");
}

#[test]
fn async_fn_on_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    // Clean: many tasks, moved between workers by the scheduler, never flagged.
    let sum = rt.block_on(async {
        let tasks: Vec<_> = (0..64).map(|i| tokio::spawn(async_clean(i))).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 2 * (0..64).sum::<u64>());
    // Allocating: the panic happens on a worker and surfaces as a JoinError.
    let err = rt
        .block_on(rt.spawn(async_allocating(3)))
        .expect_err("the allocating poll must panic");
    let payload = err.into_panic();
    let msg = payload.downcast::<String>().unwrap();
    assert_report(&msg, "alloc", 8, "hot_path::async_allocating");
}

#[test]
fn no_alloc_guards_each_poll_but_not_the_executor() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let before = violation_count();
    let v = rt.block_on(
        async {
            for _ in 0..3 {
                YieldOnce(false).await;
            }
            7
        }
        .no_alloc("test::no_alloc"),
    );
    assert_eq!(v, 7);
    assert_eq!(violation_count(), before);
    let msg = panic_message(|| {
        rt.block_on(
            async {
                YieldOnce(false).await;
                black_box(String::from("xy"))
            }
            .no_alloc("test::no_alloc_bad"),
        )
    });
    assert_report(&msg, "alloc", 2, "test::no_alloc_bad");
}
