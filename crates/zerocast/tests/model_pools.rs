//! Model-based tests of the pools: random acquire / release / alloc / drop /
//! drain sequences against counting models (`ObjectPool`, `SharedObjectPool`,
//! `SlabPool`, `BufferPool`).
#![cfg(not(zerocast_loom))]

use proptest::prelude::*;
use std::collections::HashSet;

use zerocast::pool::{Buffer, BufferPool, ObjectPool, Packet, SlabError, SlabPool};

#[derive(Clone, Debug)]
enum PoolOp {
    Acquire,
    Release(usize),
    Write(usize, u32),
}

fn pool_op() -> impl Strategy<Value = PoolOp> {
    prop_oneof![
        Just(PoolOp::Acquire),
        (0usize..8).prop_map(PoolOp::Release),
        (0usize..8, any::<u32>()).prop_map(|(i, v)| PoolOp::Write(i, v)),
    ]
}

#[derive(Clone, Debug)]
enum SlabOp {
    Alloc(Vec<u8>),
    Drop(usize),
    Drain,
}

#[derive(Clone, Debug)]
enum LocalOp {
    /// A page lent locally and filled in place.
    Alloc(Vec<u8>),
    /// A local ticket dropped: straight back to the free list.
    DropLocal(usize),
    /// A local ticket made `Send`.
    Convert(usize),
    /// A `Send` ticket dropped: queued home until drained.
    DropSend(usize),
    Drain,
}

fn local_op() -> impl Strategy<Value = LocalOp> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..10).prop_map(LocalOp::Alloc),
        (0usize..8).prop_map(LocalOp::DropLocal),
        (0usize..8).prop_map(LocalOp::Convert),
        (0usize..8).prop_map(LocalOp::DropSend),
        Just(LocalOp::Drain),
    ]
}

#[derive(Clone, Debug)]
enum BufferOp {
    Acquire,
    Release(usize),
    /// A packet of a held buffer's first 4 bytes (its tag); the buffer
    /// stays held.
    Freeze(usize),
    DropPacket(usize),
    Spill,
}

fn buffer_op() -> impl Strategy<Value = BufferOp> {
    prop_oneof![
        3 => Just(BufferOp::Acquire),
        2 => (0usize..8).prop_map(BufferOp::Release),
        1 => (0usize..8).prop_map(BufferOp::Freeze),
        1 => (0usize..8).prop_map(BufferOp::DropPacket),
        1 => Just(BufferOp::Spill),
    ]
}

fn slab_op() -> impl Strategy<Value = SlabOp> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..10).prop_map(SlabOp::Alloc),
        (0usize..8).prop_map(SlabOp::Drop),
        Just(SlabOp::Drain),
    ]
}

proptest! {
    #[test]
    fn object_pool_lends_each_value_once_and_keeps_what_was_written(
        ops in prop::collection::vec(pool_op(), 0..200),
    ) {
        const N: usize = 4;
        let pool: ObjectPool<u32, N> = ObjectPool::new();
        let mut lent = Vec::new();
        let mut high = 0;
        for op in ops {
            match op {
                PoolOp::Acquire => match pool.acquire() {
                    Some(v) => lent.push(v),
                    None => prop_assert_eq!(lent.len(), N, "None only when all are lent"),
                },
                PoolOp::Release(i) if i < lent.len() => drop(lent.swap_remove(i)),
                PoolOp::Write(i, v) if i < lent.len() => *lent[i] = v,
                _ => {}
            }
            high = high.max(lent.len());
            prop_assert_eq!(pool.in_use(), lent.len());
            prop_assert_eq!(pool.available(), N - lent.len());
            prop_assert_eq!(pool.high_water_mark(), high);
            // No value is lent twice: the guards point at distinct values.
            let mut addrs: Vec<*const u32> = lent.iter().map(|g| &**g as *const u32).collect();
            addrs.sort();
            addrs.dedup();
            prop_assert_eq!(addrs.len(), lent.len());
        }
    }

    #[test]
    fn shared_object_pool_lends_each_value_once_and_keeps_what_was_written(
        ops in prop::collection::vec(pool_op(), 0..200),
    ) {
        const N: usize = 4;
        let pool = zerocast::pool::SharedObjectPool::new(N, |_| 0u32);
        let mut lent: Vec<(zerocast::pool::SharedPooled<'_, u32>, u32)> = Vec::new();
        for op in ops {
            match op {
                PoolOp::Acquire => match pool.try_acquire() {
                    Some(v) => {
                        let value = *v;
                        lent.push((v, value));
                    }
                    None => prop_assert_eq!(lent.len(), N, "None only when all are lent"),
                },
                PoolOp::Release(i) if i < lent.len() => drop(lent.swap_remove(i)),
                PoolOp::Write(i, v) if i < lent.len() => {
                    *lent[i].0 = v;
                    lent[i].1 = v;
                }
                _ => {}
            }
            // Each guard still sees what was last written through it, and no
            // value is lent twice.
            for (guard, value) in &lent {
                prop_assert_eq!(**guard, *value);
            }
            let mut addrs: Vec<*const u32> = lent.iter().map(|(g, _)| &**g as *const u32).collect();
            addrs.sort();
            addrs.dedup();
            prop_assert_eq!(addrs.len(), lent.len());
        }
    }

    #[test]
    fn slab_pool_matches_a_page_count(ops in prop::collection::vec(slab_op(), 0..200)) {
        const PAGES: usize = 4;
        const PAGE: usize = 6;
        let pool = SlabPool::new(0, PAGE, PAGES).unwrap();
        let mut out: Vec<(zerocast::pool::SlabTicket, Vec<u8>)> = Vec::new();
        let mut undrained = 0;
        for op in ops {
            match op {
                SlabOp::Alloc(bytes) => {
                    let free = PAGES - out.len() - undrained;
                    match pool.alloc(&bytes) {
                        Ok(t) => {
                            prop_assert!(bytes.len() <= PAGE && free > 0);
                            out.push((t, bytes));
                        }
                        Err(SlabError::Oversized { len, page_size }) => {
                            prop_assert_eq!((len, page_size), (bytes.len(), PAGE));
                        }
                        Err(SlabError::Exhausted) => {
                            prop_assert!(bytes.len() <= PAGE && free == 0);
                        }
                        Err(e) => prop_assert!(false, "{e}"),
                    }
                }
                SlabOp::Drop(i) if i < out.len() => {
                    drop(out.swap_remove(i));
                    undrained += 1;
                }
                SlabOp::Drain => {
                    prop_assert_eq!(pool.drain(), undrained);
                    undrained = 0;
                }
                SlabOp::Drop(_) => {}
            }
            for (ticket, bytes) in &out {
                prop_assert_eq!(ticket.as_slice(), &bytes[..], "a page changed under its ticket");
            }
            prop_assert_eq!(pool.available(), PAGES - out.len() - undrained);
        }
        let stats = pool.stats();
        prop_assert_eq!((stats.rejected, stats.lost), (0, 0));
    }

    #[test]
    fn slab_pool_local_and_send_tickets_match_a_page_count(
        ops in prop::collection::vec(local_op(), 0..200)
    ) {
        const PAGES: usize = 5; // not a power of two: the free ring is longer
        const PAGE: usize = 6;
        let pool = SlabPool::new(0, PAGE, PAGES).unwrap();
        let mut local: Vec<(zerocast::pool::LocalTicket<'_>, Vec<u8>)> = Vec::new();
        let mut sent: Vec<(zerocast::pool::SlabTicket, Vec<u8>)> = Vec::new();
        let mut undrained = 0;
        for op in ops {
            match op {
                LocalOp::Alloc(bytes) => {
                    let free = PAGES - local.len() - sent.len() - undrained;
                    match pool.alloc_local(bytes.len()) {
                        Ok(mut page) => {
                            prop_assert!(bytes.len() <= PAGE && free > 0);
                            page.copy_from_slice(&bytes);
                            local.push((page, bytes));
                        }
                        Err(SlabError::Oversized { .. }) => prop_assert!(bytes.len() > PAGE),
                        Err(SlabError::Exhausted) => {
                            prop_assert!(bytes.len() <= PAGE && free == 0);
                        }
                        Err(e) => prop_assert!(false, "{e}"),
                    }
                }
                LocalOp::DropLocal(i) if i < local.len() => drop(local.swap_remove(i)),
                LocalOp::Convert(i) if i < local.len() => {
                    let (page, bytes) = local.swap_remove(i);
                    sent.push((page.into_send(), bytes));
                }
                LocalOp::DropSend(i) if i < sent.len() => {
                    drop(sent.swap_remove(i));
                    undrained += 1;
                }
                LocalOp::Drain => {
                    prop_assert_eq!(pool.drain(), undrained);
                    undrained = 0;
                }
                LocalOp::DropLocal(_) | LocalOp::Convert(_) | LocalOp::DropSend(_) => {}
            }
            for (page, bytes) in &local {
                prop_assert_eq!(&page[..], &bytes[..], "a page changed under its ticket");
            }
            for (ticket, bytes) in &sent {
                prop_assert_eq!(ticket.as_slice(), &bytes[..], "a page changed under its ticket");
            }
            prop_assert_eq!(pool.available(), PAGES - local.len() - sent.len() - undrained);
        }
        drop(local);
        drop(sent);
        pool.drain();
        prop_assert_eq!(pool.available(), PAGES);
        let stats = pool.stats();
        prop_assert_eq!((stats.rejected, stats.lost), (0, 0));
        prop_assert_eq!(stats.allocations, stats.returns);
    }

    #[test]
    fn buffer_pool_hands_each_buffer_to_one_holder_and_counts_every_one(
        cache in 1usize..7,
        ops in prop::collection::vec(buffer_op(), 0..200),
    ) {
        const BUFFERS: usize = 16;
        let pool = BufferPool::builder(16, BUFFERS).cache(cache).build();
        let local = pool.register();
        // Held buffers (first byte, tag, whether a packet has the tag) and
        // packets (first byte, tag); a buffer is in use while either holds it.
        let mut held: Vec<(Buffer, *const u8, u32, bool)> = Vec::new();
        let mut packets: Vec<(Packet, *const u8, u32)> = Vec::new();
        let mut tags = 0u32;
        let in_use = |held: &Vec<(Buffer, *const u8, u32, bool)>, packets: &Vec<(Packet, *const u8, u32)>| {
            held.iter().map(|h| h.1).chain(packets.iter().map(|p| p.1)).collect::<HashSet<_>>()
        };
        for op in ops {
            match op {
                BufferOp::Acquire => match local.try_acquire() {
                    Some(mut buf) => {
                        prop_assert_eq!(buf.remaining(), 16, "a fresh buffer");
                        let first = buf.as_ptr();
                        prop_assert!(
                            !in_use(&held, &packets).contains(&first),
                            "a buffer in use was handed out again"
                        );
                        buf[..4].copy_from_slice(&tags.to_le_bytes());
                        held.push((buf, first, tags, false));
                        tags += 1;
                    }
                    None => prop_assert_eq!(in_use(&held, &packets).len(), BUFFERS),
                },
                BufferOp::Release(i) if !held.is_empty() => {
                    let (buf, _, tag, frozen) = held.remove(i % held.len());
                    if !frozen {
                        prop_assert_eq!(&buf[..4], &tag.to_le_bytes()[..], "overwritten");
                    }
                }
                BufferOp::Freeze(i) if !held.is_empty() => {
                    let at = i % held.len();
                    let (buf, first, tag, frozen) = &mut held[at];
                    if !*frozen {
                        *frozen = true;
                        packets.push((buf.freeze(4), *first, *tag));
                    }
                }
                BufferOp::DropPacket(i) if !packets.is_empty() => {
                    let (packet, first, tag) = packets.remove(i % packets.len());
                    prop_assert_eq!(packet.as_ptr(), first);
                    prop_assert_eq!(&packet[..], &tag.to_le_bytes()[..], "overwritten");
                }
                BufferOp::Spill => {
                    local.spill();
                    prop_assert_eq!(local.cached(), 0);
                }
                _ => {}
            }
            let stats = pool.stats();
            prop_assert_eq!(stats.out, in_use(&held, &packets).len() + local.cached());
            prop_assert!(local.cached() <= cache.min(BUFFERS / 4));
        }
        drop((held, packets));
        local.spill();
        prop_assert_eq!(pool.stats().shared_free, BUFFERS);
    }
}
