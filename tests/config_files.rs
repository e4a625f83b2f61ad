//! Config files: every bad one under `tests/configs/bad/` (its first line says the error it
//! must give) is refused with the file and the setting named; the template is a good one.

use std::path::Path;

#[test]
fn every_bad_config_is_refused_with_its_reason() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/bad");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected =
            text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("an expect line");
        let error = vftop::config::load(Some(&path)).expect_err(&path.display().to_string()).to_string();
        assert!(error.contains(expected), "{}: {error}", path.display());
        assert!(error.contains(&path.display().to_string()), "the file is named: {error}");
        seen += 1;
    }
    assert!(seen >= 7, "{seen} bad configs");
}

#[test]
fn the_printed_template_is_the_config_vftop_reads() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vftop"))
        .arg("--print-config-template")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let config = vftop::config::parse(&text, "template").unwrap();
    assert_eq!(config.ui.interval.as_deref(), Some("1s"));
    assert!(config.roles.by_vlan.contains_key(&400));
}
