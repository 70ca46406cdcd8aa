//! Send / Sync / Unpin of every public type, asserted at compile time. The
//! negative cases (a producer shared between threads, a subscriber of a
//! `!Sync` type sent away) are compile-fail tests in `tests/ui`.
#![cfg(not(zerocast_loom))]

use zerocast::io::{FlushQueue, FrameError, Framer, WriteError, WriteFlusher};
use zerocast::multicast::{Publish, Publisher, Recv, RecvGuard, RecvRef, Subscriber};
use zerocast::pool::{
    Buffer, BufferPool, ObjectPool, Packet, Scratch, SendPacket, SharedAcquire, SharedObjectPool,
    SharedPooled, SlabPool, SlabTicket,
};
use zerocast::reader::{Lagged, Reader};
use zerocast::ring::EventRing;
use zerocast::spsc::{Consumer, Pop, Producer, Push, ReadChunk, Storage, WriteChunk};
use zerocast::wait::{WaitCell, WakerSet};
use zerocast::{broadcast, mailbox, watch};
use zerocast::{Closed, RecvError, SendError, TryRecvError, TrySendError};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn spsc_handles_are_send_and_unpin() {
    send::<Producer<'static, String>>();
    send::<Consumer<'static, String>>();
    unpin::<Producer<'static, String>>();
    unpin::<Consumer<'static, String>>();
    send::<Push<'static, 'static, String>>();
    send::<Pop<'static, 'static, String>>();
    unpin::<Push<'static, 'static, String>>();
    unpin::<Pop<'static, 'static, String>>();
    unpin::<WriteChunk<'static, 'static, String>>();
    unpin::<ReadChunk<'static, 'static, String>>();
    send::<Storage<String, 4>>();
    sync::<Storage<String, 4>>();
}

#[test]
fn multicast_handles_are_send_for_shareable_payloads() {
    send::<Publisher<String>>();
    send::<Subscriber<String>>();
    unpin::<Publisher<String>>();
    unpin::<Subscriber<String>>();
    send::<Publish<'static, String>>();
    send::<Recv<'static, String>>();
    send::<RecvRef<'static, String>>();
    unpin::<RecvRef<'static, String>>();
    unpin::<RecvGuard<'static, String>>();
    // A `Send` but `!Sync` payload may still be published from another thread.
    send::<Publisher<std::cell::Cell<u32>>>();
}

#[test]
fn wait_primitives_are_shareable() {
    send::<WaitCell>();
    sync::<WaitCell>();
    send::<WakerSet>();
    sync::<WakerSet>();
}

#[test]
fn ring_and_errors_follow_their_contents() {
    send::<EventRing<String, 4>>();
    sync::<EventRing<String, 4>>();
    send::<TrySendError<String>>();
    sync::<TrySendError<String>>();
    send::<SendError<String>>();
    send::<TryRecvError>();
    sync::<Closed>();
}

#[test]
fn record_buffer_handles_are_send_and_sync_for_shareable_payloads() {
    send::<broadcast::Sender<String>>();
    sync::<broadcast::Sender<String>>();
    send::<broadcast::Receiver<String>>();
    unpin::<broadcast::Receiver<String>>();
    send::<watch::Sender<String>>();
    sync::<watch::Sender<String>>();
    send::<watch::Receiver<String>>();
    send::<mailbox::Sender<String>>();
    sync::<mailbox::Sender<String>>();
    send::<mailbox::Receiver<String>>();
    send::<Reader<String>>();
    unpin::<Reader<String>>();
    send::<Lagged>();
    send::<RecvError>();
    sync::<RecvError>();
}

#[test]
fn an_object_pool_moves_between_threads_but_is_not_shared() {
    send::<ObjectPool<String, 4>>();
    unpin::<ObjectPool<String, 4>>();
    send::<Scratch>();
    send::<SlabPool>();
    send::<SlabTicket>();
    sync::<SlabTicket>();
    send::<SharedObjectPool<String>>();
    sync::<SharedObjectPool<String>>();
    send::<SharedPooled<'static, String>>();
    sync::<SharedPooled<'static, String>>();
    // Waiting works on a work-stealing runtime, too.
    send::<SharedAcquire<'static, String>>();
}

#[test]
fn buffer_pool_handles_cross_threads_only_where_sound() {
    send::<BufferPool>();
    sync::<BufferPool>();
    send::<SendPacket>();
    sync::<SendPacket>();
    send::<FlushQueue>();
    sync::<FlushQueue>();
    send::<WriteFlusher>();
    unpin::<Packet>();
    unpin::<Buffer>();
    unpin::<Framer>();
    send::<FrameError>();
    send::<WriteError>();
    // `Packet`, `Buffer`, `LocalPool`, `Writer` are `!Send` (compile-fail
    // tests in tests/ui); `Acquire` is `!Unpin`: its queue node is inside it.
}
