//! `tunnelscope`: accounting, EICE tunnels and extracts of local CloudTrail dumps, on every core.

mod load;
mod output;

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use flate2::Compression;
use flate2::write::GzEncoder;
use tunnelscope_core::export::{self, terminal_safe};
use tunnelscope_core::findings::{self, FindingRow, Severity};
use tunnelscope_core::query::{self, Query};
use tunnelscope_core::sessions;
use tunnelscope_core::views::TunnelPairings;
use tunnelscope_core::views::insight::Insight;
use tunnelscope_core::{Dataset, EventRef, FileStatus};

/// mimalloc: the workers' parsed results are freed on whichever thread adds them to the dataset,
/// and glibc's allocator then locks the other thread's arena (on a 2,000-file tree a twentieth of
/// the time went to waking threads waiting for those locks). Measured interleaved on the bench
/// sets: the tree on all cores 117–135 ms against 162–185 ms, and one core faster too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The help's last part: the query language (the core's one text of it), then the exit status.
fn after_help() -> String {
    format!(
        "Query terms (--filter):\n{}\n\
         Exit status: 0 when the run completed (rejected files are reported, not failures); 1 on a usage\n\
         or I/O error (missing path, unwritable output, bad query); 2 with --strict when a file was rejected.",
        query::help_text()
    )
}

/// Reads exported AWS CloudTrail logs and derives EC2 Instance Connect Endpoint tunnels.
#[derive(Debug, Parser)]
#[command(name = "tunnelscope", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Accounts for every file and record and counts tunnels, endpoint activity and principals.
    Stats {
        /// Print one JSON object instead of a table (its keys may be added to, never renamed).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: Input,
    },
    /// Lists one row per tunnel (OpenTunnel attempt).
    Tunnels {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        input: Input,
    },
    /// Lists one row per session: a principal's tunnels from one source IP through one endpoint
    /// to one target and port, joined while each starts within the gap of the latest end so far.
    Sessions {
        /// The longest pause between a session's latest possible end and its next tunnel
        /// (`10m`, `90s`, `1h30m`; a bare number is minutes).
        #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_gap)]
        gap: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        input: Input,
    },
    /// Lists what deserves a second look (contracts.md §8 rules), most severe first, each with
    /// one sentence and its evidence events.
    Findings {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Only findings of this severity or above (high, medium, low, info).
        #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
        min_severity: Option<Severity>,
        /// Exit with status 3 when a finding of this severity or above exists.
        #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
        fail_on: Option<Severity>,
        /// Change a threshold: RULE.PARAM=VALUE, e.g. failed-burst.min=5, off-hours.offset=+02:00,
        /// unknown-source.allow=10.0.0.0/8,192.0.2.7 (repeatable).
        #[arg(long = "set", value_name = "RULE.PARAM=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        input: Input,
    },
    /// Writes only the EICE-relevant events as one gzipped {"Records":[…]} file.
    Extract {
        /// The output file (gzipped JSON, e.g. eice.json.gz).
        #[arg(short, long, value_name = "OUT.json.gz")]
        output: PathBuf,
        #[command(flatten)]
        input: Input,
    },
    /// Writes the built-in synthetic sample trail.
    Sample {
        /// The output file (`-` for standard output).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

/// Inputs and options shared by the commands that read logs.
#[derive(Debug, Args)]
struct Input {
    /// Only events matching this query (terms below), e.g. `user:alice outcome:failed`.
    // A query may start with a negated term (`-event:X`): it is a value, not a flag.
    #[arg(long, value_name = "QUERY", allow_hyphen_values = true)]
    filter: Option<String>,
    /// Exit with status 2 when any file was rejected.
    #[arg(long)]
    strict: bool,
    /// Files and folders (read recursively); .json, .json.gz, .csv, .zip and the other export shapes.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

/// A failure that ends the run with status 1.
#[derive(Debug)]
enum Failure {
    /// A message for stderr.
    Message(String),
    /// The reader of stdout went away (`| head`): stop quietly.
    BrokenPipe,
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe { Self::BrokenPipe } else { Self::Message(e.to_string()) }
    }
}

fn main() -> ExitCode {
    // The query terms and exit codes under the help, and under the help of each command that
    // takes --filter.
    let help = after_help();
    let parsed =
        Cli::command()
            .after_help(help.clone())
            .mut_subcommands(|s| {
                if s.get_arguments().any(|a| a.get_id() == "filter") { s.after_help(help.clone()) } else { s }
            })
            .try_get_matches()
            .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors; the contract says 1 (help and version are not errors).
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(m)) => {
            eprintln!("tunnelscope: error: {}", terminal_safe(&m));
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Stats { json, input } => {
            // The JSON document counts sessions and findings at their defaults.
            let loaded = Loaded::new(&input, json.then(Analysis::default))?;
            // Without a filter, the counts come from the columns (`Dataset::stats`: ~5x faster).
            let stats = match loaded.matching {
                None => loaded.dataset.stats(),
                Some(_) => loaded.dataset.stats_of(loaded.matching()),
            };
            let mut out = io::stdout().lock();
            if json {
                let (insight, _) = loaded.analysed()?;
                let doc = export::stats_doc(&loaded.dataset, &stats, insight, |i| loaded.keeps(i));
                let text = serde_json::to_string_pretty(&doc).map_err(|e| Failure::Message(e.to_string()))?;
                writeln!(out, "{}", export::json_terminal_safe(text))?;
            } else {
                output::stats_table(&mut out, &stats, &loaded.dataset, input.filter.as_deref())?;
            }
            out.flush()?;
            Ok(loaded.finish(&input))
        }
        Command::Tunnels { format, input } => {
            let loaded = Loaded::new(&input, None)?;
            loaded.warn_rejected();
            let pairings = tunnelscope_core::pairing::TunnelPairings::new(&loaded.dataset);
            let rows: Vec<_> = loaded
                .dataset
                .tunnel_rows_indexed(&pairings)
                .into_iter()
                .filter(|(i, _)| loaded.keeps(*i))
                .map(|(_, row)| row)
                .collect();
            let mut out = io::stdout().lock();
            match format {
                Format::Table => output::tunnels_table(&mut out, &rows)?,
                Format::Json => writeln!(out, "{}", export::tunnels_json(&rows))?,
                Format::Csv => write_csv(&mut out, &export::tunnels_csv(&rows))?,
            }
            out.flush()?;
            Ok(loaded.finish(&input))
        }
        Command::Sessions { gap, format, input } => {
            let loaded = Loaded::new(&input, Some(Analysis { gap_ms: gap, ..Analysis::default() }))?;
            loaded.warn_rejected();
            let (insight, pairings) = loaded.analysed()?;
            // A session is in the view when any of its tunnels matches (contracts.md §7).
            let shown = insight.sessions_in(|i| loaded.keeps(i));
            let rows: Vec<_> =
                shown.iter().filter_map(|&s| insight.session_row(&loaded.dataset, pairings, s)).collect();
            let mut out = io::stdout().lock();
            match format {
                Format::Table => output::sessions_table(&mut out, &rows)?,
                Format::Json => writeln!(out, "{}", export::sessions_json(&rows))?,
                Format::Csv => write_csv(&mut out, &export::sessions_csv(&rows))?,
            }
            out.flush()?;
            Ok(loaded.finish(&input))
        }
        Command::Findings { format, min_severity, fail_on, set, input } => {
            let mut settings = findings::Settings::default();
            for item in &set {
                let (key, value) = item
                    .split_once('=')
                    .ok_or_else(|| Failure::Message(format!("--set {item:?}: expected RULE.PARAM=VALUE")))?;
                settings.set(key, value).map_err(|e| Failure::Message(format!("--set: {e}")))?;
            }
            let loaded = Loaded::new(&input, Some(Analysis { settings, ..Analysis::default() }))?;
            loaded.warn_rejected();
            let (insight, _) = loaded.analysed()?;
            let rows: Vec<FindingRow> = insight
                .findings_in(|i| loaded.keeps(i))
                .into_iter()
                .map(|k| insight.findings()[k].clone())
                .filter(|f| min_severity.is_none_or(|m| f.severity >= m))
                .collect();
            let mut out = io::stdout().lock();
            match format {
                Format::Table => output::findings_table(&mut out, &rows)?,
                Format::Json => writeln!(out, "{}", export::findings_json(&rows))?,
                Format::Csv => write_csv(&mut out, &export::findings_csv(&rows))?,
            }
            out.flush()?;
            let code = loaded.finish(&input);
            let failing = fail_on.is_some_and(|s| rows.iter().any(|r| r.severity >= s));
            Ok(if failing && code == ExitCode::SUCCESS { ExitCode::from(3) } else { code })
        }
        Command::Extract { output, input } => {
            let out_err = |e: io::Error| Failure::Message(format!("{}: {e}", output.to_string_lossy()));
            let query = parse_filter(&input)?;
            let mut files = load::collect_files(&input.paths).map_err(Failure::Message)?;
            // The output may sit among the inputs (an earlier extract): it is not an input.
            files.retain(|f| !load::same_file(&f.path, &output));
            // Open the output before reading: an unwritable path should fail before minutes of work.
            let file = fs::File::create(&output).map_err(out_err)?;
            let loaded = match Loaded::from_files(&files, query, None) {
                Ok(l) => l,
                Err(e) => {
                    drop(file);
                    let _ = fs::remove_file(&output);
                    return Err(e);
                }
            };
            loaded.warn_rejected();
            let events: Vec<EventRef<'_>> =
                loaded.dataset.time_order().into_iter().filter_map(|i| loaded.keep(i)).collect();
            let doc = export::records_json(events.iter().copied());
            write_gzip(file, &doc).map_err(out_err)?;
            let tunnels = events.iter().filter(|e| e.tunnel().is_some()).count();
            eprintln!(
                "tunnelscope: wrote {} of {} events ({} tunnels) to {}",
                events.len(),
                loaded.dataset.len(),
                tunnels,
                terminal_safe(&output.to_string_lossy())
            );
            Ok(loaded.finish(&input))
        }
        Command::Sample { output } => {
            let bytes = tunnelscope_core::sample::sample_trail_json();
            if output.as_os_str() == "-" {
                let mut out = io::stdout().lock();
                out.write_all(&bytes)?;
                out.flush()?;
            } else {
                fs::write(&output, bytes)
                    .map_err(|e| Failure::Message(format!("{}: {e}", output.to_string_lossy())))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes a CSV document to stdout; on a terminal the bytes are shown, not saved, so what
/// would drive the terminal is escaped.
fn write_csv(out: &mut impl Write, csv: &str) -> io::Result<()> {
    if io::stdout().is_terminal() {
        for line in csv.lines() {
            writeln!(out, "{}", terminal_safe(line))?;
        }
        Ok(())
    } else {
        out.write_all(csv.as_bytes())
    }
}

/// `--min-severity`, `--fail-on`: a severity name.
fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| format!("{text:?} is not one of high, medium, low, info"))
}

/// `--gap`: a duration such as `10m`.
fn parse_gap(text: &str) -> Result<i64, String> {
    sessions::parse_gap(text).ok_or_else(|| format!("{text:?} is not a duration such as 10m, 90s or 1h30m"))
}

/// Writes `doc` gzipped to `file`.
fn write_gzip(file: fs::File, doc: &[u8]) -> io::Result<()> {
    let mut gz = GzEncoder::new(io::BufWriter::new(file), Compression::default());
    gz.write_all(doc)?;
    gz.finish()?.flush()
}

/// The `--filter` query, parsed; a bad query is a usage error.
fn parse_filter(input: &Input) -> Result<Option<Query>, Failure> {
    match input.filter.as_deref() {
        Some(q) => Query::parse(q).map(Some).map_err(|e| Failure::Message(format!("--filter: {e}"))),
        None => Ok(None),
    }
}

/// The gap the sessions are grouped with and the settings the findings are found with.
struct Analysis {
    gap_ms: i64,
    settings: findings::Settings,
}

impl Default for Analysis {
    fn default() -> Self {
        Self { gap_ms: sessions::DEFAULT_GAP_MS, settings: findings::Settings::default() }
    }
}

/// A loaded dataset, the events the filter keeps and, when asked for or when the filter has
/// `session:`, `finding:` or `severity:` terms, its sessions and findings.
struct Loaded {
    dataset: Dataset,
    /// Indices of matching events; `None` when there is no filter.
    matching: Option<Vec<u32>>,
    insight: Option<Insight>,
    pairings: Option<TunnelPairings>,
}

impl Loaded {
    /// Parses the filter first (a bad query fails before any reading), then loads every file.
    fn new(input: &Input, analysis: Option<Analysis>) -> Result<Self, Failure> {
        let query = parse_filter(input)?;
        let files = load::collect_files(&input.paths).map_err(Failure::Message)?;
        Self::from_files(&files, query, analysis)
    }

    /// Loads the given files, finds sessions and findings when needed, and applies the query.
    fn from_files(
        files: &[load::InputFile],
        query: Option<Query>,
        analysis: Option<Analysis>,
    ) -> Result<Self, Failure> {
        let dataset = load::load(files).map_err(Failure::Message)?;
        let needs_marks = query.as_ref().is_some_and(Query::needs_marks);
        let analysis = analysis.or_else(|| needs_marks.then(Analysis::default));
        let (pairings, insight) = match analysis {
            Some(a) => {
                let pairings = TunnelPairings::new(&dataset);
                let insight = Insight::new(&dataset, &pairings, a.gap_ms, a.settings);
                (Some(pairings), Some(insight))
            }
            None => (None, None),
        };
        let matching = query.map(|mut q| {
            if let (Some(insight), Some(pairings)) = (&insight, &pairings) {
                q.bind(&insight.marks(pairings));
            }
            query::matching_indices(&dataset, &q, None)
        });
        Ok(Self { dataset, matching, insight, pairings })
    }

    /// The sessions and findings, and the pairings they were found with.
    fn analysed(&self) -> Result<(&Insight, &TunnelPairings), Failure> {
        match (&self.insight, &self.pairings) {
            (Some(i), Some(p)) => Ok((i, p)),
            _ => Err(Failure::Message("internal: sessions and findings were not prepared".into())),
        }
    }

    /// The events the filter keeps (all events without a filter).
    fn matching(&self) -> Box<dyn Iterator<Item = EventRef<'_>> + '_> {
        match &self.matching {
            Some(idx) => Box::new(idx.iter().filter_map(move |&i| self.dataset.get(i))),
            None => Box::new(self.dataset.iter()),
        }
    }

    /// True when the filter keeps the event at index `i` (always without a filter).
    fn keeps(&self, i: u32) -> bool {
        // `matching_indices` returns ascending indices, so a binary search suffices.
        self.matching.as_ref().is_none_or(|m| m.binary_search(&i).is_ok())
    }

    /// The event at index `i` when `extract` keeps it: EICE-relevant and matching the filter.
    fn keep(&self, i: u32) -> Option<EventRef<'_>> {
        let e = self.dataset.get(i)?;
        // `matching_indices` returns ascending indices, so a binary search suffices.
        let matches = self.matching.as_ref().is_none_or(|m| m.binary_search(&i).is_ok());
        (e.is_eice && matches).then_some(e)
    }

    /// Tells stderr about rejected files and notes on read files (commands whose stdout is data, not the report).
    fn warn_rejected(&self) {
        for f in self.dataset.files() {
            if f.status == FileStatus::Rejected {
                eprintln!("tunnelscope: rejected {}: {}", terminal_safe(&f.name), terminal_safe(&f.reason));
            }
            for note in f.all_notes() {
                eprintln!("tunnelscope: note on {}: {}", terminal_safe(&f.name), terminal_safe(&note));
            }
        }
    }

    /// The exit status: 2 under `--strict` when a file was rejected, else 0.
    fn finish(self, input: &Input) -> ExitCode {
        let rejected = self.dataset.files().iter().any(|f| f.status == FileStatus::Rejected);
        // The process ends right after; freeing millions of small strings would only cost time.
        std::mem::forget(self.dataset);
        if input.strict && rejected { ExitCode::from(2) } else { ExitCode::SUCCESS }
    }
}
