//! The vftop binary: parses the command line and runs the one subcommand asked for (the
//! console when none is); each lives in `commands/`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;
use vftop::cli::{Cli, Command};
use vftop::model::VfKey;

mod commands;

/// mimalloc: a recording's samples are decoded on one thread and freed on another, which
/// glibc's allocator makes cost as much as the decoding (`vftop report`, `dump`, replay).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    if let Some(misplaced) = console_option_before(&matches) {
        vftop::tui::say(&misplaced);
        return ExitCode::from(2);
    }
    match run(cli, &given) {
        Ok(code) => code,
        Err(e) => {
            vftop::tui::say(&format!("vftop: {e:#}"));
            ExitCode::from(2)
        }
    }
}

/// A console option given before a subcommand (`vftop --audit-log F set …`): each subcommand
/// takes only its own options, after its name, so it is said, not ignored.
fn console_option_before(matches: &clap::ArgMatches) -> Option<String> {
    let sub = matches.subcommand_name()?;
    let command = <Cli as clap::CommandFactory>::command();
    let arg = command.get_arguments().filter(|a| !a.is_global_set()).find(|a| {
        matches.value_source(a.get_id().as_str()) == Some(clap::parser::ValueSource::CommandLine)
    })?;
    let name = arg.get_long().map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
    Some(format!(
        "vftop: {name} is the console's option, not {sub}'s: options go after the subcommand \
         (vftop {sub} {name} …; see vftop {sub} --help)"
    ))
}

fn run(cli: Cli, given: &dyn Fn(&str) -> bool) -> anyhow::Result<ExitCode> {
    if !matches!(cli.command, Some(Command::Completions { .. } | Command::Man)) {
        commands::init_logging(cli.log.as_deref());
    }
    let Some(command) = cli.command else { return commands::console::run(cli.console, given) };
    match command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "vftop", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            commands::man::write(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Guard { pf, vf, applied, revert, deadline_unix_ms, partition, audit } => {
            let watch = vftop::guard::Watch {
                key: VfKey { pf, vf },
                partition,
                applied,
                revert,
                deadline: std::time::UNIX_EPOCH + std::time::Duration::from_millis(deadline_unix_ms),
            };
            commands::guard::run(watch, &audit)
        }
        Command::Set { pf, vf, max, min, no_precheck, ip_link, sim, audit } => {
            let request = commands::set::SetRequest { key: VfKey { pf, vf }, max, min, no_precheck, ip_link };
            commands::set::run(request, &sim, &audit)
        }
        Command::Check { json, store, source, config } => {
            let req = commands::declared::DeclaredRequest {
                source: &source,
                config: &config,
                json,
                store: store.as_deref(),
            };
            commands::declared::check_command(req)
        }
        Command::Apply {
            dry_run,
            confirm_within,
            confirm,
            watch,
            enforce,
            source,
            config,
            audit,
            interval,
        } => {
            if confirm {
                return commands::declared::confirm_command(&audit, source.sim.is_demo());
            }
            let req = commands::declared::DeclaredRequest {
                source: &source,
                config: &config,
                json: false,
                store: None,
            };
            let opts = commands::declared::ApplyOptions {
                dry_run,
                confirm_within,
                watch,
                enforce,
                interval: interval.interval,
                audit: &audit,
            };
            commands::declared::apply_command(req, opts)
        }
        Command::Serve { listen, ethtool_stats, web_config, source, config, interval } => {
            commands::serve::run(commands::serve::ServeRequest {
                listen,
                ethtool_stats,
                web_config: web_config.as_deref(),
                source: &source,
                config: &config,
                interval: interval.interval,
            })
        }
        Command::Record { dir, retain, max_size, source, config, audit, interval } => {
            commands::record::run(commands::record::RecordRequest {
                dir: &dir,
                retain,
                max_size,
                source: &source,
                config: &config,
                audit: &audit,
                interval: interval.interval,
            })
        }
        Command::Replay { dir, at, sim, look, config } => {
            commands::replay::run(commands::replay::ReplayRequest {
                dir: dir.as_deref(),
                at,
                sim: &sim,
                look: &look,
                config: &config,
            })
        }
        Command::Report { recording, format, out, compare, window, sim } => {
            commands::report::run(commands::report::ReportRequest {
                recording: &recording,
                format,
                out,
                compare,
                window,
                sim: &sim,
            })
        }
        Command::Dump { recording, format, fields, events } => {
            let fields =
                vftop::record::dump::Request::parse_fields(fields.as_deref()).map_err(anyhow::Error::msg)?;
            commands::dump::run(&recording, format, fields, events)
        }
        Command::Fleet(args) if args.print_rules => {
            print!("{}", vftop::source::fleet::promql::Promql::recording_rules());
            Ok(ExitCode::SUCCESS)
        }
        Command::Fleet(args) => commands::fleet::run(args),
    }
}
