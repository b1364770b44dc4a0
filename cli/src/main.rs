//! `rtlog`: inspect, verify, dump, follow and plot rtlog write-ahead logs (non-RT; a reading tool
//! built on `rtlog::reader`, `rtlog::scan` and `rtlog::format`, never on the writer); and ship
//! them to NATS JetStream and collect them back ([`ship`], [`collect`]: thin commands over the
//! `rtlog-fleet` crate, docs/FLEET.md).
//!
//! Exit codes: 0 success, 1 damage found (`verify`), 2 usage or I/O errors. Each subcommand
//! lives in its own module; the shared pieces are the directory checks ([`logdir`]), the
//! record filters of `dump` and `tail` ([`filter`]), record lines ([`record`]) and the
//! message part of a line ([`message`]), time
//! ([`time`]) and JSON ([`json`]) text, and stdout handling ([`output`]).

mod collect;
mod dump;
mod error;
mod export;
mod filter;
mod inspect;
mod interrupt;
mod json;
mod logdir;
mod message;
mod output;
mod plot;
mod progress;
mod record;
mod ship;
mod tail;
mod time;
mod verify;
mod walk;

use clap::{Parser, Subcommand};

/// Inspect, verify, dump, follow and plot rtlog logs; ship them to NATS JetStream and collect
/// them back.
///
/// A log is a directory of segment files (seg-NNNNNNNNNN.rtlog). Every subcommand only reads
/// it, so it is safe to run on a log that a program is writing.
///
/// Exit codes: 0 ok, 1 damage found (verify), 2 usage or I/O error.
#[derive(Parser)]
#[command(name = "rtlog", version = rtlog::VERSION)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Inspect(inspect::Args),
    Verify(verify::Args),
    Dump(dump::Args),
    Tail(tail::Args),
    Export(export::Args),
    Plot(plot::Args),
    Ship(ship::Args),
    Collect(collect::Args),
}

fn main() {
    // clap prints usage errors itself and exits with 2, `--help` with 0.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Dump(args) => dump::run(&args),
        Command::Tail(args) => tail::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Plot(args) => plot::run(&args),
        Command::Ship(args) => ship::run(&args),
        Command::Collect(args) => collect::run(&args),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(message) = &e.message {
                error::warn(message);
            }
            e.code
        }
    };
    std::process::exit(code);
}
