//! Purpose: giving memory the bot no longer uses back to the system.
//!
//! glibc's allocator keeps the pages of freed memory for reuse: after building the FAQ's index
//! (whose temporary lists are several times the index) or a burst of questions, the bot would
//! keep the peak as its resident size for good. `malloc_trim` returns the free pages; it costs
//! well under a millisecond on this bot's heap, so the bot calls it after loading a FAQ and
//! every few seconds.

/// Returns the heap's free pages to the system (glibc on Linux; elsewhere nothing to do).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas; it takes
    // no pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
