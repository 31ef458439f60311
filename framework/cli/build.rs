//! Rebuilds the crate when the embedded project template changes
//! (`include_dir!` does not tell cargo which files it read).

fn main() {
    println!("cargo::rerun-if-changed=../../cli-template");
}
