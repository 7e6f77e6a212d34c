fn main() -> std::process::ExitCode {
    slipway::cli::run(std::env::args_os())
}
