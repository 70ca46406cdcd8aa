//! `Mode::Abort` ends the process inside the allocation, with a report written
//! to standard error without allocating. Checked in a child process.
#![cfg(debug_assertions)]

mod common;

use std::process::Command;

use zerocast_alloc::{GuardOptions, Mode};

const CHILD: &str = "ZEROCAST_ALLOC_ABORT_CHILD";

#[test]
fn abort_mode_aborts_with_the_report() {
    if std::env::var_os(CHILD).is_some() {
        let _g = GuardOptions::new().mode(Mode::Abort).enter("test::abort");
        std::hint::black_box(Box::new([0u8; 24]));
        unreachable!("the allocator must abort before returning");
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "abort_mode_aborts_with_the_report",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "child succeeded: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "not SIGABRT: {stderr}");
    }
    assert!(
        stderr.contains(
            "ALLOCATION IN HOT PATH: alloc of 24 bytes in section `test::abort` (mode: abort)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("unreachable"), "{stderr}");
}
