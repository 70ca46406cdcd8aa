//! [`Scratch`]: a bump arena for per-thread scratch space, reset at the end of
//! every scope.

use core::cell::{Cell, UnsafeCell};
use core::fmt;

use super::block::Block;

/// A bump arena over one buffer allocated up front. [`with`](Self::with) opens
/// a scope and hands the closure an [`Arena`]; slices taken from it borrow the
/// scope, so none can outlive it, and the arena is reset when the scope ends.
/// Running out is an error ([`ScratchError`]), never a panic and never a
/// hidden allocation; the failures are counted.
///
/// Keep one per thread (or per core): it is `Send` but not `Sync`, and `with`
/// takes `&mut self`, so scopes never overlap.
///
/// # Examples
///
/// ```
/// use zerocast::pool::Scratch;
///
/// let mut scratch = Scratch::new(4096); // the one allocation
/// let total = scratch.with(|arena| {
///     let header = arena.alloc_copy(b"len=")?;
///     let body = arena.alloc_zeroed(100)?;
///     body[0] = 7;
///     Ok::<_, zerocast::pool::ScratchError>(header.len() + body.len())
/// });
/// assert_eq!(total, Ok(104));
/// assert_eq!(scratch.used(), 0, "reset when the scope ends");
/// ```
pub struct Scratch {
    buf: Block,
    used: Cell<usize>,
    high_water: usize,
    failures: u64,
}

/// A scope's view of a [`Scratch`]: bump-allocates byte slices that live as
/// long as the scope.
///
/// # Examples
///
/// ```
/// let mut scratch = zerocast::pool::Scratch::new(32);
/// let n = scratch.with(|arena: &zerocast::pool::Arena<'_>| {
///     let header = arena.alloc_copy(b"HDR").unwrap();
///     let body = arena.alloc_zeroed(8).unwrap();
///     header.len() + body.len() // both slices live until the scope ends
/// });
/// assert_eq!(n, 11);
/// ```
pub struct Arena<'s> {
    buf: &'s [UnsafeCell<u8>],
    used: &'s Cell<usize>,
    failures: Cell<u64>,
}

/// A request the arena could not serve.
///
/// # Examples
///
/// ```
/// use zerocast::pool::{Scratch, ScratchError};
///
/// let mut scratch = Scratch::new(4);
/// let err = scratch.with(|arena| arena.alloc(5).unwrap_err());
/// assert_eq!(err, ScratchError::Exhausted { requested: 5, available: 4 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScratchError {
    /// `requested` bytes asked for, only `available` left in this scope.
    Exhausted {
        /// Bytes asked for.
        requested: usize,
        /// Bytes left.
        available: usize,
    },
}

impl fmt::Display for ScratchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScratchError::Exhausted {
                requested,
                available,
            } => write!(
                f,
                "scratch arena exhausted: {requested} bytes requested, {available} left"
            ),
        }
    }
}

impl core::error::Error for ScratchError {}

impl Scratch {
    /// An arena of `capacity` bytes, allocated, zeroed and committed now
    /// (every 4 KiB touched, so its first fill takes no page fault).
    ///
    /// # Examples
    ///
    /// ```
    /// let scratch = zerocast::pool::Scratch::new(4096);
    /// assert_eq!(scratch.capacity(), 4096);
    /// ```
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: Block::zeroed(capacity),
            used: Cell::new(0),
            high_water: 0,
            failures: 0,
        }
    }

    /// Runs `scope` with an [`Arena`] over the whole buffer, then resets it.
    /// The slices the arena hands out cannot leave the closure.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(64);
    /// let total = scratch.with(|arena| {
    ///     let a = arena.alloc_copy(b"abc").unwrap();
    ///     let b = arena.alloc_zeroed(4).unwrap();
    ///     a.len() + b.len()
    /// });
    /// assert_eq!(total, 7);
    /// assert_eq!(scratch.used(), 0); // reset when the scope ends
    /// ```
    pub fn with<R>(&mut self, scope: impl for<'s> FnOnce(&'s Arena<'s>) -> R) -> R {
        self.used.set(0);
        let arena = Arena {
            buf: &self.buf,
            used: &self.used,
            failures: Cell::new(0),
        };
        let result = scope(&arena);
        let failures = arena.failures.get();
        self.failures += failures;
        self.high_water = self.high_water.max(self.used.get());
        self.used.set(0);
        result
    }

    /// The arena's size in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let scratch = zerocast::pool::Scratch::new(128);
    /// assert_eq!(scratch.capacity(), 128);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes in use (zero between scopes).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(64);
    /// scratch.with(|arena| {
    ///     arena.alloc(10).unwrap();
    /// });
    /// assert_eq!(scratch.used(), 0); // nothing is held between scopes
    /// ```
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// The most bytes any scope used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(64);
    /// scratch.with(|arena| {
    ///     arena.alloc(40).unwrap();
    /// });
    /// scratch.with(|arena| {
    ///     arena.alloc(8).unwrap();
    /// });
    /// assert_eq!(scratch.high_water_mark(), 40);
    /// ```
    pub fn high_water_mark(&self) -> usize {
        self.high_water
    }

    /// How many requests found the arena exhausted, over all scopes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(8);
    /// scratch.with(|arena| assert!(arena.alloc(9).is_err()));
    /// assert_eq!(scratch.exhausted_count(), 1);
    /// ```
    pub fn exhausted_count(&self) -> u64 {
        self.failures
    }
}

impl<'s> Arena<'s> {
    /// `len` bytes, holding whatever an earlier scope left there. O(1), no
    /// allocation.
    ///
    /// # Errors
    ///
    /// [`ScratchError::Exhausted`] when fewer than `len` bytes are left.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::pool::{Scratch, ScratchError};
    ///
    /// let mut scratch = Scratch::new(16);
    /// scratch.with(|arena| {
    ///     let bytes = arena.alloc(10).unwrap();
    ///     bytes[0] = 1;
    ///     assert_eq!(
    ///         arena.alloc(7).unwrap_err(),
    ///         ScratchError::Exhausted { requested: 7, available: 6 }
    ///     );
    /// });
    /// ```
    pub fn alloc(&self, len: usize) -> Result<&'s mut [u8], ScratchError> {
        let start = self.used.get();
        let available = self.buf.len() - start;
        if len > available {
            self.failures.set(self.failures.get() + 1);
            return Err(ScratchError::Exhausted {
                requested: len,
                available,
            });
        }
        self.used.set(start + len);
        let cells = &self.buf[start..start + len];
        // SAFETY: `start..start + len` was free and is now past `used`, so no
        // other slice of this scope covers it; the scope's end (which resets
        // `used`) cannot come before `'s` ends. The bytes are initialised
        // (zeroed at construction), and `UnsafeCell<u8>` allows the mutation.
        Ok(unsafe { core::slice::from_raw_parts_mut(cells.as_ptr() as *mut u8, len) })
    }

    /// `len` zero bytes.
    ///
    /// # Errors
    ///
    /// As [`alloc`](Self::alloc).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(16);
    /// scratch.with(|arena| arena.alloc(4).unwrap().fill(0xff));
    /// scratch.with(|arena| assert_eq!(arena.alloc_zeroed(4).unwrap(), &[0; 4]));
    /// ```
    pub fn alloc_zeroed(&self, len: usize) -> Result<&'s mut [u8], ScratchError> {
        let bytes = self.alloc(len)?;
        bytes.fill(0);
        Ok(bytes)
    }

    /// A copy of `src`.
    ///
    /// # Errors
    ///
    /// As [`alloc`](Self::alloc).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(16);
    /// scratch.with(|arena| {
    ///     let copy = arena.alloc_copy(b"hello").unwrap();
    ///     copy[0] = b'j';
    ///     assert_eq!(copy, b"jello");
    /// });
    /// ```
    pub fn alloc_copy(&self, src: &[u8]) -> Result<&'s mut [u8], ScratchError> {
        let bytes = self.alloc(src.len())?;
        bytes.copy_from_slice(src);
        Ok(bytes)
    }

    /// Bytes left in this scope.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut scratch = zerocast::pool::Scratch::new(16);
    /// scratch.with(|arena| {
    ///     arena.alloc(6).unwrap();
    ///     assert_eq!(arena.available(), 10);
    /// });
    /// ```
    pub fn available(&self) -> usize {
        self.buf.len() - self.used.get()
    }
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch")
            .field("capacity", &self.capacity())
            .field("high_water_mark", &self.high_water)
            .field("exhausted_count", &self.failures)
            .finish()
    }
}

impl fmt::Debug for Arena<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arena")
            .field("available", &self.available())
            .finish()
    }
}

// SAFETY: a `Scratch` owns its buffer; between scopes no slice of it exists
// (they cannot leave `with`), so moving it to another thread is sound. Not
// `Sync`: the `Cell` and the `UnsafeCell`s keep it to one thread at a time.
unsafe impl Send for Scratch {}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;

    #[test]
    fn slices_are_disjoint_and_the_arena_resets_between_scopes() {
        let mut scratch = Scratch::new(16);
        scratch.with(|arena| {
            let a = arena.alloc_copy(&[1; 6]).unwrap();
            let b = arena.alloc_zeroed(6).unwrap();
            b[0] = 9;
            assert_eq!(a, &[1; 6]);
            assert_eq!(
                arena.alloc(5),
                Err(ScratchError::Exhausted {
                    requested: 5,
                    available: 4
                })
            );
            assert_eq!(arena.alloc(4).unwrap().len(), 4);
        });
        assert_eq!((scratch.used(), scratch.high_water_mark()), (0, 16));
        assert_eq!(scratch.exhausted_count(), 1);
        scratch.with(|arena| assert_eq!(arena.available(), 16));
    }

    #[test]
    fn a_zero_capacity_arena_only_errs() {
        let mut scratch = Scratch::new(0);
        let r = scratch.with(|arena| arena.alloc(1).map(|s| s.len()));
        assert!(r.is_err());
        scratch.with(|arena| assert_eq!(arena.alloc(0).map(|s| s.len()), Ok(0)));
    }
}
