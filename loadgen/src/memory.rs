//! The process's memory settings that a load-generating binary (loadgen, gameday) takes at
//! its start: no transparent huge pages (their allocator is mimalloc, set in each binary).

/// No transparent huge pages for this process. mimalloc asks for them on its arenas, and
/// the kernel's khugepaged collapsing one into a 2 MiB page stepped the RSS of a 10-minute
/// soak by 2 MiB (+14 %) at a random minute, in every loadgen running at the time; a heap of
/// 15 MiB gains no speed from them.
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integers only and touches none of our memory; it
    // fails harmlessly on kernels without it.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
