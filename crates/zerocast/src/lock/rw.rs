//! [`SlotLock`]: a reader-writer lock word for one slot whose value a writer
//! replaces while readers clone or borrow it.

use crate::sync::{AtomicUsize, Ordering};

/// A writer holds the slot.
const WRITER: usize = 1;
/// One reader holds the slot (readers count in the bits above `WRITER`).
const READER: usize = 2;

/// A reader-writer lock word. Readers never wait: [`try_read`](Self::try_read)
/// fails while a writer holds the slot (the value is being replaced, so there
/// is nothing to read yet). Writers wait for readers to leave, which takes one
/// clone — or as long as a caller holds a by-reference guard.
#[derive(Debug)]
pub(crate) struct SlotLock(AtomicUsize);

impl SlotLock {
    crate::sync::const_unless_loom! {
        /// An unlocked slot.
        pub(crate) fn new() -> Self {
            Self(AtomicUsize::new(0))
        }
    }

    /// Takes a read lock unless a writer holds the slot.
    #[inline]
    pub(crate) fn try_read(&self) -> bool {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            if current & WRITER != 0 {
                return false;
            }
            // Acquire: the value the last writer published is visible.
            match self.0.compare_exchange_weak(
                current,
                current + READER,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Releases a read lock taken by [`try_read`](Self::try_read).
    #[inline]
    pub(crate) fn unlock_read(&self) {
        // Release: this reader's reads of the value happen before the next
        // writer's overwrite.
        self.0.fetch_sub(READER, Ordering::Release);
    }

    /// Takes the write lock if no one holds the slot; it is held until the
    /// guard drops.
    #[inline]
    pub(crate) fn try_write(&self) -> Option<WriteGuard<'_>> {
        self.0
            .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            // `then`, not `then_some`: a guard made and dropped on failure
            // would release a lock held by others.
            .then(|| WriteGuard(self))
    }

    /// Takes the write lock, waiting for readers to leave; it is held until
    /// the guard drops.
    #[inline]
    pub(crate) fn write(&self) -> WriteGuard<'_> {
        match self.try_write() {
            Some(held) => held,
            None => self.write_contended(),
        }
    }

    /// [`write`](Self::write) when a reader or another writer holds the
    /// word: backs off between tries. Out of line, so the uncontended take
    /// stays a few instructions.
    #[cold]
    #[inline(never)]
    fn write_contended(&self) -> WriteGuard<'_> {
        let mut spins = 0;
        loop {
            super::backoff(&mut spins);
            if let Some(held) = self.try_write() {
                return held;
            }
        }
    }
}

/// A held write lock, released when dropped — on every way out, a panic
/// included, so no reader can be left waiting on a writer that is gone.
#[must_use = "the write lock is released when the guard drops"]
pub(crate) struct WriteGuard<'a>(&'a SlotLock);

impl Drop for WriteGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Readers never change the word while WRITER is set, so it is exactly
        // WRITER here. Release: publishes the new value to the next reader.
        let SlotLock(word) = self.0;
        word.store(0, Ordering::Release);
    }
}
