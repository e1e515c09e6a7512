//! The SQL of `docs/athena-lake.md` means what the CLI computes: `tests/sql/athena_lake.py`
//! runs it in SQLite (Python's own, so nothing to install) over the sample and extra scenarios
//! and compares every session and finding with this binary's output.

use std::path::Path;
use std::process::Command;

#[test]
fn athena_and_lake_sql_agree_with_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("python3")
        .arg(root.join("tests/sql/athena_lake.py"))
        .arg(env!("CARGO_BIN_EXE_tunnelscope"))
        .output()
        .expect("python3 runs (a fresh machine has it)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("sessions of the sample") && text.contains("5 rules agree"), "{text}");
}
