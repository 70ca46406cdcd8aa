//! Misuse the types must reject: a second producer, publisher or watch
//! writer, a shared consumer, a cloned subscriber or broadcast receiver, a
//! handle or a pooled value outliving its storage or pool, a pooled value sent
//! to another thread, a scratch slice escaping its scope, a cloned slab ticket,
//! a local slab ticket sent to another thread,
//! a by-reference guard sent to another thread, sending a reader of a `!Sync`
//! type, a packet, buffer or writer sent to another thread, and two open
//! reservations on one writer.
#![cfg(not(zerocast_loom))]
#![cfg(not(miri))]

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
