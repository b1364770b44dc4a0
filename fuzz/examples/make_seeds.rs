//! Writes the seed inputs of each target (see `checks::seeds`) into `DIR/reader` and
//! `DIR/config`. `fuzz/run.sh` runs it before fuzzing.
use rtlog_fuzz::checks::seeds;

fn main() {
    let dir = std::env::args_os().nth(1).expect("usage: make_seeds DIR");
    let dir = std::path::Path::new(&dir);
    for (target, inputs) in [("reader", seeds::reader_seeds()), ("config", seeds::config_seeds())] {
        std::fs::create_dir_all(dir.join(target)).expect("creating a seed directory");
        for (name, input) in inputs {
            std::fs::write(dir.join(target).join(name), input).expect("writing a seed");
        }
    }
}
