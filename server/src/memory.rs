//! Giving freed memory back to the system.
//!
//! glibc's allocator keeps what a burst of requests freed in its per-thread arenas, and a multi-threaded server
//! touches many arenas: after a load peak the process holds tens of MiB it no longer uses. Capping the arenas
//! (`M_ARENA_MAX=2`) cut RSS at 100,000 versions from 117.5 to 91.9 MiB, but cost every figure 14-32% in
//! allocator contention (README, "At scale"). So the arenas stay, and a quiet task hands
//! their free pages back every few seconds (`malloc_trim`, which also releases free pages inside the heap).
//! The RSS a container's memory limit counts then follows what the portal uses, not its highest peak.

use std::time::Duration;

/// How often free memory is handed back: short enough that a peak's leftovers go within seconds, rare enough
/// that the walk over the arenas is a negligible share of the time (bench/scale.sh's figures include it).
pub const TRIM_EVERY: Duration = Duration::from_secs(5);

/// Hands free memory back every [`TRIM_EVERY`] until `stopped` turns true. A no-op where the allocator is not
/// glibc's.
pub async fn give_back_freed_memory(mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TRIM_EVERY) => {}
            _ = stopped.changed() => return,
        }
        // On a blocking thread: the trim takes each arena's lock in turn.
        let _ = tokio::task::spawn_blocking(trim).await;
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks and releases the allocator's own free lists; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
