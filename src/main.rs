use clap::Parser;

// The build allocates many small values on every thread; mimalloc handles
// that far better than glibc's allocator (measured in the benchmark notes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kennisbank::no_transparent_huge_pages();
    kennisbank::cli::run(kennisbank::cli::Cli::parse())
}
