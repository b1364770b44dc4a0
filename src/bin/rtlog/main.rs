//! `rtlog`: inspect, verify, dump and follow rtlog logs (placeholder until the CLI lands).
fn main() {
    eprintln!("rtlog: the command-line tool is being written");
    std::process::exit(2);
}
