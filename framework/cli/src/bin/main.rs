//! The `ferrocrud` command line; see the `ferrocrud_cli` crate.

fn main() -> std::process::ExitCode {
    ferrocrud_cli::main()
}
