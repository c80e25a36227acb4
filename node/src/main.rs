//! The `metronode` binary: parses the command line and hands over to `metronode::cli`.

fn main() -> std::process::ExitCode {
    metronode::cli::main()
}
