//! `emitter`: logs one JSON line per tick on stdout. See `emitter --help`.

use std::process::ExitCode;

use emitter_cli::cli::{self, Command};

/// Exit status for invalid flags or environment.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    match cli::parse(std::env::args_os()) {
        Ok(Command::Print(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run(settings, level)) => {
            ExitCode::from(u8::try_from(emitter_cli::run::run(&settings, level)).unwrap_or(1))
        }
        Err(message) => {
            eprintln!("emitter: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
