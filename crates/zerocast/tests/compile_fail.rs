//! Misuse the types must reject: a second producer or publisher, a shared
//! consumer, a cloned subscriber, a handle outliving its storage, and sending
//! a subscriber of a `!Sync` type.
#![cfg(not(zerocast_loom))]
#![cfg(not(miri))]

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
