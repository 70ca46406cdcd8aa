//! [`NoAllocExt::no_alloc`]: a future whose every poll is a hot-path section.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::guard::GuardOptions;

/// Guards every poll of a future.
///
/// The section is entered at the start of each `poll` and ended before it
/// returns, on whichever thread polls it — so it is correct on multi-thread
/// executors where a task moves between threads, and the executor's own
/// allocations between polls are never flagged.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{GuardedAlloc, NoAllocExt};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// fn main() {
///     let sum = block_on(async { (1..=10u32).sum::<u32>() }.no_alloc("sum"));
///     assert_eq!(sum, 55);
/// }
/// ```
pub trait NoAllocExt: Future + Sized {
    /// Wraps `self` so that each poll runs inside the section `section`, with
    /// the default [`GuardOptions`].
    fn no_alloc(self, section: &'static str) -> NoAlloc<Self> {
        self.no_alloc_with(section, GuardOptions::new())
    }

    /// Wraps `self` so that each poll runs inside the section `section`, with
    /// `options`.
    fn no_alloc_with(self, section: &'static str, options: GuardOptions) -> NoAlloc<Self> {
        NoAlloc {
            inner: self,
            section,
            options,
        }
    }
}

impl<F: Future> NoAllocExt for F {}

/// The future returned by [`NoAllocExt::no_alloc`].
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{NoAlloc, NoAllocExt};
///
/// let fut: NoAlloc<_> = async { 2 + 2 }.no_alloc("math");
/// # let _ = fut;
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct NoAlloc<F> {
    /// Structurally pinned: never moved out while `NoAlloc` is pinned.
    inner: F,
    section: &'static str,
    options: GuardOptions,
}

impl<F> NoAlloc<F> {
    /// The section each poll runs in.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::NoAllocExt;
    ///
    /// let fut = async { 1 }.no_alloc("ingest::poll");
    /// assert_eq!(fut.section(), "ingest::poll");
    /// ```
    pub fn section(&self) -> &'static str {
        self.section
    }
}

impl<F> fmt::Debug for NoAlloc<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoAlloc")
            .field("section", &self.section)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for NoAlloc<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned (see the field): it is only
        // reached through `Pin::new_unchecked` below, `NoAlloc` has no `Drop`
        // impl, and it is `Unpin` only when `F` is. The other fields are `Copy`
        // and not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let guard = this.options.enter(this.section);
        // SAFETY: `this.inner` stays pinned, as argued above.
        let poll = unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx);
        // Ended before returning, so a panicking report drops `poll`'s value.
        drop(guard);
        poll
    }
}
