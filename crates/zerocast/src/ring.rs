//! [`EventRing`]: a fixed-capacity FIFO ring that lives inline (on the stack or
//! inside another struct), for one thread — no heap, no atomics, no `alloc`.
//!
//! # Examples
//!
//! ```
//! let mut pending = zerocast::ring::EventRing::<(u32, u64), 16>::new();
//! pending.push((1, 100)).unwrap();
//! pending.pop_each(|(id, at)| assert_eq!((id, at), (1, 100)));
//! ```

use core::fmt;
use core::mem::MaybeUninit;

/// A fixed-capacity FIFO of `N` items with no heap at all.
///
/// `push` hands the value back when full; items still inside are dropped with
/// the ring. Indices wrap without division.
///
/// # Examples
///
/// ```
/// use zerocast::ring::EventRing;
///
/// let mut ring: EventRing<u32, 4> = EventRing::new();
/// for i in 0..4 {
///     ring.push(i).unwrap();
/// }
/// assert_eq!(ring.push(9), Err(9)); // full: the value comes back
/// assert_eq!(ring.pop(), Some(0));
/// let mut seen = [0u32; 4];
/// let n = ring.drain_into(&mut seen);
/// assert_eq!(&seen[..n], &[1, 2, 3]);
/// assert!(ring.is_empty());
/// ```
///
/// A zero capacity is rejected at compile time:
///
/// ```compile_fail
/// let ring: zerocast::ring::EventRing<u8, 0> = zerocast::ring::EventRing::new();
/// ```
pub struct EventRing<T, const N: usize> {
    buf: [MaybeUninit<T>; N],
    /// Index of the oldest item; `< N`.
    head: usize,
    /// Items stored; `buf[head..head+len]` (wrapping) are initialised.
    len: usize,
}

impl<T, const N: usize> EventRing<T, N> {
    /// An empty ring.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = zerocast::ring::EventRing::<u8, 8>::new();
    /// assert!(ring.is_empty());
    /// ```
    pub const fn new() -> Self {
        const { assert!(N > 0, "EventRing needs a capacity of at least 1") };
        Self {
            buf: [const { MaybeUninit::uninit() }; N],
            head: 0,
            len: 0,
        }
    }

    /// The capacity, `N`.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = zerocast::ring::EventRing::<u8, 8>::new();
    /// assert_eq!(ring.capacity(), 8);
    /// ```
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Items stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u8, 8>::new();
    /// ring.push(1).unwrap();
    /// assert_eq!(ring.len(), 1);
    /// ```
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the ring holds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u8, 2>::new();
    /// assert!(ring.is_empty());
    /// ring.push(1).unwrap();
    /// assert!(!ring.is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the ring holds `N` items.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u8, 1>::new();
    /// assert!(!ring.is_full());
    /// ring.push(1).unwrap();
    /// assert!(ring.is_full());
    /// ```
    pub const fn is_full(&self) -> bool {
        self.len == N
    }

    #[inline(always)]
    fn wrap(index: usize) -> usize {
        if index >= N {
            index - N
        } else {
            index
        }
    }

    /// Appends `value`, or hands it back when the ring is full.
    ///
    /// # Errors
    ///
    /// `Err(value)` when full.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<&str, 1>::new();
    /// assert_eq!(ring.push("a"), Ok(()));
    /// assert_eq!(ring.push("b"), Err("b"));
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if self.len == N {
            return Err(value);
        }
        let tail = Self::wrap(self.head + self.len);
        debug_assert!(tail < N);
        self.buf[tail].write(value);
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the oldest item.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u8, 2>::new();
    /// ring.push(1).unwrap();
    /// ring.push(2).unwrap();
    /// assert_eq!(ring.pop(), Some(1));
    /// assert_eq!(ring.pop(), Some(2));
    /// assert_eq!(ring.pop(), None);
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        debug_assert!(self.head < N);
        // SAFETY: `len > 0`, so `buf[head]` is initialised; advancing `head`
        // below makes it uninitialised again, so it is read exactly once.
        let value = unsafe { self.buf[self.head].assume_init_read() };
        self.head = Self::wrap(self.head + 1);
        self.len -= 1;
        Some(value)
    }

    /// The oldest item, without removing it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u8, 2>::new();
    /// assert_eq!(ring.peek(), None);
    /// ring.push(7).unwrap();
    /// assert_eq!(ring.peek(), Some(&7));
    /// assert_eq!(ring.len(), 1);
    /// ```
    pub fn peek(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        // SAFETY: `len > 0`, so `buf[head]` is initialised.
        Some(unsafe { self.buf[self.head].assume_init_ref() })
    }

    /// Pops every item in order into `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u32, 4>::new();
    /// (1..=3).for_each(|i| ring.push(i).unwrap());
    /// let mut sum = 0;
    /// ring.pop_each(|i| sum += i);
    /// assert_eq!(sum, 6);
    /// assert!(ring.is_empty());
    /// ```
    pub fn pop_each(&mut self, mut f: impl FnMut(T)) {
        while let Some(v) = self.pop() {
            f(v);
        }
    }

    /// Moves items in order into the caller's `out` (overwriting what it held)
    /// until either runs out; returns how many moved.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<u32, 4>::new();
    /// (1..=3).for_each(|i| ring.push(i).unwrap());
    /// let mut out = [0; 2];
    /// assert_eq!(ring.drain_into(&mut out), 2);
    /// assert_eq!(out, [1, 2]);
    /// assert_eq!(ring.pop(), Some(3));
    /// ```
    pub fn drain_into(&mut self, out: &mut [T]) -> usize {
        let mut n = 0;
        for slot in out.iter_mut() {
            match self.pop() {
                Some(v) => *slot = v,
                None => break,
            }
            n += 1;
        }
        n
    }

    /// Drops every item.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = zerocast::ring::EventRing::<String, 2>::new();
    /// ring.push("kept until now".to_owned()).unwrap();
    /// ring.clear();
    /// assert!(ring.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.pop_each(drop);
    }
}

impl<T, const N: usize> Default for EventRing<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Drop for EventRing<T, N> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<T, const N: usize> fmt::Debug for EventRing<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRing")
            .field("len", &self.len)
            .field("capacity", &N)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;

    struct CountDrop<'a>(&'a Cell<usize>);
    impl Drop for CountDrop<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn fifo_across_wrap() {
        let mut r: EventRing<u32, 3> = EventRing::new();
        let mut next_in = 0;
        let mut next_out = 0;
        for round in 0..20 {
            while r.push(next_in).is_ok() {
                next_in += 1;
            }
            assert!(r.is_full());
            for _ in 0..=(round % 3) {
                assert_eq!(r.pop(), Some(next_out));
                next_out += 1;
            }
        }
        while let Some(v) = r.pop() {
            assert_eq!(v, next_out);
            next_out += 1;
        }
        assert_eq!(next_in, next_out);
    }

    #[test]
    fn drops_what_it_still_holds_exactly_once() {
        let drops = Cell::new(0);
        {
            let mut r: EventRing<CountDrop<'_>, 4> = EventRing::new();
            for _ in 0..4 {
                assert!(r.push(CountDrop(&drops)).is_ok());
            }
            drop(r.pop());
            assert_eq!(drops.get(), 1);
            let rejected = r
                .push(CountDrop(&drops))
                .and_then(|()| r.push(CountDrop(&drops)));
            assert!(rejected.is_err());
            drop(rejected);
            assert_eq!(drops.get(), 2);
        }
        assert_eq!(drops.get(), 6);
    }

    #[test]
    fn peek_and_pop_each() {
        let mut r: EventRing<u8, 2> = EventRing::default();
        assert_eq!(r.peek(), None);
        r.push(1).unwrap();
        r.push(2).unwrap();
        assert_eq!(r.peek(), Some(&1));
        let mut seen = [0u8; 2];
        let mut i = 0;
        r.pop_each(|v| {
            seen[i] = v;
            i += 1;
        });
        assert_eq!(seen, [1, 2]);
        assert_eq!(r.capacity(), 2);
    }
}
