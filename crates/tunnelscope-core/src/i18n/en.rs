//! English: the default, and the words of the CLI and the exports.

use super::{Said, SessionSaid, Texts, list_with, span_with};

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn more(k: usize) -> String {
    format!(" and {k} more")
}

fn list(v: &[String]) -> String {
    list_with(v, "(none)", more)
}

fn span(ms: i64) -> String {
    span_with(ms, "d")
}

/// A finding's sentence in English: the `explanation` of the CLI and the exports.
pub(super) fn explain(s: &Said) -> String {
    let subject = &s.subject;
    let within = s.within_ms.map(|ms| format!(" in {}", span(ms))).unwrap_or_default();
    let names = s.names.join(", ");
    let who = s.who.join(", ");
    match s.rule.as_str() {
        "failed-burst" => format!("{subject}: {} denied OpenTunnel attempts{within}, ports {}", s.n, list(&s.ports)),
        "unusual-port" => format!(
            "{subject}: {}{within} to port {} ({} accepted), targets {}",
            plural(s.n, "OpenTunnel attempt", "OpenTunnel attempts"),
            list(&s.ports),
            s.accepted,
            list(&s.targets)
        ),
        "many-targets" => {
            format!("{subject}: accepted tunnels to {} private IPs{within} ({})", s.targets.len(), list(&s.targets))
        }
        "root-activity" => format!(
            "{subject}: {} by the account's root user{within} ({names})",
            plural(s.n, "EICE action", "EICE actions")
        ),
        "rdp" => format!(
            "{subject}: {}{within} to {}",
            plural(s.n, "accepted RDP tunnel", "accepted RDP tunnels"),
            list(&s.targets)
        ),
        "off-hours" => format!(
            "{subject}: {}{within} outside working hours (Mon–Fri {:02}:00–{:02}:00 UTC{}), first at {}",
            plural(s.n, "accepted tunnel", "accepted tunnels"),
            s.day_start,
            s.day_end,
            s.offset,
            s.at
        ),
        "no-key-push" => format!(
            "{subject}: {}{within} with no SendSSHPublicKey in the minute before (a key kept on the instance, or another way in), to {}",
            plural(s.n, "accepted SSH tunnel", "accepted SSH tunnels"),
            list(&s.targets)
        ),
        "trail-tampering" => format!(
            "account {subject}: {}{within} ({names}) by {who}: logging stopped or changed, later activity may be missing",
            plural(s.n, "trail change", "trail changes")
        ),
        "unknown-source" => format!(
            "{subject}: {}{within} from {names} outside the allow-list",
            plural(s.n, "OpenTunnel attempt", "OpenTunnel attempts")
        ),
        "new-source-ip" => format!(
            "{subject}: first OpenTunnel from {} ({}), {} after their first tunnel in the data; {} used before",
            s.ip,
            if s.failed { "denied" } else { "accepted" },
            span(s.span_ms),
            plural(s.n, "other source IP", "other source IPs")
        ),
        "short-lived-endpoint" => format!(
            "{subject}: created at {}, used by {}, deleted {} later",
            s.at,
            plural(s.n, "tunnel", "tunnels"),
            span(s.span_ms)
        ),
        "client-ip-not-preserved" => format!(
            "{subject}: PreserveClientIp set to false by {} ({who}); instances see the endpoint's address, not the client's",
            plural(s.n, "call", "calls")
        ),
        _ => format!("{subject}: {}", plural(s.n, "event", "events")),
    }
}

fn session(s: &SessionSaid) -> String {
    let who = if s.who.is_empty() { "(unknown)" } else { s.who.as_str() };
    let mut t = format!("{who} → {} via {}, {}", s.target, s.endpoint, plural(u64::from(s.tunnels), "tunnel", "tunnels"));
    if s.failed > 0 {
        t.push_str(&format!(" ({} failed)", s.failed));
    }
    t.push_str(&format!(", {} UTC", s.span));
    match &s.until {
        Some(u) => t.push_str(&format!(", may have lasted until {u}")),
        None => t.push_str(", never opened"),
    }
    t
}

fn rule_about(rule: &str) -> &'static str {
    match rule {
        "failed-burst" => "Repeated denied OpenTunnel attempts: someone probing endpoints, targets or ports they may not use.",
        "unusual-port" => "OpenTunnel to a port other than SSH (22) and RDP (3389): an endpoint tunnels any TCP port, databases included.",
        "many-targets" => "One principal reaching many private IPs within an hour: lateral movement looks like this.",
        "root-activity" => "The account's root user opened tunnels, pushed keys or changed endpoints; root should not be used for this.",
        "new-source-ip" => "A principal's tunnel from a source IP it had not used before, after a baseline: stolen credentials are used from elsewhere.",
        "short-lived-endpoint" => "An endpoint created, used and deleted within a day: a way in set up and torn down to leave little behind.",
        "client-ip-not-preserved" => "PreserveClientIp set to false: the instances see the endpoint's address, not the client's, so their own logs cannot tell who connected.",
        "rdp" => "Accepted tunnels to RDP (3389): interactive Windows access.",
        "off-hours" => "Accepted tunnels starting outside working hours (Monday to Friday, at the configured UTC offset).",
        "no-key-push" => "Accepted SSH tunnels with no SendSSHPublicKey just before: the connection used a key kept on the instance or another way in.",
        "trail-tampering" => "CloudTrail logging stopped or changed: what follows may be missing from these logs.",
        "unknown-source" => "OpenTunnel from a source IP outside the configured allow-list.",
        _ => "",
    }
}

pub(super) static TEXTS: Texts = Texts {
    code: "en",
    name: "English",
    serves: &["en"],
    thousands: ',',
    decimal: '.',
    months: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    day_month: |d, m| format!("{m} {d}"),
    month_year: |m, y| format!("{m} {y}"),
    day_month_year: |d, m, y| format!("{m} {d}, {y}"),

    tagline: "EC2 Instance Connect Endpoint tunnels and endpoint changes from CloudTrail, in your browser",
    load_sample: "Load sample data",
    clear: "Clear",
    local_time: "local time",
    utc: "UTC",
    theme_light: "light",
    theme_dark: "dark",
    theme_title: "light or dark theme",
    time_title: "L",
    help_title: "?",
    language_label: "Language: ",
    language: "language",
    export_label: "Export the filtered view:",
    export_tunnels_csv: "tunnels CSV",
    export_tunnels_json: "tunnels JSON",
    export_events_csv: "events CSV",
    export_events_json: "events JSON",
    export_records: "raw records",
    export_sessions_csv: "sessions CSV",
    export_sessions_json: "sessions JSON",
    export_findings_csv: "findings CSV",
    export_findings_json: "findings JSON",
    no_eice: |events| {
        format!(
            "These files hold no EC2 Instance Connect Endpoint activity: none of their {events} is an OpenTunnel \
             or an endpoint Create, Modify, Delete or Describe. The events are listed below."
        )
    },
    link_other_files: |link_fp, fp| {
        format!(
            "This link was made for a different set of files (fingerprint {link_fp}, loaded {fp}): \
             the view was restored, but results may differ."
        )
    },
    engine_stopped: |message| {
        format!(
            "The engine stopped ({message}), probably out of memory: the browser holds at most 4 GB per worker. \
             Everything loaded was lost. The next load starts a fresh engine: load less at once \
             (`tunnelscope extract` keeps only the EICE-related events)."
        )
    },

    n_events: ("event", "events"),
    n_files: ("file", "files"),
    n_tunnels: ("tunnel", "tunnels"),
    n_sessions: ("session", "sessions"),

    drop_hint: "Drop CloudTrail exports here (.json, .json.gz, NDJSON, lookup-events, EventBridge, CloudWatch Logs), or ",
    choose_files: "choose files",
    or: " or ",
    a_folder: "a folder",
    nothing_leaves: ". Nothing leaves your browser.",

    idle: "No data loaded. Drop files or load the sample.",
    loading: "Loading…",
    loaded_from: |events, files| format!("{events} loaded from {files}"),
    cancelled_loaded: |events, files| {
        format!("Loading cancelled: {events} loaded from {files} (the files read before the cancel)")
    },
    finishing: "finishing…",
    time_left: |t| format!("about {t} left"),
    estimating: "estimating…",
    read_events: |events| format!("{events} read"),
    cancel: "Cancel",
    cancelling: "Cancelling…",
    cancel_title: "Stop loading: files already read stay loaded, the file being read is dropped",
    progress_label: "loading progress",

    filter_placeholder: "Filter: user:alice port:3389 ip:203.0.113.0/24 outcome:failed -event:DescribeInstanceConnectEndpoints (Enter applies)",
    not_applied: "Not applied: ",
    at_character: |message, at| format!("{message} (at character {at})"),
    query_error: |m| m.to_owned(),
    showing: "Showing: ",
    everything: "everything (no filter)",

    stat_events: "events",
    stat_tunnels: "tunnels",
    stat_failed_tunnels: "failed tunnels",
    stat_endpoints: "endpoints",
    stat_principals: "principals",
    stat_source_ips: "source IPs",
    stat_sessions: "sessions",
    stat_findings: "findings",
    accounting: |[r, s, j, l, d, i]| {
        format!("files: {r} read, {s} skipped, {j} rejected · records: {l} loaded, {d} duplicates, {i} invalid")
    },

    findings_title: |k| format!("Findings ({k})"),
    severity: |s| match s {
        "high" => "high",
        "medium" => "medium",
        "low" => "low",
        _ => "info",
    },
    severity_chip_title: |s| format!("show the evidence of the {s} findings"),
    newest_first: "newest first (show most severe first)",
    most_severe_first: "most severe first (show newest first)",
    no_findings: "No findings in this view.",
    evidence_line: |k, first, last| {
        format!("{k} evidence event(s) from {first} to {last}; the timeline and tables below show them. Subject: ")
    },
    subject: "Subject: ",
    finding: "finding",
    rule_settings: "Rule settings",
    changed: |k| format!(" ({k} changed)"),
    settings_help: |rules| format!("One RULE.PARAM=VALUE a line: {}. Rules: {rules}.", TEXTS.params),
    params: "RULE.window (a duration: 10m, 1h), RULE.min (a count), RULE.enabled (true|false), \
new-source-ip.baseline, short-lived-endpoint.max_life, off-hours.offset (+HH:MM), off-hours.start and \
off-hours.end (hours 0-24), unknown-source.allow (CIDRs separated by commas)",
    for_example: "For example: ",
    settings_label: "findings settings",
    apply: "apply",
    rule_about,
    explain,

    sessions_title: |k| format!("Sessions ({k})"),
    gap: "gap ",
    gap_title: "A tunnel joins a session when it starts at most this long after the session's latest possible end (10m, 90s, 1h30m). Enter applies.",
    gap_label: "session gap",
    sessions_hint: "one person's tunnels from one source IP through one endpoint to one target and port, joined while each starts within the gap; click a session to open it",
    no_sessions: "No sessions match.",
    start: |local| if local { "start (local)" } else { "start (UTC)" },
    last_start: "last start",
    latest_end: "latest end",
    latest_end_title: "the latest its tunnels may have lasted",
    principal: "principal",
    source_ip: "source IP",
    endpoint: "endpoint",
    target: "target",
    tunnels: "tunnels",
    failed: "failed",
    instance: "instance",
    session_summary: |id, tunnels, accepted, failed, account, region| {
        format!("Session {id} · {tunnels} tunnel(s), {accepted} accepted, {failed} failed · account {account} · {region}")
    },
    instances_label: "Instances: ",
    not_paired: "not paired",
    os_users_label: " · OS users: ",
    unknown: "unknown",
    tunnels_label: "Tunnels: ",
    session_note: "The tables below show this session's tunnels and the key pushes paired with them; the detail shows what the principal did around the first tunnel.",
    as_user: |instance, user| format!("{instance} as {user}"),
    read_from: "read from",
    read_from_value: |from, lossy| {
        let source = match from {
            "ocsf" => "OCSF (Amazon Security Lake), mapped back",
            "logstash" => "a Logstash-shipped record (eventTime from @timestamp)",
            "console-csv" => "a console Event-history CSV row",
            "query-row" => "an Athena / CloudTrail Lake row",
            "lookup-summary" => "a lookup-events summary",
            other => other,
        };
        if lossy.is_empty() { source.to_owned() } else { format!("{source}; not in it: {}", lossy.join(", ")) }
    },

    previous: "◀ previous",
    next: "next ▶",
    rows_of: |a, b, total| format!("rows {a}–{b} of {total}"),

    timeline: "Timeline",
    lanes_by: "lanes by ",
    grouping: |g| match g {
        "endpoint" => "endpoint",
        "target" => "target",
        "principal" => "principal",
        _ => "source-ip",
    },
    sublabel: |s| s.to_owned(),
    timeline_hint: "wheel or W/S zoom · drag or A/D pan · 0 resets · click selects · a bar per session, a tick per tunnel, zoom in to open sessions into tunnels · bars fade to the latest possible end; hatched = max duration assumed; × = failed (never opened); overlaps stack · strip under the axis: findings",
    timeline_empty: "Load data to see the timeline.",
    canvas_findings: "Findings",
    canvas_endpoints: "Endpoints (create → delete)",
    sessions_by: |g| format!("Sessions by {g}"),
    tunnels_by: |g| format!("Tunnels by {g}"),
    port_n: |p| format!(" port {p}"),
    tip_failed: |label, at| format!("{label}\nfailed attempt (never opened)\nat {at}"),
    tip_accepted: |label, start, end, assumed| {
        format!(
            "{label}\naccepted (not proof of a connection)\nstart {start}\nlatest end {end}{}",
            if assumed { ", max duration assumed" } else { "" }
        )
    },
    event_n: |id| format!("\nevent {id}"),
    tip_lane: |tunnels, failed| format!("\n{tunnels} tunnels ({failed} failed)"),
    tip_stacked: |rows| format!("\noverlapping tunnels stacked in {rows} rows"),
    tip_overdrawn: |k| format!("\n{k} drawn over others (more overlap than rows)"),
    tip_session: session,
    unknown_paren: "(unknown)",

    endpoints_title: |k| format!("Endpoints ({k})"),
    create_requested: |at| format!("create requested {at}"),
    by: |who| format!(" by {who}"),
    created_before: |first| format!("created before the data starts (first seen {first})"),
    created_before_short: "created before the data starts",
    delete_requested: |at| format!("delete requested {at}"),
    not_deleted: |last| format!("not deleted in the data (last seen {last})"),
    not_deleted_short: "not deleted in the data",
    not_in_data: "not in the data",
    modify_requests: |k| format!("{k} modify request(s)"),
    describe_calls: |k| format!("{k} describe call(s)"),
    usage: |tunnels, failed, a, b| format!("{tunnels} ({failed} failed), first {a}, last {b}"),
    no_tunnels: "no tunnels",
    security_groups: "security groups: ",
    ip_address_type: "IP address type: ",
    tunnels_failed: |t, f| format!("\n{t} tunnels ({f} failed)"),
    endpoint_activity: |k| format!("Endpoint activity ({k})"),
    op: |op| match op {
        "create" => "create requested",
        "modify" => "modify requested",
        "delete" => "delete requested",
        "describe" => "describe",
        _ => "",
    },
    change: "change",
    region: "region",
    details: "details",
    no_endpoint_activity: "No endpoint Create, Modify, Delete or Describe events match.",

    tunnels_title: |k| format!("Tunnels ({k})"),
    time: |local| if local { "time (local)" } else { "time (UTC)" },
    target_ip: "target IP",
    port: "port",
    max_duration: "max duration",
    outcome: "outcome",
    accepted: "accepted",
    failed_with: |code| format!("failed: {code}"),
    ambiguous: "ambiguous",
    no_tunnels_match: "No OpenTunnel events match.",
    assumed_short: " (assumed)",
    all_endpoints: "(all)",
    events_title: |k| format!("Events ({k})"),
    eice_only: " EICE-related only",
    event_name: "event name",
    event_source: "event source",
    error: "error",
    filter_by: |key| format!("filter by {key}"),

    selected_event: "Selected event",
    close: "close",
    detail_missing: |id| {
        format!(
            "No loaded event has the ID {id}: the link was made for other files, or the file that holds it is not loaded."
        )
    },
    loading_event: "Loading the event…",
    latest_possible_end: "latest possible end",
    accepted_long: "accepted (authorised; not proof a connection reached the instance)",
    assumed: " (assumed: not in the request, or not a whole number)",
    outside_eice: " (outside what EICE accepts, 1 s to 1 h: the latest end is at most 1 h on)",
    pairing: |p| match p {
        "key-push" => "from a SendSSHPublicKey just before",
        "ip-inventory" => "from instance inventory in the data",
        "ambiguous" => "ambiguous: several candidates",
        _ => "unknown",
    },
    user_agent: "user agent",
    region_account: "region / account",
    event_id: "event ID",
    related_events: "Related events",
    relation: |r| r.to_owned(),
    copy: "copy",
    raw_record: "Raw record",
    no_related: "No related events.",

    histogram_label: "Events over time. Drag, or use the arrow keys, to select a time window (Shift+arrows resize it, + and - zoom, Escape clears).",
    window_is: |a, b| format!("window: {a} → {b}"),
    show_all_time: "show all time",
    window_hint: "Drag across the histogram (or focus it and use the arrow keys) to select a time window.",

    coverage: |accounts, regions, first, last, gaps, changes| {
        format!(
            "Coverage: {accounts} account(s), {regions} Region(s), {first} → {last}, {gaps} gap(s), {changes} trail change(s)"
        )
    },
    accounts: "Accounts: ",
    regions: "Regions: ",
    days_with_events: "Days with events: ",
    events_on_day: |k| format!("{k} events"),
    no_events_on: "No events on: ",
    trail_changes: "Trail changes (logging may have stopped):",
    trail_change: |at, name, who, region| format!("{at} {name} by {who} ({region})"),
    load_report: |files, read, skipped, rejected| {
        format!("Load report: {files}, {read} read, {skipped} skipped, {rejected} rejected")
    },
    file_status: |s| match s {
        "read" => "read",
        "skipped" => "skipped",
        _ => "rejected",
    },
    file_counts: |l, d, i| format!("{l} loaded, {d} duplicates, {i} invalid"),
    show_all_files: |k| format!("show all {k} files"),
    report_text: |s| s.to_owned(),

    export_kind: |k| match k {
        "tunnels-csv" => "tunnels as CSV",
        "tunnels-json" => "tunnels as JSON",
        "events-csv" => "events as CSV",
        "events-json" => "events as JSON",
        "records" => "raw records",
        "sessions-csv" => "sessions as CSV",
        "sessions-json" => "sessions as JSON",
        "findings-csv" => "findings as CSV",
        _ => "findings as JSON",
    },
    exporting: |what| format!("Exporting {what}:"),
    export_of: |what| format!("Export of {what}"),
    export_waiting: "waiting for the engine (a load in progress ends first)…",
    export_cancel_title: "Stop the export: nothing is downloaded",
    mb_of: |a, b| format!("{a} of {b}"),
    export_rows: |done, total, noun| format!("{done} of {total} {noun}"),

    shortcuts: "Shortcuts",
    help_label: "Keyboard shortcuts and query language",
    keys: [
        "focus the filter",
        "this help",
        "close the detail panel / help",
        "zoom the timeline in / out (click it first)",
        "pan the timeline left / right",
        "reset the timeline zoom",
        "UTC / local time",
    ],
    query_language: "Query language",
    query_rules: "Different keys combine with AND, the same key repeated with OR, -term negates. Quote values with spaces.",
    query_help: |_, meaning| meaning,
};
