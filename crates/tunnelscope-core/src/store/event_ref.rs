//! EventRef: one stored event read from the columns (and its facts and raw JSON when kept), and
//! the row of an owned Event or of a parser row.

use super::*;

/// One loaded event, borrowed from the store: the same fields as [`Event`], as text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventRef<'a> {
    /// Its position in the dataset.
    pub index: u32,
    /// `eventID`, or `content:<hash>`.
    pub event_id: EventId<'a>,
    /// Event time, UTC epoch milliseconds.
    pub time_ms: i64,
    /// `eventName`.
    pub event_name: &'a str,
    /// `eventSource`.
    pub event_source: &'a str,
    /// `awsRegion`.
    pub region: &'a str,
    /// Account.
    pub account: &'a str,
    /// Principal key (ARN).
    pub principal_arn: &'a str,
    /// Principal display name.
    pub principal: &'a str,
    /// `sourceIPAddress`.
    pub source_ip: &'a str,
    /// `userAgent`.
    pub user_agent: &'a str,
    /// `errorCode`.
    pub error_code: &'a str,
    /// `errorMessage`.
    pub error_message: &'a str,
    /// How complete the record is.
    pub fidelity: Fidelity,
    /// EICE facts, when EICE-related.
    pub eice: Option<&'a EiceFacts>,
    /// The raw record; empty when the compact dataset dropped it (see `span`).
    pub raw: &'a str,
    /// Where the raw record lies in its file's content.
    pub span: Option<RawSpan>,
    /// True for tunnels, endpoint activity, key pushes and inventory events.
    pub is_eice: bool,
    pub(super) lossy: bool,
}

impl<'a> EventRef<'a> {
    /// The tunnel facts, when this event is an `OpenTunnel`.
    pub fn tunnel(&self) -> Option<&'a TunnelFacts> {
        match self.eice {
            Some(EiceFacts::Tunnel(t)) => Some(t),
            _ => None,
        }
    }

    /// The endpoint facts, when this event is endpoint activity.
    pub fn endpoint_activity(&self) -> Option<&'a EndpointFacts> {
        match self.eice {
            Some(EiceFacts::Endpoint(e)) => Some(e),
            _ => None,
        }
    }

    /// The key push, when this event is a `SendSSHPublicKey`.
    pub fn key_push(&self) -> Option<&'a KeyPushFacts> {
        match self.eice {
            Some(EiceFacts::KeyPush(k)) => Some(k),
            _ => None,
        }
    }

    /// As [`Event::is_lossy`].
    pub fn is_lossy(&self) -> bool {
        self.lossy
    }

    /// True when the call failed (has an `errorCode`).
    pub fn is_failed(&self) -> bool {
        !self.error_code.is_empty()
    }

    /// Endpoint IDs this event names (tunnel or endpoint activity).
    pub fn endpoint_ids(&self) -> Vec<&'a str> {
        match self.eice {
            Some(EiceFacts::Tunnel(t)) if !t.endpoint_id.is_empty() => vec![t.endpoint_id.as_str()],
            Some(EiceFacts::Endpoint(e)) => e.endpoint_ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The principal's key: ARN (or principal ID), else the display name for rows without one.
    pub fn principal_key(&self) -> &'a str {
        if self.principal_arn.is_empty() { self.principal } else { self.principal_arn }
    }

    /// An owned copy (raw as held: empty when dropped).
    pub fn to_event(&self) -> Event {
        Event {
            event_id: self.event_id.to_string(),
            time_ms: self.time_ms,
            event_name: self.event_name.to_owned(),
            event_source: self.event_source.to_owned(),
            region: self.region.to_owned(),
            account: self.account.to_owned(),
            principal_arn: self.principal_arn.to_owned(),
            principal: self.principal.to_owned(),
            source_ip: self.source_ip.to_owned(),
            user_agent: self.user_agent.to_owned(),
            error_code: self.error_code.to_owned(),
            error_message: self.error_message.to_owned(),
            fidelity: self.fidelity,
            eice: self.eice.cloned(),
            raw: self.raw.to_owned(),
            span: self.span,
        }
    }
}

impl Event {
    /// True when a compact dataset may let go of this event's raw text: it has a span to read
    /// it again by, it is not EICE-related, and nothing is derived from the text later (a full
    /// or wrapped record; a reloaded query row's lossiness is read from its text).
    pub fn raw_is_droppable(&self) -> bool {
        self.span.is_some() && self.fidelity >= Fidelity::Wrapped && !crate::eice::is_eice_relevant(self)
    }

    /// This event borrowed as an [`EventRef`] (not in any dataset: `index` is `u32::MAX`).
    pub fn view(&self) -> EventRef<'_> {
        EventRef {
            index: u32::MAX,
            event_id: EventId::text(&self.event_id),
            time_ms: self.time_ms,
            event_name: &self.event_name,
            event_source: &self.event_source,
            region: &self.region,
            account: &self.account,
            principal_arn: &self.principal_arn,
            principal: &self.principal,
            source_ip: &self.source_ip,
            user_agent: &self.user_agent,
            error_code: &self.error_code,
            error_message: &self.error_message,
            fidelity: self.fidelity,
            eice: self.eice.as_ref(),
            raw: &self.raw,
            span: self.span,
            is_eice: crate::eice::is_eice_relevant(self),
            lossy: self.is_lossy(),
        }
    }
}

pub(super) fn strings_of(e: &Event) -> [&str; N_STR] {
    [
        &e.event_name,
        &e.event_source,
        &e.region,
        &e.account,
        &e.principal_arn,
        &e.principal,
        &e.source_ip,
        &e.user_agent,
        &e.error_code,
        &e.error_message,
    ]
}

/// Row `i` of a set of columns as an [`EventRef`]: `text(c)` is the row's text of column `c`.
#[allow(clippy::too_many_arguments)] // a row's columns, one argument each
pub(super) fn row_ref<'a>(
    i: usize,
    event_id: EventId<'a>,
    time_ms: i64,
    text: impl Fn(usize) -> &'a str,
    bits: u8,
    eice: Option<&'a EiceFacts>,
    raw: &'a str,
    span: u64,
) -> EventRef<'a> {
    EventRef {
        index: u32::try_from(i).unwrap_or(NONE),
        event_id,
        time_ms,
        event_name: text(col::NAME),
        event_source: text(col::SOURCE),
        region: text(col::REGION),
        account: text(col::ACCOUNT),
        principal_arn: text(col::ARN),
        principal: text(col::PRINCIPAL),
        source_ip: text(col::SOURCE_IP),
        user_agent: text(col::AGENT),
        error_code: text(col::ERROR),
        error_message: text(col::MESSAGE),
        fidelity: fidelity_of(bits),
        eice,
        raw,
        span: unpack_span(span),
        is_eice: bits & B_EICE != 0,
        lossy: bits & B_LOSSY != 0,
    }
}

impl Rows {
    /// Row `j` as an owned event (its raw JSON empty: it is read again by its span).
    pub fn event(&self, j: usize) -> Event {
        let text = |c| self.text(c, j);
        row_ref(j, self.id_at(j), self.time[j], text, self.bits[j], None, "", self.span[j]).to_event()
    }

    /// Every row as (record position, owned event), in row order.
    pub fn events(&self) -> impl Iterator<Item = (u32, Event)> + '_ {
        (0..self.len()).map(|j| (self.record[j], self.event(j)))
    }
}

impl PartialEq for Rows {
    /// The same events at the same positions (dictionary ids may differ).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.events().eq(other.events())
    }
}
