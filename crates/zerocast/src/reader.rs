//! The reader SPI: [`BufferReader`], one object-safe poll interface over every
//! buffer that hands out records ([`broadcast`](crate::broadcast),
//! [`watch`](crate::watch), [`mailbox`](crate::mailbox)), and [`Reader`], the
//! handle that holds any of them.
//!
//! # The contract
//!
//! Every implementation keeps these rules, and the crate's contract tests
//! check each of them against every buffer:
//!
//! - **No allocation per message, waiting included**: a reader owns a waker
//!   slot reserved when it was created, so `poll_recv` registering on
//!   `Pending` stores a waker in place.
//! - **`try_recv` between `Pending` polls loses nothing**: it never touches the
//!   registered waker, so a value sent afterwards still wakes the task.
//! - **Cancel safety**: a value is claimed only by the call that returns it; a
//!   `recv` future dropped after `Pending` leaves the next value for the next
//!   call.
//! - **The latest waker wins**; spurious wake-ups may happen and are harmless.
//! - **Lag is reported by both methods** ([`RecvError::Lagged`],
//!   [`TryRecvError::Lagged`]) for the buffers that can lag; errors are `Copy`
//!   and never allocate.
//!
//! # Examples
//!
//! ```
//! use zerocast::reader::Reader;
//!
//! # futures_executor::block_on(async {
//! let (tx, rx) = zerocast::broadcast::channel::<u32>(16);
//! let mut reader = Reader::new(rx); // one allocation, for the reader's lifetime
//! tx.send(7).unwrap();
//! assert_eq!(reader.recv().await, Ok(7));
//! # });
//! ```

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::fmt;
use core::task::{Context, Poll};

use crate::error::{RecvError, TryRecvError};

/// A source of records, read by polling: object safe, so one [`Reader`] type
/// can hold any buffer.
///
/// See the [module docs](self) for the contract every implementation keeps.
///
/// # Examples
///
/// ```
/// use zerocast::reader::BufferReader;
/// use zerocast::TryRecvError;
///
/// fn drain<R: BufferReader<u32>>(reader: &mut R) -> u32 {
///     let mut sum = 0;
///     while let Ok(v) = reader.try_recv() {
///         sum += v;
///     }
///     sum
/// }
/// let (tx, mut rx) = zerocast::broadcast::channel::<u32>(8);
/// (1..=3).for_each(|i| tx.send(i).unwrap());
/// assert_eq!(drain(&mut rx), 6);
/// assert_eq!(BufferReader::try_recv(&mut rx), Err(TryRecvError::Empty));
/// ```
pub trait BufferReader<T>: Send {
    /// Polls for the next record: `Ready(Ok(value))`, `Ready(Err(Lagged(n)))`
    /// when `n` records were overwritten before this reader got to them (it
    /// continues from the oldest one still held), `Ready(Err(Closed))` when no
    /// more will come, or `Pending` with `cx`'s waker registered in this
    /// reader's own slot (no allocation).
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>>;

    /// Takes the next record if there is one, without waiting or registering.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing new is there,
    /// [`TryRecvError::Lagged`] as for `poll_recv`, [`TryRecvError::Closed`]
    /// when no more will come.
    fn try_recv(&mut self) -> Result<T, TryRecvError>;
}

/// The error a [`Reader`] stream yields: this many records were overwritten
/// before the reader got to them; the stream goes on from the oldest one held.
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use futures_core::Stream;
/// use zerocast::reader::{Lagged, Reader};
///
/// let (tx, rx) = zerocast::broadcast::channel::<u32>(2);
/// let mut stream = std::pin::pin!(Reader::new(rx));
/// (0..3).for_each(|i| tx.send(i).unwrap());
/// drop(tx);
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut next = || stream.as_mut().poll_next(&mut cx);
/// assert_eq!(next(), Poll::Ready(Some(Err(Lagged(1))))); // 0 was overwritten
/// assert_eq!(next(), Poll::Ready(Some(Ok(1))));
/// assert_eq!(next(), Poll::Ready(Some(Ok(2))));
/// assert_eq!(next(), Poll::Ready(None)); // closed: the stream ends
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lagged(pub u64);

impl fmt::Display for Lagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reader lagged by {} records", self.0)
    }
}

impl core::error::Error for Lagged {}

/// Any [`BufferReader`], boxed once when the reader is made (one allocation per
/// reader lifetime, none per record).
///
/// `recv().await`, `try_recv()` and [`Stream`](futures_core::Stream) (which
/// yields `Err(Lagged(n))` on lag and ends on close).
///
/// # Examples
///
/// ```
/// use zerocast::reader::Reader;
///
/// let (mut tx, rx) = zerocast::watch::channel(1u32);
/// let mut readers = vec![Reader::new(rx)];
/// let (mtx, mrx) = zerocast::mailbox::channel::<u32>();
/// readers.push(Reader::new(mrx));
/// tx.send(2).unwrap();
/// mtx.send(3).unwrap();
/// assert_eq!(readers[0].try_recv(), Ok(2));
/// assert_eq!(readers[1].try_recv(), Ok(3));
/// ```
#[cfg(feature = "alloc")]
pub struct Reader<T> {
    inner: Box<dyn BufferReader<T>>,
}

#[cfg(feature = "alloc")]
impl<T> Reader<T> {
    /// Boxes `reader` (the only allocation a `Reader` makes).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = zerocast::broadcast::channel::<u32>(16);
    /// let reader = zerocast::reader::Reader::new(rx);
    /// # drop(reader);
    /// ```
    pub fn new(reader: impl BufferReader<T> + 'static) -> Self {
        Self {
            inner: Box::new(reader),
        }
    }

    /// Waits for the next record without allocating. Cancel safe.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] when records were overwritten before this reader
    /// got to them, [`RecvError::Closed`] when no more will come.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut tx, rx) = zerocast::watch::channel(0u32);
    /// let mut reader = zerocast::reader::Reader::new(rx);
    /// tx.send(5).unwrap();
    /// assert_eq!(reader.recv().await, Ok(5));
    /// drop(tx);
    /// assert_eq!(reader.recv().await, Err(zerocast::RecvError::Closed));
    /// # });
    /// ```
    pub fn recv(&mut self) -> impl core::future::Future<Output = Result<T, RecvError>> + '_ {
        core::future::poll_fn(|cx| self.inner.poll_recv(cx))
    }

    /// See [`BufferReader::poll_recv`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, rx) = zerocast::mailbox::channel::<u32>();
    /// let mut reader = zerocast::reader::Reader::new(rx);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(reader.poll_recv(&mut cx).is_pending());
    /// tx.send(4).unwrap();
    /// assert_eq!(reader.poll_recv(&mut cx), Poll::Ready(Ok(4)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        self.inner.poll_recv(cx)
    }

    /// See [`BufferReader::try_recv`].
    ///
    /// # Errors
    ///
    /// As [`BufferReader::try_recv`].
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TryRecvError;
    ///
    /// let (tx, rx) = zerocast::broadcast::channel::<u32>(2);
    /// let mut reader = zerocast::reader::Reader::new(rx);
    /// assert_eq!(reader.try_recv(), Err(TryRecvError::Empty));
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(reader.try_recv(), Err(TryRecvError::Lagged(1))); // 0 was overwritten
    /// assert_eq!(reader.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }
}

#[cfg(feature = "alloc")]
impl<T> futures_core::Stream for Reader<T> {
    type Item = Result<T, Lagged>;

    fn poll_next(
        self: core::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        self.get_mut().inner.poll_recv(cx).map(|r| match r {
            Ok(v) => Some(Ok(v)),
            Err(RecvError::Lagged(n)) => Some(Err(Lagged(n))),
            Err(RecvError::Closed) => None,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T> fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}
