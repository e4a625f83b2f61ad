//! `vftop man`: one man page, generated from the same options, with every subcommand's own
//! options and the console's keys (no page points to another that is not generated).

use clap::CommandFactory;
use std::io::Write;
use vftop::cli::Cli;
use vftop::ui::keymap::{BINDINGS, REPLAY_BINDINGS};

pub fn write(out: &mut dyn Write) -> std::io::Result<()> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    subcommands(&command, &mut page)?;
    keys(&mut page)?;
    man.render_version_section(&mut page)?;
    out.write_all(&page)
}

/// `.SH COMMANDS`: each subcommand, what it does, its arguments and options.
fn subcommands(command: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(out, ".SH COMMANDS")?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(out, ".SS \"vftop {}\"", sub.get_name())?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(out, "{}", roff(&about.to_string()))?;
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && a.get_id() != "help") {
            let name = match (arg.get_long(), arg.get_short()) {
                (Some(long), Some(short)) => format!("\\fB-{short}\\fR, \\fB--{long}\\fR"),
                (Some(long), None) => format!("\\fB--{long}\\fR"),
                _ => format!("\\fI{}\\fR", arg.get_id().as_str().to_uppercase()),
            };
            let value = arg
                .get_value_names()
                .filter(|_| arg.get_long().is_some() && arg.get_num_args().is_none_or(|n| n.takes_values()))
                .map(|v| format!(" <{}>", v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")))
                .unwrap_or_default();
            writeln!(out, ".TP\n{name}{value}")?;
            if let Some(help) = arg.get_long_help().or(arg.get_help()) {
                writeln!(out, "{}", roff(&help.to_string()))?;
            }
        }
    }
    Ok(())
}

/// `.SH KEYS`: the console's key bindings, then a replay's, as the help overlay lists them.
fn keys(out: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(out, ".SH KEYS")?;
    for (keys, what) in BINDINGS {
        writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(keys), roff(what))?;
    }
    writeln!(out, ".SS \"In a replay (vftop replay)\"")?;
    for (keys, what) in REPLAY_BINDINGS {
        writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(keys), roff(what))?;
    }
    Ok(())
}

/// Text safe in roff: backslashes escaped, no line starting with a control character.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .lines()
        .map(|l| if l.starts_with(['.', '\'']) { format!("\\&{l}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}
