//! zerocast on a microcontroller: no `std`, no `alloc`, no heap at all.
//!
//! Two embassy tasks bounce numbers over two SPSC channels in `static`
//! [`Storage`] of 4 slots each, so each task waits on an empty ring and on a
//! full one, over and over, woken through embassy's waker (a pointer to the
//! task: nothing to allocate). A third task drains an [`EventRing`] filled
//! by the first. The program reports through semihosting and exits with the
//! result, so `cargo run` under `qemu-system-arm` (see `.cargo/config.toml`)
//! passes or fails as the checks do.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicUsize, Ordering};

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Executor;
use static_cell::{ConstStaticCell, StaticCell};
use zerocast::ring::EventRing;
use zerocast::spsc::{Consumer, Producer, Storage};
use zerocast::Closed;

/// Round trips over the SPSC pair.
const ROUNDS: u32 = 10_000;

static PINGS: ConstStaticCell<Storage<u32, 4>> = ConstStaticCell::new(Storage::new());
static PONGS: ConstStaticCell<Storage<u32, 4>> = ConstStaticCell::new(Storage::new());
static EXECUTOR: StaticCell<Executor> = StaticCell::new();
/// Tasks still running; the last one to finish reports and exits.
static RUNNING: AtomicUsize = AtomicUsize::new(2);

/// Ends the run: `ok` passes it.
fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Semihosting's exit does not return under QEMU; should it, stay here.
    loop {
        cortex_m::asm::wfe();
    }
}

/// A check that failed: report it and fail the run.
fn fail(what: &str) -> ! {
    hprintln!("zerocast on Cortex-M: FAILED: {}", what);
    exit(false)
}

fn done() {
    if RUNNING.fetch_sub(1, Ordering::SeqCst) == 1 {
        hprintln!("zerocast on Cortex-M: 2 passed, 0 failed");
        exit(true);
    }
}

/// Sends 0..ROUNDS, each once the previous one came back plus one, and keeps
/// the last few in an `EventRing` (no heap either).
#[embassy_executor::task]
async fn ping(mut tx: Producer<'static, u32>, mut rx: Consumer<'static, u32>) {
    let mut recent: EventRing<u32, 8> = EventRing::new();
    for i in 0..ROUNDS {
        if tx.push(i).await.is_err() {
            fail("the ponger closed early");
        }
        match rx.pop().await {
            Ok(v) if v == i + 1 => {}
            _ => fail("a pong lost or reordered"),
        }
        if recent.is_full() {
            // Make room by dropping the oldest.
            let _ = recent.pop();
        }
        if recent.push(i).is_err() {
            fail("an event ring with room refused a value");
        }
    }
    drop(tx);
    if rx.pop().await != Err(Closed) {
        fail("the ponger did not close after the last");
    }
    let mut sum = 0;
    recent.pop_each(|v| sum += v);
    let last: u32 = (ROUNDS - 8..ROUNDS).sum();
    if sum != last {
        fail("the event ring kept other values than the last 8");
    }
    done();
}

/// Sends each number back, plus one.
#[embassy_executor::task]
async fn pong(mut rx: Consumer<'static, u32>, mut tx: Producer<'static, u32>) {
    while let Ok(i) = rx.pop().await {
        if tx.push(i + 1).await.is_err() {
            fail("the pinger closed early");
        }
    }
    done();
}

#[entry]
fn main() -> ! {
    let (ping_tx, ping_rx) = PINGS.take().split();
    let (pong_tx, pong_rx) = PONGS.take().split();
    EXECUTOR.init(Executor::new()).run(|spawner| {
        spawner.spawn(ping(ping_tx, pong_rx).unwrap());
        spawner.spawn(pong(ping_rx, pong_tx).unwrap());
    })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("zerocast on Cortex-M: panicked: {}", info);
    exit(false)
}
