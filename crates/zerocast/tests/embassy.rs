//! zerocast on embassy's executor, the embedded one: tasks in `static`s,
//! wakers that point at them, no heap. It runs here through embassy's `std`
//! platform (feature `platform-std`): the same thread-mode executor a
//! firmware runs, sleeping on a condition variable where a microcontroller
//! waits for an event.
//!
//! - **SPSC in static storage** (the `no_std` form, no heap): two tasks bounce
//!   numbers over two channels of [`Storage`]; with one executor thread and
//!   rings of 4, each side waits on an empty ring and on a full one, over and
//!   over, and is woken through embassy's waker.
//! - **Lossless multicast**: a publisher task and two subscriber tasks; the
//!   publisher waits on backpressure, the subscribers on an empty ring.
//! - **Mailbox and watch**: a task waits for the last value sent, and for a
//!   changed one.
//!
//! Every poll of every task's body is guarded (`#[hot_path]` on an `async
//! fn`): an allocation in any of them panics with `ALLOCATION IN HOT PATH`,
//! and the run fails. The channels that need the heap (multicast, mailbox,
//! watch) are built before the executor starts.
//!
//! Not a libtest harness (`harness = false` in Cargo.toml): embassy's `run`
//! never returns, so the last task to finish checks the results and ends the
//! process; a watchdog ends it with a failure should a wake-up be lost.

// Under `--cfg zerocast_loom` the crate models its protocols with loom's
// atomics, which only run inside a model: nothing to run here then.
#[cfg(zerocast_loom)]
fn main() {}

#[cfg(not(zerocast_loom))]
fn main() {
    on_embassy::main();
}

#[cfg(not(zerocast_loom))]
mod on_embassy {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::time::Duration;

    use embassy_executor::{Executor, Spawner};
    use static_cell::{ConstStaticCell, StaticCell};
    use zerocast::spsc::{Consumer, Producer, Storage};
    use zerocast::{mailbox, multicast, watch, Closed};
    use zerocast_alloc::{hot_path, total_violation_count, GuardedAlloc};

    #[global_allocator]
    static GLOBAL: GuardedAlloc = GuardedAlloc::system();

    /// Round trips over the SPSC pair, and messages through each other channel.
    const ROUNDS: u64 = 20_000;

    static PINGS: ConstStaticCell<Storage<u64, 4>> = ConstStaticCell::new(Storage::new());
    static PONGS: ConstStaticCell<Storage<u64, 4>> = ConstStaticCell::new(Storage::new());
    static EXECUTOR: StaticCell<Executor> = StaticCell::new();

    /// Tasks still running; the last one to finish ends the process.
    static RUNNING: AtomicUsize = AtomicUsize::new(TASKS);
    const TASKS: usize = 7;
    /// The sum each multicast subscriber saw, to compare with the publisher's.
    static SUMS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

    /// A task's body passed (a failed check panics): after the last one, the
    /// checks across tasks, and the end of the run.
    fn passed() {
        if RUNNING.fetch_sub(1, Ordering::SeqCst) == 1 {
            let expected = ROUNDS * (ROUNDS - 1) / 2;
            assert_eq!(SUMS[0].load(Ordering::SeqCst), expected);
            assert_eq!(SUMS[1].load(Ordering::SeqCst), expected);
            assert_eq!(total_violation_count(), 0, "an allocation in a task");
            println!("embassy executor: {TASKS} passed, 0 failed");
            std::process::exit(0);
        }
    }

    /// Sends 0..ROUNDS, each once the previous one came back.
    #[hot_path]
    async fn ping_body(mut tx: Producer<'static, u64>, mut rx: Consumer<'static, u64>) {
        for i in 0..ROUNDS {
            tx.push(i).await.unwrap();
            assert_eq!(rx.pop().await, Ok(i + 1), "a pong lost or reordered");
        }
        drop(tx);
        assert_eq!(
            rx.pop().await,
            Err(Closed),
            "the ponger closes after the last"
        );
    }

    /// Sends each number back, plus one, in bursts that fill its ring.
    #[hot_path]
    async fn pong_body(mut rx: Consumer<'static, u64>, mut tx: Producer<'static, u64>) {
        while let Ok(i) = rx.pop().await {
            tx.push(i + 1).await.unwrap();
        }
    }

    #[embassy_executor::task]
    async fn ping(tx: Producer<'static, u64>, rx: Consumer<'static, u64>) {
        ping_body(tx, rx).await;
        passed();
    }

    #[embassy_executor::task]
    async fn pong(rx: Consumer<'static, u64>, tx: Producer<'static, u64>) {
        pong_body(rx, tx).await;
        passed();
    }

    #[hot_path]
    async fn publish_body(mut publisher: multicast::Publisher<u64>) {
        for i in 0..ROUNDS {
            publisher.publish(i).await.unwrap();
        }
    }

    #[hot_path]
    async fn subscribe_body(mut sub: multicast::Subscriber<u64>, sum: &AtomicU64) {
        let mut next = 0;
        while let Ok(v) = sub.recv().await {
            assert_eq!(v, next, "a multicast message lost or reordered");
            sum.fetch_add(v, Ordering::Relaxed);
            next += 1;
        }
        assert_eq!(next, ROUNDS);
    }

    #[embassy_executor::task]
    async fn publish(publisher: multicast::Publisher<u64>) {
        publish_body(publisher).await;
        passed();
    }

    #[embassy_executor::task(pool_size = 2)]
    async fn subscribe(sub: multicast::Subscriber<u64>, sum: &'static AtomicU64) {
        subscribe_body(sub, sum).await;
        passed();
    }

    /// Sends `ROUNDS` values to the mailbox and the watch, yielding to the
    /// receiving task after each, then closes both.
    #[hot_path]
    async fn send_body(mailbox: mailbox::Sender<u64>, mut watch: watch::Sender<u64>) {
        for i in 1..=ROUNDS {
            mailbox.send(i).unwrap();
            watch.send(i).unwrap();
            embassy_futures_yield().await;
        }
    }

    /// Waits for each value (or a later one: both keep only the last).
    #[hot_path]
    async fn receive_body(mut mailbox: mailbox::Receiver<u64>, mut watch: watch::Receiver<u64>) {
        let (mut last_mail, mut last_watch) = (0, 0);
        while let Ok(v) = mailbox.recv().await {
            assert!(v > last_mail, "mailbox went back: {v} after {last_mail}");
            last_mail = v;
            if watch.changed().await.is_err() {
                break;
            }
            let v = *watch.borrow_and_update();
            assert!(v > last_watch, "watch went back: {v} after {last_watch}");
            last_watch = v;
        }
        assert_eq!(last_mail, ROUNDS, "the last value sent is the one kept");
    }

    #[embassy_executor::task]
    async fn send(mailbox: mailbox::Sender<u64>, watch: watch::Sender<u64>) {
        send_body(mailbox, watch).await;
        passed();
    }

    #[embassy_executor::task]
    async fn receive(mailbox: mailbox::Receiver<u64>, watch: watch::Receiver<u64>) {
        receive_body(mailbox, watch).await;
        passed();
    }

    /// Lets every other ready task run once (embassy has `yield_now` in
    /// `embassy-futures`; this is the same few lines, without the dependency).
    async fn embassy_futures_yield() {
        let mut yielded = false;
        core::future::poll_fn(|cx| {
            if yielded {
                return core::task::Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            core::task::Poll::Pending
        })
        .await;
    }

    pub(crate) fn main() {
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(120));
            eprintln!("embassy executor: a task never finished (a lost wake-up?)");
            std::process::exit(1);
        });
        let (ping_tx, ping_rx) = PINGS.take().split();
        let (pong_tx, pong_rx) = PONGS.take().split();
        let (publisher, subscribers) = multicast::channel::<u64>(4, 2);
        let (mail_tx, mail_rx) = mailbox::channel::<u64>();
        let (watch_tx, watch_rx) = watch::channel::<u64>(0);
        EXECUTOR.init(Executor::new()).run(move |spawner: Spawner| {
            spawner.spawn(ping(ping_tx, pong_rx).unwrap());
            spawner.spawn(pong(ping_rx, pong_tx).unwrap());
            spawner.spawn(publish(publisher).unwrap());
            for (sub, sum) in subscribers.into_iter().zip(&SUMS) {
                spawner.spawn(subscribe(sub, sum).unwrap());
            }
            spawner.spawn(send(mail_tx, watch_tx).unwrap());
            spawner.spawn(receive(mail_rx, watch_rx).unwrap());
        })
    }
}
