//! The timeline: the histogram over time, and tunnel lanes (overlapping tunnels packed into
//! sub-rows) grouped by principal, target or endpoint.

use super::*;
use crate::i18n::SessionSaid;

/// How the tunnel timeline groups tunnels into swimlanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grouping {
    /// One lane per endpoint ID.
    #[default]
    Endpoint,
    /// One lane per target private IP.
    Target,
    /// One lane per principal.
    Principal,
    /// One lane per source IP.
    SourceIp,
}

impl Grouping {
    /// Every grouping, in the order the UI offers them.
    pub const ALL: [Grouping; 4] = [Grouping::Endpoint, Grouping::Target, Grouping::Principal, Grouping::SourceIp];

    /// The name used in URLs and serde (`endpoint`, `target`, `principal`, `source-ip`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Endpoint => "endpoint",
            Self::Target => "target",
            Self::Principal => "principal",
            Self::SourceIp => "source-ip",
        }
    }

    /// The grouping with this name (ASCII case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|g| g.as_str().eq_ignore_ascii_case(s))
    }

    /// A label for people (`Endpoint`, `Target IP`, `Principal`, `Source IP`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Endpoint => "Endpoint",
            Self::Target => "Target IP",
            Self::Principal => "Principal",
            Self::SourceIp => "Source IP",
        }
    }
}

/// Events per time bucket over a range, with the failed tunnels among them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Histogram {
    /// Start of the first bucket, UTC epoch milliseconds.
    pub start_ms: i64,
    /// Width of every bucket (at least 1 ms).
    pub bucket_ms: i64,
    /// Matching events per bucket, by event time.
    pub counts: Vec<u32>,
    /// Matching failed tunnels (OpenTunnel with an `errorCode`) per bucket.
    pub failed_tunnels: Vec<u32>,
}

/// [`time_extent`] over any sequence of event indices.
pub(super) fn extent_over(ds: &Dataset, indices: impl Iterator<Item = u32>) -> Option<(i64, i64)> {
    let mut extent: Option<(i64, i64)> = None;
    for e in indices.filter_map(|i| ds.get(i)) {
        let end = e.tunnel().map_or(e.time_ms, |t| latest_end_ms(e.time_ms, t.max_duration_secs).max(e.time_ms));
        extent = Some(match extent {
            None => (e.time_ms, end),
            Some((lo, hi)) => (lo.min(e.time_ms), hi.max(end)),
        });
    }
    extent
}

/// The zeroed buckets of a histogram over an inclusive range.
pub(super) fn empty_histogram(range: (i64, i64), n_buckets: usize) -> Histogram {
    let n = n_buckets.clamp(1, MAX_BUCKETS);
    let (start, end) = (range.0.min(range.1), range.0.max(range.1));
    // Inclusive range: the last instant must land in the last bucket, hence the `+ 1`.
    let span = u128::from(end.abs_diff(start)) + 1;
    let bucket = span.div_ceil(n as u128).clamp(1, i64::MAX as u128) as i64;
    Histogram { start_ms: start, bucket_ms: bucket, counts: vec![0; n], failed_tunnels: vec![0; n] }
}

/// One tunnel drawn on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TunnelMark {
    /// The OpenTunnel `eventID`.
    pub event_id: String,
    /// When the tunnel was accepted (or refused), UTC epoch milliseconds.
    pub start_ms: i64,
    /// Latest possible end (start + max duration); `start_ms` itself for a failed attempt,
    /// which never opened.
    pub end_ms: i64,
    /// True when the call failed (has an `errorCode`).
    pub failed: bool,
    /// True when the max duration was assumed (3600 s), not logged.
    pub assumed: bool,
    /// Remote port.
    pub port: Option<u32>,
    /// The lane's sub-row the mark is drawn in (0 = top): marks whose intervals overlap never
    /// share a sub-row, unless the lane has [`MAX_LANE_ROWS`] of them (see [`Lane::n_overdrawn`]).
    pub row: u32,
    /// Its session's position in [`Lane::sessions`] ([`NO_SESSION`] when none is known).
    pub session: u32,
    /// The event's position in the dataset, for the core's own use (an event ID can name two
    /// events: an ID collision); not sent to the page.
    #[serde(skip)]
    pub index: u32,
}

/// [`TunnelMark::session`] of a tunnel whose session is not known.
pub const NO_SESSION: u32 = u32::MAX;

/// One session drawn on the timeline (contracts.md §7): a bar from its start to its latest
/// end, with a tick per tunnel in the view.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionMark {
    /// The session ID (its first tunnel's event ID).
    pub session_id: String,
    pub start_ms: i64,
    pub last_start_ms: i64,
    /// The latest end of its tunnels' possible intervals.
    pub end_ms: i64,
    /// All its tunnels, and the failed ones among them (whatever the filter).
    pub tunnels: u32,
    pub failed: u32,
    /// The lane's session sub-row (0 = top): sessions that overlap never share one.
    pub row: u32,
    /// What the bar is, for its hover text: "alice → 10.0.2.40:22 via eice-0a1b…, 7 tunnels, …".
    pub title: String,
    /// The same as data, for the page's language.
    #[serde(default)]
    pub said: SessionSaid,
}

/// A lane stacks overlapping tunnels into at most this many sub-rows.
pub const MAX_LANE_ROWS: u32 = 16;

/// One swimlane of the tunnel timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lane {
    /// The grouping value (endpoint ID, target IP, principal ARN or source IP); empty when unknown.
    pub key: String,
    /// The lane's title for people.
    pub label: String,
    /// Extra context: the instance and OS user of a target, the Region of an endpoint; else empty.
    pub sublabel: String,
    /// The lane's tunnels sorted by start (ties by event ID).
    pub marks: Vec<TunnelMark>,
    /// Failed tunnels among the marks.
    pub n_failed: u32,
    /// Sub-rows the marks are stacked into (at least 1; see [`pack_rows`]).
    pub rows: u32,
    /// Marks that found all [`MAX_LANE_ROWS`] sub-rows taken and overlap another mark.
    pub n_overdrawn: u32,
    /// The sessions of its tunnels, by start, stacked into [`Lane::session_rows`] sub-rows.
    pub sessions: Vec<SessionMark>,
    pub session_rows: u32,
}

/// Stacks a lane's marks (sorted by start) into sub-rows by greedy interval packing: each mark
/// takes the first sub-row whose last interval ended before it starts. An accepted tunnel
/// covers `[start, latest end]`; a failed attempt never opened and covers the instant
/// `[start, start]`. Intervals that touch count as overlapping (a start mark drawn on the end
/// of a bar would hide it). With marks sorted by start this uses as few sub-rows as the most
/// marks overlapping at one instant, capped at `max_rows`: past that a mark goes to the sub-row
/// that ended first and is counted as overdrawn. Returns (sub-rows, overdrawn).
pub fn pack_rows(marks: &mut [TunnelMark], max_rows: u32) -> (u32, u32) {
    let max_rows = max_rows.max(1) as usize;
    // The latest end of each sub-row so far.
    let mut ends: Vec<i64> = Vec::new();
    let mut overdrawn = 0u32;
    for m in marks.iter_mut() {
        let end = if m.failed { m.start_ms } else { m.end_ms.max(m.start_ms) };
        let row = match ends.iter().position(|&e| e < m.start_ms) {
            Some(r) => r,
            None if ends.len() < max_rows => {
                ends.push(i64::MIN);
                ends.len() - 1
            }
            None => {
                overdrawn += 1;
                // The sub-row that frees first: the least overlap.
                ends.iter().enumerate().min_by_key(|&(i, &e)| (e, i)).map_or(0, |(i, _)| i)
            }
        };
        ends[row] = ends[row].max(end);
        m.row = row as u32;
    }
    (ends.len().max(1) as u32, overdrawn)
}

/// Where Target lanes learn which instance (and OS user) a tunnel reached.
pub(super) enum PairSource<'p, 'a> {
    Off,
    Live(Pairer<'a>),
    Cached(&'p TunnelPairings),
}

impl<'p, 'a> PairSource<'p, 'a> {
    /// The instance and OS user a tunnel's pairing revealed, if it revealed one.
    fn revealed(&mut self, i: u32, e: EventRef<'a>, t: &TunnelFacts) -> Option<(Cow<'p, str>, Cow<'p, str>)> {
        let (pairing, instance, user) = match self {
            Self::Off => return None,
            Self::Live(p) => {
                let (p, i, u) = p.pair(e, t);
                (p, Cow::Owned(i), Cow::Owned(u))
            }
            Self::Cached(c) => c.get(i).map(|(p, i, u)| (p, Cow::Borrowed(i), Cow::Borrowed(u)))?,
        };
        (matches!(pairing, Pairing::KeyPush | Pairing::IpInventory) && !instance.is_empty()).then_some((instance, user))
    }
}

pub(super) fn lanes_from<'a>(
    ds: &'a Dataset,
    indices: &[u32],
    grouping: Grouping,
    pairs: PairSource<'_, 'a>,
) -> Vec<Lane> {
    let mut slot = Ids::default();
    let mut groups: Vec<(&str, Vec<SortKey>)> = Vec::new();
    for &i in indices {
        let Some(e) = ds.full_event(i) else { continue };
        let Some(t) = e.tunnel() else { continue };
        let key = match grouping {
            Grouping::Endpoint => t.endpoint_id.as_str(),
            Grouping::Target => t.private_ip.as_str(),
            Grouping::Principal => principal_key(&e),
            Grouping::SourceIp => e.source_ip,
        };
        let k = slot.id(key);
        if k == groups.len() {
            groups.push((key, Vec::new()));
        }
        groups[k].1.push((e.time_ms, i));
    }
    build_lanes(ds, groups, grouping, pairs)
}

/// Lanes from tunnels already grouped by key, as (time, index) pairs.
pub(super) fn build_lanes<'a>(
    ds: &'a Dataset,
    mut groups: Vec<(&str, Vec<SortKey>)>,
    grouping: Grouping,
    mut pairs: PairSource<'_, 'a>,
) -> Vec<Lane> {
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    groups
        .into_iter()
        .map(|(key, mut members)| {
            members.sort_unstable_by(key_order(ds, SortOrder::TimeAsc));
            let mut marks = Vec::with_capacity(members.len());
            let mut n_failed = 0u32;
            // For Target lanes: instance -> OS users revealed by pairing.
            let mut revealed: BTreeMap<Cow<'_, str>, BTreeSet<Cow<'_, str>>> = BTreeMap::new();
            let mut regions: Vec<&str> = Vec::new();
            for &(_, i) in &members {
                let Some(e) = ds.full_event(i) else { continue };
                let Some(t) = e.tunnel() else { continue };
                n_failed += u32::from(e.is_failed());
                marks.push(mark(&e, t));
                if let Some((instance, user)) = pairs.revealed(i, e, t) {
                    let users = revealed.entry(instance).or_default();
                    if !user.is_empty() {
                        users.insert(user);
                    }
                }
                if grouping == Grouping::Endpoint && !e.region.is_empty() && !regions.contains(&e.region) {
                    regions.push(e.region);
                }
            }
            let first = members.first().and_then(|&(_, i)| ds.full_event(i));
            let label = match grouping {
                _ if key.is_empty() => "(unknown)".to_owned(),
                Grouping::Principal => {
                    first.map(|e| if e.principal.is_empty() { key } else { e.principal }).unwrap_or(key).to_owned()
                }
                _ => key.to_owned(),
            };
            let sublabel = match grouping {
                Grouping::Target => target_sublabel(&revealed),
                Grouping::Endpoint => regions.join(", "),
                Grouping::Principal | Grouping::SourceIp => String::new(),
            };
            let (rows, n_overdrawn) = pack_rows(&mut marks, MAX_LANE_ROWS);
            Lane { key: key.to_owned(), label, sublabel, marks, n_failed, rows, n_overdrawn, ..Lane::default() }
        })
        .collect()
}

pub(super) fn mark(e: &EventRef<'_>, t: &TunnelFacts) -> TunnelMark {
    let failed = e.is_failed();
    TunnelMark {
        event_id: e.event_id.to_string(),
        start_ms: e.time_ms,
        end_ms: if failed { e.time_ms } else { latest_end_ms(e.time_ms, t.max_duration_secs) },
        failed,
        assumed: t.max_duration_assumed,
        port: t.port,
        row: 0,
        index: e.index,
        session: NO_SESSION,
    }
}

/// Gives every lane the sessions of its tunnels (each session falls in one lane: its key holds
/// every grouping's value), stacked into sub-rows as tunnels are, and links each mark to its
/// session.
pub fn attach_sessions(ds: &Dataset, insight: &Insight, lanes: &mut [Lane]) {
    for lane in lanes {
        let mut of_session: HashMap<u32, u32> = HashMap::new();
        let mut sessions: Vec<(u32, SessionMark)> = Vec::new();
        for m in &mut lane.marks {
            let Some(s) = insight.session_of(m.index) else { continue };
            m.session = *of_session.entry(s).or_insert_with(|| {
                sessions.push((s, session_mark(ds, insight, s)));
                (sessions.len() - 1) as u32
            });
        }
        // Sessions by start (then ID), the marks' links renumbered to match.
        let mut by_start: Vec<u32> = (0..sessions.len() as u32).collect();
        by_start.sort_by(|&a, &b| {
            let (x, y) = (&sessions[a as usize].1, &sessions[b as usize].1);
            (x.start_ms, &x.session_id).cmp(&(y.start_ms, &y.session_id))
        });
        let mut new_at = vec![0u32; sessions.len()];
        for (to, &from) in by_start.iter().enumerate() {
            new_at[from as usize] = to as u32;
        }
        for m in &mut lane.marks {
            if m.session != NO_SESSION {
                m.session = new_at[m.session as usize];
            }
        }
        let mut marks: Vec<SessionMark> = by_start.iter().map(|&k| sessions[k as usize].1.clone()).collect();
        lane.session_rows = pack_sessions(&mut marks, MAX_LANE_ROWS);
        lane.sessions = marks;
    }
}

/// Stacks sessions (sorted by start) into sub-rows as [`pack_rows`] does tunnels.
fn pack_sessions(sessions: &mut [SessionMark], max_rows: u32) -> u32 {
    let mut ends: Vec<i64> = Vec::new();
    for s in sessions.iter_mut() {
        let row = match ends.iter().position(|&e| e < s.start_ms) {
            Some(r) => r,
            None if ends.len() < max_rows.max(1) as usize => {
                ends.push(i64::MIN);
                ends.len() - 1
            }
            None => ends.iter().enumerate().min_by_key(|&(i, &e)| (e, i)).map_or(0, |(i, _)| i),
        };
        ends[row] = ends[row].max(s.end_ms.max(s.start_ms));
        s.row = row as u32;
    }
    ends.len().max(1) as u32
}

/// Session `s` as its bar: times, counts and the hover text.
fn session_mark(ds: &Dataset, insight: &Insight, s: u32) -> SessionMark {
    let session = insight.sessions()[s as usize];
    let first = insight.tunnels_of(s).next().and_then(|i| ds.full_event(i));
    let mut said = SessionSaid::default();
    let (id, title) = match first.as_ref().and_then(|e| Some((e, e.tunnel()?))) {
        Some((e, t)) => {
            let who = if e.principal.is_empty() { "(unknown)" } else { e.principal };
            let target = match t.port {
                Some(p) if t.private_ip.contains(':') => format!("[{}]:{p}", t.private_ip),
                Some(p) => format!("{}:{p}", t.private_ip),
                None => t.private_ip.clone(),
            };
            let mut title = format!("{who} → {target} via {}", t.endpoint_id);
            title.push_str(&format!(", {}", plural(session.tunnels, "tunnel")));
            if session.failed > 0 {
                title.push_str(&format!(" ({} failed)", session.failed));
            }
            title.push_str(&format!(", {}", clock_span(session.start_ms, session.last_start_ms)));
            if session.accepted > 0 {
                title.push_str(&format!(", may have lasted until {}", clock(session.latest_end_ms, session.start_ms)));
            } else {
                title.push_str(", never opened");
            }
            said = SessionSaid {
                who: e.principal.to_owned(),
                target: target.clone(),
                endpoint: t.endpoint_id.clone(),
                tunnels: session.tunnels,
                failed: session.failed,
                span: clock_span(session.start_ms, session.last_start_ms).trim_end_matches(" UTC").to_owned(),
                until: (session.accepted > 0).then(|| clock(session.latest_end_ms, session.start_ms)),
            };
            (e.event_id.to_string(), title)
        }
        None => (String::new(), String::new()),
    };
    SessionMark {
        session_id: id,
        start_ms: session.start_ms,
        last_start_ms: session.last_start_ms,
        end_ms: session.latest_end_ms,
        tunnels: session.tunnels,
        failed: session.failed,
        row: 0,
        title,
        said,
    }
}

fn plural(n: u32, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// `2026-10-01 08:46–12:30 UTC` (the date again when the span crosses midnight).
fn clock_span(from_ms: i64, to_ms: i64) -> String {
    let from = format_rfc3339(from_ms);
    let day = from.get(..10).unwrap_or_default();
    let hm = from.get(11..16).unwrap_or_default();
    if to_ms == from_ms {
        return format!("{day} {hm} UTC");
    }
    format!("{day} {hm}–{} UTC", clock(to_ms, from_ms))
}

/// `13:30`, or `2026-10-02 13:30` when not on the day of `day_of_ms`.
fn clock(ms: i64, day_of_ms: i64) -> String {
    let (t, d) = (format_rfc3339(ms), format_rfc3339(day_of_ms));
    if t.get(..10) == d.get(..10) {
        t.get(11..16).unwrap_or_default().to_owned()
    } else {
        t.replace('T', " ").get(..16).unwrap_or_default().to_owned()
    }
}

/// `i-0abc as ec2-user/ubuntu, i-0def`, at most three instances then `+N more`.
pub(super) fn target_sublabel(revealed: &BTreeMap<Cow<'_, str>, BTreeSet<Cow<'_, str>>>) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = revealed
        .iter()
        .take(SHOWN)
        .map(|(instance, users)| {
            if users.is_empty() {
                instance.to_string()
            } else {
                let users: Vec<&str> = users.iter().map(|u| u.as_ref()).collect();
                format!("{instance} as {}", users.join("/"))
            }
        })
        .collect();
    if revealed.len() > SHOWN {
        parts.push(format!("+{} more", revealed.len() - SHOWN));
    }
    parts.join(", ")
}

/// Sorts lanes by how many tunnels they hold (most first), then by key; for "busiest first" views.
pub fn sort_lanes_by_size(lanes: &mut [Lane]) {
    lanes.sort_by(|a, b| (Reverse(a.marks.len()), &a.key).cmp(&(Reverse(b.marks.len()), &b.key)));
}
