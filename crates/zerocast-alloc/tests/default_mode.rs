//! The process-wide default mode (its own test binary: it changes global state).
#![cfg(debug_assertions)]

mod common;

use zerocast_alloc::{
    default_mode, set_default_mode, violation_count, GuardOptions, HotPathGuard, Mode,
};

#[test]
fn default_mode_applies_to_guards_entered_afterwards() {
    assert_eq!(default_mode(), Mode::Panic);
    set_default_mode(Mode::Count);
    let before = violation_count();
    {
        let _g = HotPathGuard::enter("test::default_count");
        std::hint::black_box(Box::new(1u8));
    }
    assert_eq!(violation_count() - before, 1);
    // An explicit mode wins over the default.
    let caught = std::panic::catch_unwind(|| {
        let _g = GuardOptions::new()
            .mode(Mode::Panic)
            .enter("test::explicit");
        std::hint::black_box(Box::new(1u8));
    });
    assert!(caught.is_err());
    set_default_mode(Mode::Panic);
    assert_eq!(default_mode(), Mode::Panic);
}
