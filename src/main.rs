use clap::Parser;

fn main() -> std::process::ExitCode {
    kennisbank::cli::run(kennisbank::cli::Cli::parse())
}
