//! What each run records about where it ran.

use std::process::Command;

/// CPU model, core count and OS, e.g. `AMD EPYC, 2 cores, linux x86_64`.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{model}, {cores} cores, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The compiler that built this binary (recorded by the build script).
pub fn rustc() -> String {
    env!("ZEROCAST_BENCH_RUSTC").to_owned()
}

/// The commit of the working tree, with `+dirty` for uncommitted changes.
pub fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(status) if !status.is_empty() => format!("{hash}+dirty"),
            _ => hash,
        },
        None => "unknown".to_owned(),
    }
}
