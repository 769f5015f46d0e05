//! Giving memory back to the OS after a big job. The executable allocates through mimalloc
//! (`main.rs`); a backup or `check` of a large data file touches hundreds of megabytes that,
//! once freed, mimalloc may keep in its segments for reuse. `release_memory` asks it to return
//! what is free now, so a 2 GB box's idle server stays small after the nightly backup.

// The mimalloc crate is the executable's allocator; naming it here links its C library into
// everything that links this library, so `mi_collect` resolves in tests and benches too.
use mimalloc as _;

unsafe extern "C" {
    /// `void mi_collect(bool force)` from mimalloc's C API (`mimalloc.h`).
    fn mi_collect(force: bool);
}

/// Returns freed memory to the OS (a forced `mi_collect`). Cheap when nothing is free; when
/// mimalloc is not the allocator it only tidies mimalloc's own (unused) heap.
pub fn release_memory() {
    // SAFETY: mi_collect takes a plain bool and may be called from any thread at any time.
    unsafe { mi_collect(true) }
}
