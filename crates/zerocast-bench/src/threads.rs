//! Worker threads pinned to cores, where the OS allows it.

use std::sync::OnceLock;
use std::thread::JoinHandle;

/// The cores this process may run on, looked up once.
fn cores() -> &'static [core_affinity::CoreId] {
    static CORES: OnceLock<Vec<core_affinity::CoreId>> = OnceLock::new();
    CORES.get_or_init(|| core_affinity::get_core_ids().unwrap_or_default())
}

/// Spawns worker `index`, pinned to core `index % cores` (unpinned where
/// pinning is unavailable). Producers take index 0, consumers 1, 2, …, so a
/// two-party scenario puts its two sides on different cores.
pub fn spawn_pinned<R: Send + 'static>(
    index: usize,
    f: impl FnOnce() -> R + Send + 'static,
) -> JoinHandle<R> {
    let core = cores().get(index % cores().len().max(1)).copied();
    std::thread::Builder::new()
        .name(format!("bench-worker-{index}"))
        .spawn(move || {
            if let Some(core) = core {
                core_affinity::set_for_current(core);
            }
            f()
        })
        .expect("spawn a bench worker")
}
