//! Readable, terminal-safe tables for `stats`, `tunnels`, `sessions` and `findings`.

use std::io::{self, Write};

use tunnelscope_core::dataset::Stats;
use tunnelscope_core::export::{pairing_str, terminal_safe};
use tunnelscope_core::findings::FindingRow;
use tunnelscope_core::sessions::SessionRow;
use tunnelscope_core::{Dataset, TunnelRow};
use unicode_width::UnicodeWidthStr;

/// Width of the label column of the stats table.
const LABEL: usize = 18;
/// Invalid-record lines shown before summarising the rest (the counts above stay exact).
const MAX_INVALID_LINES: usize = 20;

/// Writes the stats as an aligned table: counts, endpoints, then problems with reasons.
pub(crate) fn stats_table(out: &mut impl Write, s: &Stats, ds: &Dataset, filter: Option<&str>) -> io::Result<()> {
    if let Some(q) = filter {
        writeln!(out, "{:LABEL$}{}", "filter", terminal_safe(q))?;
        writeln!(out, "{:LABEL$}(tunnels, endpoint changes, endpoints and principals follow the filter)", "")?;
    }
    let f = &s.files;
    writeln!(
        out,
        "{:LABEL$}{} ({} read, {} skipped, {} rejected)",
        "files",
        f.read + f.skipped + f.rejected,
        f.read,
        f.skipped,
        f.rejected
    )?;
    let r = &s.records;
    writeln!(
        out,
        "{:LABEL$}{} ({} loaded, {} duplicates, {} invalid)",
        "records",
        r.loaded + r.duplicates + r.invalid,
        r.loaded,
        r.duplicates,
        r.invalid
    )?;
    let t = &s.tunnels;
    writeln!(out, "{:LABEL$}{} ({} accepted, {} failed)", "tunnels", t.total, t.total - t.failed, t.failed)?;
    let c = &s.endpoint_changes;
    writeln!(
        out,
        "{:LABEL$}{} ({} create, {} modify, {} delete, {} describe)",
        "endpoint changes",
        c.create + c.modify + c.delete + c.describe,
        c.create,
        c.modify,
        c.delete,
        c.describe
    )?;
    writeln!(out, "{:LABEL$}{}", "endpoints", s.endpoints.len())?;
    for e in &s.endpoints {
        writeln!(out, "{:LABEL$}  {}", "", terminal_safe(e))?;
    }
    writeln!(out, "{:LABEL$}{}", "principals", s.principals)?;
    writeln!(out, "{:LABEL$}{}", "problems", s.problems.len())?;
    let rows: Vec<Vec<String>> =
        s.problems.iter().map(|p| vec![p.status.as_str().to_owned(), safe(&p.file), safe(&p.reason)]).collect();
    write_aligned(out, "  ", &rows)?;
    if r.invalid > 0 {
        writeln!(out, "{:LABEL$}{}", "invalid records", r.invalid)?;
        let mut rows = Vec::new();
        for f in ds.files() {
            for inv in &f.invalid {
                rows.push(vec![safe(&f.name), safe(&inv.position), safe(&inv.reason)]);
            }
        }
        let shown = rows.len().min(MAX_INVALID_LINES);
        write_aligned(out, "  ", &rows[..shown])?;
        let more = r.invalid.saturating_sub(shown as u64);
        if more > 0 {
            writeln!(out, "  … and {more} more")?;
        }
    }
    // Read files with something to know (trailing bytes, out-of-range tunnel values).
    let notes: Vec<Vec<String>> =
        ds.files().iter().flat_map(|f| f.all_notes().into_iter().map(move |n| vec![safe(&f.name), safe(&n)])).collect();
    if !notes.is_empty() {
        writeln!(out, "{:LABEL$}{}", "notes", notes.len())?;
        let shown = notes.len().min(MAX_INVALID_LINES);
        write_aligned(out, "  ", &notes[..shown])?;
        if notes.len() > shown {
            writeln!(out, "  … and {} more", notes.len() - shown)?;
        }
    }
    Ok(())
}

/// Writes one line per tunnel under a header; `*` marks an assumed max duration.
pub(crate) fn tunnels_table(out: &mut impl Write, rows: &[TunnelRow]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no tunnels");
    }
    let header = [
        "time",
        "outcome",
        "principal",
        "source_ip",
        "endpoint_id",
        "private_ip",
        "port",
        "max_duration_secs",
        "instance_id",
        "os_user",
        "pairing",
        "error_code",
        "account",
        "region",
        "event_id",
    ];
    let mut table = vec![header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    let mut assumed = false;
    for r in rows {
        assumed |= r.max_duration_assumed;
        table.push(vec![
            safe(&r.time),
            safe(&r.outcome),
            safe(&r.principal),
            safe(&r.source_ip),
            safe(&r.endpoint_id),
            safe(&r.private_ip),
            r.port.map(|p| p.to_string()).unwrap_or_default(),
            format!("{}{}", r.max_duration_secs, if r.max_duration_assumed { "*" } else { "" }),
            safe(&r.instance_id),
            safe(&r.os_user),
            pairing_str(r.pairing).to_owned(),
            safe(&r.error_code),
            safe(&r.account),
            safe(&r.region),
            safe(&r.event_id),
        ]);
    }
    write_aligned(out, "", &table)?;
    if assumed {
        writeln!(out, "* no maxTunnelDuration in the request; 3600 s assumed")?;
    }
    Ok(())
}

/// Writes one line per session under a header, with its tunnels' counts and time span.
pub(crate) fn sessions_table(out: &mut impl Write, rows: &[SessionRow]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no sessions");
    }
    let header = [
        "start",
        "last_start",
        "latest_end",
        "tunnels",
        "accepted",
        "failed",
        "principal",
        "source_ip",
        "endpoint_id",
        "private_ip",
        "port",
        "instance_ids",
        "os_users",
        "session_id",
    ];
    let mut table = vec![header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    for r in rows {
        table.push(vec![
            safe(&r.start),
            safe(&r.last_start),
            safe(&r.latest_end),
            r.tunnels.to_string(),
            r.accepted.to_string(),
            r.failed.to_string(),
            safe(&r.principal),
            safe(&r.source_ip),
            safe(&r.endpoint_id),
            safe(&r.private_ip),
            r.port.map(|p| p.to_string()).unwrap_or_default(),
            safe(&r.instance_ids.join(",")),
            safe(&r.os_users.join(",")),
            safe(&r.session_id),
        ]);
    }
    write_aligned(out, "", &table)
}

/// Writes one line per finding: severity, rule, subject, when, and its sentence.
pub(crate) fn findings_table(out: &mut impl Write, rows: &[FindingRow]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no findings");
    }
    let mut table =
        vec![["severity", "rule", "subject", "first", "last", "explanation", "finding_id"].map(str::to_owned).to_vec()];
    for r in rows {
        table.push(vec![
            r.severity.as_str().to_owned(),
            r.rule.to_owned(),
            safe(&r.subject),
            safe(&r.first),
            safe(&r.last),
            safe(&r.explanation),
            safe(&r.finding_id),
        ]);
    }
    write_aligned(out, "", &table)
}

fn safe(s: &str) -> String {
    terminal_safe(s).into_owned()
}

/// Writes rows with columns padded to their widest cell (cells are already terminal-safe), by
/// the width a terminal gives them: a CJK character or an emoji takes two columns, a combining
/// mark none.
fn write_aligned(out: &mut impl Write, indent: &str, rows: &[Vec<String>]) -> io::Result<()> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; n];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    for row in rows {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.width() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aligned(rows: &[&[&str]]) -> String {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect();
        let mut out = Vec::new();
        write_aligned(&mut out, "", &rows).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn columns_line_up_by_display_width() {
        // Two columns each for the CJK characters and the emoji, none for the combining accent.
        let text = aligned(&[&["名前", "x"], &["ab", "y"], &["😀", "z"], &["e\u{301}", "w"]]);
        assert_eq!(text, "名前  x\nab    y\n😀    z\ne\u{301}     w\n");
        for line in text.lines() {
            let (first, last) = line.split_at(line.len() - 1);
            assert_eq!(first.width(), 6, "{line:?}");
            assert!(!last.is_empty());
        }
    }

    #[test]
    fn the_widest_cell_sets_the_column() {
        let text = aligned(&[&["a", "b", "c"], &["日本語テキスト", "é", "d"]]);
        assert_eq!(text, "a               b  c\n日本語テキスト  é  d\n");
    }
}
