use clap::Parser;

// The build allocates many small values on every thread; mimalloc handles
// that far better than glibc's allocator (measured in the benchmark notes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    no_transparent_huge_pages();
    kennisbank::cli::run(kennisbank::cli::Cli::parse())
}

/// mimalloc asks the kernel for transparent huge pages (`MADV_HUGEPAGE`),
/// so the first touch of each fresh 2 MiB page zeroes all of it: 40% of a
/// small site's build was `clear_page` in the kernel (docs/performance.md).
/// Turned off for this process only; failure (an old kernel) changes nothing.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with an integer option and integer arguments; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
