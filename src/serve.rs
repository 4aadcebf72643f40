//! `kennisbank serve`: the dev server. (Not built yet.)

use std::process::ExitCode;

use crate::cli::ServeArgs;

pub fn run(args: ServeArgs) -> ExitCode {
    let _ = args;
    eprintln!("serve is nog niet beschikbaar");
    ExitCode::FAILURE
}
