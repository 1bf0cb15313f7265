use std::process::ExitCode;

fn main() -> ExitCode {
    hafla_server::cli::main()
}
