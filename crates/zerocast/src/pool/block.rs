//! [`Block`]: the one allocation behind a [`BufferPool`](super::BufferPool),
//! a [`SlabPool`](super::SlabPool) and a [`Scratch`](super::Scratch).

use alloc::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
use core::cell::UnsafeCell;
use core::ops::Deref;
use core::ptr::NonNull;

/// Where a block starts: on a page. Buffers, pages and arenas whose size is
/// a multiple of a cache line (64 bytes) then sit on lines of their own, so
/// a thread writing one buffer never takes a line from a thread reading its
/// neighbour. A byte allocation of the global allocator is only 16-aligned
/// (glibc hands out a large block 16 bytes past a page), so every buffer
/// used to share its first and last line with the buffers beside it.
const ALIGN: usize = 4096;

/// Bytes between the writes that commit a block (a page on every target
/// this crate runs on; a larger page is committed by its first write).
const PAGE: usize = 4096;

/// `len` zeroed bytes on a page boundary that may be written through shared
/// references, their memory committed now: a large zeroed block can come
/// from the operating system mapped lazily, each page found and zeroed on
/// its first write, and that first write would then fall on a hot path (a
/// page fault: the kernel allocating, microseconds on a VM). Writing a zero
/// into every page makes each one resident here, while the pool is built.
///
/// Owns its bytes as a `Box<[UnsafeCell<u8>]>` would, and dereferences to
/// them.
pub(super) struct Block {
    ptr: NonNull<UnsafeCell<u8>>,
    len: usize,
}

// SAFETY: a block owns its bytes and nothing else, as a
// `Box<[UnsafeCell<u8>]>` does, which is `Send`; like it, it is not `Sync`
// (the bytes are `UnsafeCell`s): the pools that share one say why they may.
unsafe impl Send for Block {}

impl Block {
    /// A block of `len` zeroed, committed bytes.
    ///
    /// # Panics
    ///
    /// If `len` rounded up to a page overflows `isize`; aborts (as a `Vec`
    /// does) if the allocator has no memory for it.
    pub(super) fn zeroed(len: usize) -> Self {
        if len == 0 {
            return Self {
                ptr: NonNull::dangling(),
                len,
            };
        }
        let layout = Self::layout(len);
        // SAFETY: the layout's size, `len`, is not zero.
        let raw = unsafe { alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw.cast::<UnsafeCell<u8>>()) else {
            handle_alloc_error(layout)
        };
        let block = Self { ptr, len };
        for cell in block.iter().step_by(PAGE) {
            // SAFETY: the block was just made and nothing else refers to it.
            // The write is volatile so that storing the zero already there
            // is not optimised away.
            unsafe { core::ptr::write_volatile(cell.get(), 0) };
        }
        block
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len, ALIGN).expect("a block's size fits isize")
    }
}

impl Deref for Block {
    type Target = [UnsafeCell<u8>];

    fn deref(&self) -> &[UnsafeCell<u8>] {
        // SAFETY: `ptr` points at `len` initialised (zeroed, then written
        // only through the cells) bytes this block owns until it drops, or
        // is dangling and aligned with `len == 0`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: allocated in `zeroed` with this very layout (the same
            // `len`), and freed only here.
            unsafe { dealloc(self.ptr.as_ptr().cast::<u8>(), Self::layout(self.len)) };
        }
    }
}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_zeroed_starts_on_a_page_and_frees_what_it_took() {
        for len in [0, 1, 63, 4096, 10_000] {
            let block = Block::zeroed(len);
            assert_eq!(block.len(), len);
            if len > 0 {
                assert_eq!(block.as_ptr() as usize % ALIGN, 0);
            }
            // SAFETY: nothing else refers to the block's bytes.
            assert!(block.iter().all(|b| unsafe { *b.get() } == 0));
            if let Some(last) = block.last() {
                // SAFETY: as above; writes go through the cells.
                unsafe { *last.get() = 7 };
            }
        }
    }
}
