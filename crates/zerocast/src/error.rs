//! The error types every channel shares: one word, `Closed`, for disconnection
//! everywhere; failed sends hand the value back; nothing here allocates.

use core::fmt;

/// A send that could not complete now; the value is handed back.
///
/// # Examples
///
/// ```
/// use zerocast::TrySendError;
///
/// let (mut tx, rx) = zerocast::spsc::channel::<String>(1);
/// tx.try_push("first".to_owned()).unwrap();
/// match tx.try_push("second".to_owned()) {
///     Err(TrySendError::Full(value)) => assert_eq!(value, "second"), // handed back
///     other => panic!("{other:?}"),
/// }
/// drop(rx);
/// assert!(tx.try_push("third".to_owned()).unwrap_err().is_closed());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room: the receiver (or the slowest subscriber) is a full ring behind.
    Full(T),
    /// Every receiver is gone; the value can never be delivered.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TrySendError;
    /// assert_eq!(TrySendError::Full(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Whether the channel was full (and may have room later).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TrySendError;
    /// assert!(TrySendError::Full(1).is_full());
    /// assert!(!TrySendError::Closed(1).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the channel is closed for good.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TrySendError;
    /// assert!(TrySendError::Closed(1).is_closed());
    /// assert!(!TrySendError::Full(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("channel full"),
            TrySendError::Closed(_) => f.write_str("channel closed"),
        }
    }
}

impl<T> core::error::Error for TrySendError<T> {}

/// A send that waited and found the channel closed; the value is handed back.
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let (mut tx, rx) = zerocast::spsc::channel::<u32>(1);
/// drop(rx);
/// let err = tx.push(7).await.unwrap_err();
/// assert_eq!(err.into_inner(), 7);
/// assert_eq!(err.to_string(), "channel closed");
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::SendError;
    /// assert_eq!(SendError("unsent").into_inner(), "unsent");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> core::error::Error for SendError<T> {}

/// A receive that could not complete now.
///
/// # Examples
///
/// ```
/// use zerocast::TryRecvError;
///
/// let (tx, mut rx) = zerocast::spsc::channel::<u32>(1);
/// assert_eq!(rx.try_pop(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_pop(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing to receive yet.
    Empty,
    /// The sender is gone and everything it sent has been received.
    Closed,
    /// This receiver fell behind a lossy channel ([`broadcast`](crate::broadcast))
    /// and this many messages were overwritten before it read them; it now
    /// continues from the oldest message still held. Lossless channels never
    /// report it.
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged by {n} messages"),
        }
    }
}

/// A receive that waited and could not deliver a value.
///
/// # Examples
///
/// ```
/// use zerocast::RecvError;
/// let e = RecvError::Lagged(3);
/// assert_eq!(e.to_string(), "receiver lagged by 3 messages");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvError {
    /// The sender is gone and everything it sent has been received.
    Closed,
    /// This many messages were overwritten before this receiver read them;
    /// it now continues from the oldest message still held.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed"),
            RecvError::Lagged(n) => write!(f, "receiver lagged by {n} messages"),
        }
    }
}

impl core::error::Error for RecvError {}

impl From<Closed> for RecvError {
    fn from(_: Closed) -> Self {
        RecvError::Closed
    }
}

impl core::error::Error for TryRecvError {}

/// The channel is closed: for a receiver, the sender is gone and everything it
/// sent has been received; for a sender, every receiver is gone.
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let (tx, mut rx) = zerocast::spsc::channel::<u32>(1);
/// drop(tx);
/// assert_eq!(rx.pop().await, Err(zerocast::Closed));
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl core::error::Error for Closed {}
