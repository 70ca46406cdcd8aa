//! Shared by the integration tests: the guarded global allocator and helpers.
#![allow(dead_code)] // each test binary uses its own subset of the helpers

use zerocast_alloc::GuardedAlloc;

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

/// Runs `f`, which must panic, and returns its panic message.
#[track_caller]
pub(crate) fn panic_message<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> String {
    match std::panic::catch_unwind(f) {
        Ok(_) => panic!("expected a panic, got none"),
        Err(payload) => match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(payload) => match payload.downcast::<&'static str>() {
                Ok(s) => (*s).to_owned(),
                Err(_) => panic!("panic payload is not a string"),
            },
        },
    }
}

/// Asserts that `message` is a hot-path report of `op` of `size` bytes in `section`.
#[track_caller]
pub(crate) fn assert_report(message: &str, op: &str, size: usize, section: &str) {
    let expected = format!("ALLOCATION IN HOT PATH: {op} of {size} bytes in section `{section}`");
    assert!(
        message.contains(&expected),
        "expected `{expected}` in `{message}`"
    );
}
