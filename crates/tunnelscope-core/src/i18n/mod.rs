//! The page's languages: [`Lang`], and one [`Texts`] table per language, one file each
//! (`en.rs`, `pt_br.rs`). A third language is one new file plus its name in [`languages!`].
//!
//! Kept in English in every language: event and field names, query terms, rule IDs, IDs,
//! ARNs and the product name. The CLI and the exports stay English (they never read this).

use serde::{Deserialize, Serialize};

/// Declares the language files and registers them, in the switch's order (the first is the
/// default). Adding a language: write `xx.rs` with its `TEXTS`, and add `xx` here.
macro_rules! languages {
    ($($file:ident),+ $(,)?) => {
        $(mod $file;)+
        /// Every language's table, the default first.
        pub static LANGS: &[&Texts] = &[$(&$file::TEXTS),+];
    };
}

languages!(en, pt_br);

/// A language: an index into [`LANGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lang(u8);

impl Lang {
    /// English, the default.
    pub const DEFAULT: Lang = Lang(0);

    /// Every language, the default first.
    pub fn all() -> impl Iterator<Item = Lang> {
        (0..LANGS.len()).map(|i| Lang(i as u8))
    }

    /// Its strings.
    pub fn texts(self) -> &'static Texts {
        LANGS.get(usize::from(self.0)).copied().unwrap_or(LANGS[0])
    }

    /// Its BCP 47 tag (`en`, `pt-BR`): `<html lang>`, the URL's `lang=`, the stored choice.
    pub fn code(self) -> &'static str {
        self.texts().code
    }

    /// The language of a tag given exactly (case-insensitive), as a link or the stored choice says it.
    pub fn from_code(tag: &str) -> Option<Lang> {
        Lang::all().find(|l| l.code().eq_ignore_ascii_case(tag.trim()))
    }

    /// The first of the browser's languages (`navigator.languages`, best first) that one of
    /// ours serves by its primary subtag (`pt`, `pt-PT`, `pt-BR` → pt-BR); else the default.
    pub fn from_browser<S: AsRef<str>>(tags: &[S]) -> Lang {
        for tag in tags {
            let primary = tag.as_ref().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
            if let Some(l) = Lang::all().find(|l| l.texts().serves.contains(&primary.as_str())) {
                return l;
            }
        }
        Lang::DEFAULT
    }
}

/// `n` with a thousands separator every three digits (`1,234,567`, `1.234.567`).
pub fn group(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// The severities as the query language names them (`high` …), for [`Texts::severity`].
pub const SEVERITIES: [&str; 4] = ["high", "medium", "low", "info"];

/// A finding's sentence as data, so each language says it: the rule (by ID) and its numbers.
/// The English sentence (`en`) is the finding's `explanation` in the CLI and the exports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Said {
    /// The rule's ID (`failed-burst` …).
    pub rule: String,
    /// Principal, endpoint ID or account.
    pub subject: String,
    /// Evidence events (or for `short-lived-endpoint`, tunnels; `client-ip-not-preserved`, calls;
    /// `new-source-ip`, other source IPs used before).
    pub n: u64,
    /// Between the first and last evidence event, when more than one.
    pub within_ms: Option<i64>,
    /// Accepted among them (`unusual-port`).
    pub accepted: u64,
    /// Denied (`new-source-ip`).
    pub failed: bool,
    /// Ports (empty: none given), targets (empty: none), in order of first appearance.
    pub ports: Vec<String>,
    pub targets: Vec<String>,
    /// Event names, principals, source IPs as the rule lists them.
    pub names: Vec<String>,
    pub who: Vec<String>,
    /// A span (`new-source-ip`: since the first tunnel; `short-lived-endpoint`: the life).
    pub span_ms: i64,
    /// A time as RFC 3339 (the first off-hours tunnel, the Create).
    pub at: String,
    /// Working hours and offset (`off-hours`), a source IP (`new-source-ip`).
    pub day_start: u32,
    pub day_end: u32,
    pub offset: String,
    pub ip: String,
}

/// A span of time as people say it: `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h` (`d` is the
/// language's day unit).
pub fn span_with(ms: i64, day: &str) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => match s / 60 % 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        s => match s / 3600 % 24 {
            0 => format!("{} {day}", s / 86_400),
            h => format!("{} {day} {h} h", s / 86_400),
        },
    }
}

/// Up to six values, then how many more (`and 3 more`: the language's `more`).
pub fn list_with(values: &[String], none: &str, more: fn(usize) -> String) -> String {
    let shown: Vec<&str> = values.iter().take(6).map(|v| if v.is_empty() { none } else { v.as_str() }).collect();
    let mut text = shown.join(", ");
    if values.len() > 6 {
        text.push_str(&more(values.len() - 6));
    }
    text
}

/// A session bar's hover text as data (the core's `SessionMark::title` is the English one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionSaid {
    /// The principal (empty: unknown), `10.0.2.40:22`, the endpoint ID.
    pub who: String,
    pub target: String,
    pub endpoint: String,
    pub tunnels: u32,
    pub failed: u32,
    /// `2026-10-01 08:46–12:30` (UTC).
    pub span: String,
    /// `13:30` when any tunnel was accepted; `None`: never opened.
    pub until: Option<String>,
}

/// One language's every string the page shows. Plain strings are `&str`; strings with values
/// are functions of them (numbers already as numbers: each language groups its digits).
pub struct Texts {
    /// BCP 47 tag, the name in the switch (in the language itself), the browsers' primary
    /// subtags it serves.
    pub code: &'static str,
    pub name: &'static str,
    pub serves: &'static [&'static str],
    /// Digit grouping and decimal mark.
    pub thousands: char,
    pub decimal: char,
    /// Month abbreviations (the timeline's axis), and a day and month as the axis writes them.
    pub months: [&'static str; 12],
    pub day_month: fn(u32, &str) -> String,
    pub month_year: fn(&str, i64) -> String,
    pub day_month_year: fn(u32, &str, i64) -> String,

    // The header and the page's frame.
    pub tagline: &'static str,
    pub load_sample: &'static str,
    pub clear: &'static str,
    pub local_time: &'static str,
    pub utc: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub theme_title: &'static str,
    pub time_title: &'static str,
    pub help_title: &'static str,
    pub language: &'static str,
    pub language_label: &'static str,
    pub export_label: &'static str,
    pub export_tunnels_csv: &'static str,
    pub export_tunnels_json: &'static str,
    pub export_events_csv: &'static str,
    pub export_events_json: &'static str,
    pub export_records: &'static str,
    pub export_sessions_csv: &'static str,
    pub export_sessions_json: &'static str,
    pub export_findings_csv: &'static str,
    pub export_findings_json: &'static str,
    pub no_eice: fn(&str) -> String,
    pub link_other_files: fn(&str, &str) -> String,
    pub engine_stopped: fn(&str) -> String,

    // Counting nouns: (one, many).
    pub n_events: (&'static str, &'static str),
    pub n_files: (&'static str, &'static str),
    pub n_tunnels: (&'static str, &'static str),
    pub n_sessions: (&'static str, &'static str),

    // The drop zone.
    pub drop_hint: &'static str,
    pub choose_files: &'static str,
    pub or: &'static str,
    pub a_folder: &'static str,
    pub nothing_leaves: &'static str,

    // The status bar and load progress.
    pub idle: &'static str,
    pub loading: &'static str,
    pub loaded_from: fn(&str, &str) -> String,
    pub cancelled_loaded: fn(&str, &str) -> String,
    pub finishing: &'static str,
    pub time_left: fn(&str) -> String,
    pub estimating: &'static str,
    pub read_events: fn(&str) -> String,
    pub cancel: &'static str,
    pub cancelling: &'static str,
    pub cancel_title: &'static str,
    pub progress_label: &'static str,

    // The filter.
    pub filter_placeholder: &'static str,
    pub not_applied: &'static str,
    pub at_character: fn(&str, usize) -> String,
    /// A query's error as the core's parser writes it (English), said in this language.
    pub query_error: fn(&str) -> String,
    pub showing: &'static str,
    pub everything: &'static str,

    // The counters.
    pub stat_events: &'static str,
    pub stat_tunnels: &'static str,
    pub stat_failed_tunnels: &'static str,
    pub stat_endpoints: &'static str,
    pub stat_principals: &'static str,
    pub stat_source_ips: &'static str,
    pub stat_sessions: &'static str,
    pub stat_findings: &'static str,
    pub accounting: fn([&str; 6]) -> String,

    // Findings.
    pub findings_title: fn(&str) -> String,
    /// A severity's name, by its query name (`high` …).
    pub severity: fn(&str) -> &'static str,
    pub severity_chip_title: fn(&str) -> String,
    pub newest_first: &'static str,
    pub most_severe_first: &'static str,
    pub no_findings: &'static str,
    pub evidence_line: fn(usize, &str, &str) -> String,
    pub subject: &'static str,
    pub finding: &'static str,
    pub rule_settings: &'static str,
    pub changed: fn(usize) -> String,
    pub settings_help: fn(&str) -> String,
    pub params: &'static str,
    pub for_example: &'static str,
    pub settings_label: &'static str,
    pub apply: &'static str,
    /// What a rule flags and why it matters, by rule ID.
    pub rule_about: fn(&str) -> &'static str,
    /// A finding's sentence.
    pub explain: fn(&Said) -> String,

    // Sessions.
    pub sessions_title: fn(&str) -> String,
    pub gap: &'static str,
    pub gap_title: &'static str,
    pub gap_label: &'static str,
    pub sessions_hint: &'static str,
    pub no_sessions: &'static str,
    pub start: fn(bool) -> &'static str,
    pub last_start: &'static str,
    pub latest_end: &'static str,
    pub latest_end_title: &'static str,
    pub principal: &'static str,
    pub source_ip: &'static str,
    pub endpoint: &'static str,
    pub target: &'static str,
    pub tunnels: &'static str,
    pub failed: &'static str,
    pub instance: &'static str,
    pub session_summary: fn(&str, u64, u64, u64, &str, &str) -> String,
    pub instances_label: &'static str,
    pub not_paired: &'static str,
    pub os_users_label: &'static str,
    pub unknown: &'static str,
    pub tunnels_label: &'static str,
    pub session_note: &'static str,
    /// `i-0abc as ec2-user`.
    pub as_user: fn(&str, &str) -> String,
    /// The detail's label for what a made or repaired record was read from (issue 22).
    pub read_from: &'static str,
    /// What it was read from (`ocsf`, `logstash`, `console-csv`, `query-row`, `lookup-summary`)
    /// and the CloudTrail fields it lacks.
    pub read_from_value: fn(&str, &[String]) -> String,

    // The pager.
    pub previous: &'static str,
    pub next: &'static str,
    pub rows_of: fn(usize, usize, usize) -> String,

    // The timeline.
    pub timeline: &'static str,
    pub lanes_by: &'static str,
    pub grouping: fn(&str) -> &'static str,
    /// A target lane's instances as the core writes them (`i-0abc as ec2-user, +2 more`).
    pub sublabel: fn(&str) -> String,
    pub timeline_hint: &'static str,
    pub timeline_empty: &'static str,
    pub canvas_findings: &'static str,
    pub canvas_endpoints: &'static str,
    pub sessions_by: fn(&str) -> String,
    pub tunnels_by: fn(&str) -> String,
    pub port_n: fn(&str) -> String,
    pub tip_failed: fn(&str, &str) -> String,
    pub tip_accepted: fn(&str, &str, &str, bool) -> String,
    pub event_n: fn(&str) -> String,
    pub tip_lane: fn(usize, usize) -> String,
    pub tip_stacked: fn(u32) -> String,
    pub tip_overdrawn: fn(usize) -> String,
    pub tip_session: fn(&SessionSaid) -> String,
    pub unknown_paren: &'static str,

    // Endpoints.
    pub endpoints_title: fn(usize) -> String,
    pub create_requested: fn(&str) -> String,
    pub by: fn(&str) -> String,
    pub created_before: fn(&str) -> String,
    pub created_before_short: &'static str,
    pub delete_requested: fn(&str) -> String,
    pub not_deleted: fn(&str) -> String,
    pub not_deleted_short: &'static str,
    pub not_in_data: &'static str,
    pub modify_requests: fn(usize) -> String,
    pub describe_calls: fn(usize) -> String,
    pub usage: fn(&str, u64, &str, &str) -> String,
    pub no_tunnels: &'static str,
    pub security_groups: &'static str,
    pub ip_address_type: &'static str,
    pub tunnels_failed: fn(u64, u64) -> String,
    pub endpoint_activity: fn(&str) -> String,
    pub op: fn(&str) -> &'static str,
    pub change: &'static str,
    pub region: &'static str,
    pub details: &'static str,
    pub no_endpoint_activity: &'static str,

    // Tunnels and events.
    pub tunnels_title: fn(&str) -> String,
    pub time: fn(bool) -> &'static str,
    pub target_ip: &'static str,
    pub port: &'static str,
    pub max_duration: &'static str,
    pub outcome: &'static str,
    pub accepted: &'static str,
    pub failed_with: fn(&str) -> String,
    pub ambiguous: &'static str,
    pub no_tunnels_match: &'static str,
    pub assumed_short: &'static str,
    pub all_endpoints: &'static str,
    pub events_title: fn(&str) -> String,
    pub eice_only: &'static str,
    pub event_name: &'static str,
    pub event_source: &'static str,
    pub error: &'static str,
    pub filter_by: fn(&str) -> String,

    // The detail panel.
    pub selected_event: &'static str,
    pub close: &'static str,
    pub detail_missing: fn(&str) -> String,
    pub loading_event: &'static str,
    pub latest_possible_end: &'static str,
    pub accepted_long: &'static str,
    pub assumed: &'static str,
    pub outside_eice: &'static str,
    pub pairing: fn(&str) -> &'static str,
    pub user_agent: &'static str,
    pub region_account: &'static str,
    pub event_id: &'static str,
    pub related_events: &'static str,
    pub relation: fn(&str) -> String,
    pub raw_record: &'static str,
    pub copy: &'static str,
    pub no_related: &'static str,

    // The histogram.
    pub histogram_label: &'static str,
    pub window_is: fn(&str, &str) -> String,
    pub show_all_time: &'static str,
    pub window_hint: &'static str,

    // Coverage and the load report.
    pub coverage: fn(usize, usize, &str, &str, usize, usize) -> String,
    pub accounts: &'static str,
    pub regions: &'static str,
    pub days_with_events: &'static str,
    pub events_on_day: fn(&str) -> String,
    pub no_events_on: &'static str,
    pub trail_changes: &'static str,
    pub trail_change: fn(&str, &str, &str, &str) -> String,
    pub load_report: fn(&str, usize, usize, usize) -> String,
    pub file_status: fn(&str) -> &'static str,
    pub file_counts: fn(u64, u64, u64) -> String,
    pub show_all_files: fn(usize) -> String,
    /// A load report's reason or note, said in this language when it is one of the usual ones.
    pub report_text: fn(&str) -> String,

    // Exports.
    pub export_kind: fn(&str) -> &'static str,
    pub exporting: fn(&str) -> String,
    pub export_of: fn(&str) -> String,
    pub export_waiting: &'static str,
    pub export_cancel_title: &'static str,
    pub mb_of: fn(&str, &str) -> String,
    pub export_rows: fn(&str, &str, &str) -> String,

    // Help.
    pub shortcuts: &'static str,
    pub help_label: &'static str,
    pub keys: [&'static str; 7],
    pub query_language: &'static str,
    pub query_rules: &'static str,
    /// A query term's meaning, by the term as `QUERY_HELP` writes it.
    pub query_help: fn(&str, &'static str) -> &'static str,
}

impl Texts {
    /// `n` with this language's digit grouping.
    pub fn num(&self, n: u64) -> String {
        group(n, self.thousands)
    }

    /// `n` and its noun, singular for one: `1 file`, `1.204 eventos`.
    pub fn count(&self, n: u64, (one, many): (&str, &str)) -> String {
        format!("{} {}", self.num(n), if n == 1 { one } else { many })
    }

    /// A decimal with `digits` after this language's decimal mark (`2.5`, `2,5`).
    pub fn decimal(&self, x: f64, digits: usize) -> String {
        let text = format!("{x:.digits$}");
        if self.decimal == '.' { text } else { text.replace('.', &self.decimal.to_string()) }
    }
}
