//! `kennisbank new`: a page from the section's schema. (Not built yet.)

use std::process::ExitCode;

use crate::cli::NewArgs;

pub fn run(args: NewArgs) -> ExitCode {
    let _ = args;
    eprintln!("new is nog niet beschikbaar");
    ExitCode::FAILURE
}
