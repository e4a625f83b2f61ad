//! `vftop dump`: a recording as rows (CSV, JSON Lines) or as OpenMetrics with timestamps for
//! `promtool tsdb create-blocks-from openmetrics`, one shard at a time.

use super::frame::Frame;
use super::store::Store;
use crate::metrics::rate::FunctionRates;
use crate::metrics::reading::Reading;
use crate::model::event::Event;
use crate::model::{Pf, Snapshot, Vf};
use crate::times::{format_ms, rfc3339_ms};
use std::io::Write;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    /// One JSON object per line (JSON Lines): samples, then events with `"type": "event"`.
    Json,
    /// The exporter's metric families with timestamps, ending in `# EOF`.
    Openmetrics,
}

/// Every field a row can have, in the default order.
pub const FIELDS: &[&str] = &[
    "time",
    "pf",
    "vf",
    "partition",
    "owner",
    "tx_bps",
    "rx_bps",
    "tx_pps",
    "rx_pps",
    "drops_per_sec",
    "tx_bytes",
    "rx_bytes",
    "tx_packets",
    "rx_packets",
    "tx_dropped",
    "rx_dropped",
    "tx_errors",
    "min_mbps",
    "max_mbps",
    "link_state",
    "vlan",
    "mac",
    "link_mbps",
    "origin",
    "events",
];

/// A `--fields` name that is not a column of the dump; the message lists the columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown field '{}'; fields: {}", .0, FIELDS.join(","))]
pub struct UnknownField(pub String);

/// What to dump.
#[derive(Clone, Debug)]
pub struct Request {
    pub window: super::Window,
    pub format: Format,
    pub fields: Vec<String>,
    /// Only the events, not the samples.
    pub events_only: bool,
}

impl Request {
    /// Checks the field names: an unknown one is an error that lists the known ones.
    pub fn parse_fields(text: Option<&str>) -> Result<Vec<String>, UnknownField> {
        let Some(text) = text else { return Ok(FIELDS.iter().map(|f| f.to_string()).collect()) };
        let fields: Vec<String> =
            text.split(',').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect();
        if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
            return Err(UnknownField(bad.clone()));
        }
        Ok(fields)
    }

    fn wants(&self, pf: &str, vf: Option<u32>) -> bool {
        self.window.wants(pf, vf)
    }
}

/// What a dump wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub rows: u64,
    pub events: u64,
    pub warnings: Vec<String>,
}

/// Writes the dump; damage in the store is skipped and returned as warnings.
pub fn dump(store: &Store, req: &Request, out: &mut dyn Write) -> std::io::Result<Summary> {
    let (events, bad) = super::events::read(store.dir(), req.window.from_ms, req.window.to_ms);
    let events: Vec<Event> = events.into_iter().filter(|e| req.wants(&e.pf, e.vf)).collect();
    let mut summary = Summary { events: events.len() as u64, ..Summary::default() };
    if bad > 0 {
        summary.warnings.push(format!("{bad} unreadable line(s) in the events journal"));
    }
    if req.events_only {
        write_events(req, &events, out)?;
        return Ok(summary);
    }
    match req.format {
        Format::Openmetrics => openmetrics(store, req, out, &mut summary)?,
        Format::Csv | Format::Json => rows(store, req, &events, out, &mut summary)?,
    }
    Ok(summary)
}

/// Samples before `from` that give the first row its rates.
const LOOK_BACK_MS: i64 = 60_000;

fn rows(
    store: &Store,
    req: &Request,
    events: &[Event],
    out: &mut dyn Write,
    summary: &mut Summary,
) -> std::io::Result<()> {
    let mut sink = match req.format {
        Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
        _ => Sink::Lines(out),
    };
    sink.csv(req.fields.iter().map(String::as_str))?;
    let keep = move |pf: &str, vf: Option<u32>| req.wants(pf, vf);
    let mut previous: Option<Snapshot> = None;
    let mut result = Ok(());
    let warnings =
        store.visit((req.window.from_ms - LOOK_BACK_MS, req.window.to_ms), &keep, &mut |frame: Frame| {
            if result.is_err() {
                return;
            }
            let at_ms = frame.at_ms;
            let since = previous.as_ref().map_or(i64::MIN, |p| p.taken_at.as_millis() as i64);
            if at_ms >= req.window.from_ms {
                result = write_rows(
                    req,
                    &frame.snapshot,
                    previous.as_ref(),
                    (since, at_ms),
                    events,
                    &mut sink,
                    summary,
                );
            }
            previous = Some(frame.snapshot);
        });
    summary.warnings.extend(warnings);
    result.and_then(|()| sink.flush())
}

/// Where rows go: CSV through the csv crate (quoting every field that needs it, `\r` too),
/// or one JSON document a line.
enum Sink<'a> {
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
    Lines(&'a mut dyn Write),
}

impl Sink<'_> {
    /// One CSV record (nothing in JSON Lines).
    fn csv<'f>(&mut self, fields: impl IntoIterator<Item = &'f str>) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.write_record(fields).map_err(std::io::Error::other),
            Sink::Lines(_) => Ok(()),
        }
    }

    /// One VF in one sample, its `fields`: a CSV record, or a JSON object on a line.
    fn row(&mut self, fields: &[String], row: &Row) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => {
                w.write_record(fields.iter().map(|f| row.field(f))).map_err(std::io::Error::other)
            }
            Sink::Lines(out) => {
                let object: serde_json::Map<String, serde_json::Value> =
                    fields.iter().map(|f| (f.clone(), row.json(f))).collect();
                writeln!(out, "{}", serde_json::Value::Object(object))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.flush(),
            Sink::Lines(out) => out.flush(),
        }
    }
}

fn write_rows(
    req: &Request,
    now: &Snapshot,
    before: Option<&Snapshot>,
    (since, at_ms): (i64, i64),
    events: &[Event],
    sink: &mut Sink,
    summary: &mut Summary,
) -> std::io::Result<()> {
    // The first sample of a recorder's run has no rate, even with an older sample before it
    // (of the run before a restart, across the gap).
    let restarted = crate::model::event::recorder_restarted(events, since, at_ms);
    let reading = Reading::new(before.filter(|_| !restarted), now);
    for pf in &now.pfs {
        for vf in &pf.vfs {
            let r = reading.rates(&pf.name, vf.index);
            let happened: Vec<String> = events
                .iter()
                .filter(|e| e.at_ms > since && e.at_ms <= at_ms && e.pf == pf.name && e.vf == Some(vf.index))
                .map(Event::label)
                .collect();
            let row = Row { at_ms, pf, vf, rates: &r, events: happened.join("; ") };
            sink.row(&req.fields, &row)?;
            summary.rows += 1;
        }
    }
    Ok(())
}

/// One VF in one sample.
struct Row<'a> {
    at_ms: i64,
    pf: &'a Pf,
    vf: &'a Vf,
    rates: &'a FunctionRates,
    events: String,
}

impl Row<'_> {
    fn field(&self, name: &str) -> String {
        let (c, vf) = (&self.vf.counters, self.vf);
        let rate_field = matches!(name, "tx_bps" | "rx_bps" | "tx_pps" | "rx_pps" | "drops_per_sec");
        if rate_field && !self.rates.measured() {
            return String::new(); // no earlier reading: no rate (not zero)
        }
        match name {
            "time" => rfc3339_ms(self.at_ms),
            "pf" => self.pf.name.clone(),
            "vf" => vf.index.to_string(),
            "partition" => vf.partition.clone().unwrap_or_default(),
            "owner" => vf.owner.as_ref().map(|o| o.label()).unwrap_or_default(),
            "tx_bps" => format!("{:.0}", self.rates.tx.0),
            "rx_bps" => format!("{:.0}", self.rates.rx.0),
            "tx_pps" => format!("{:.1}", self.rates.tx_pps),
            "rx_pps" => format!("{:.1}", self.rates.rx_pps),
            "drops_per_sec" => format!("{:.1}", self.rates.drops_per_sec),
            "tx_bytes" => c.tx_bytes.to_string(),
            "rx_bytes" => c.rx_bytes.to_string(),
            "tx_packets" => c.tx_packets.to_string(),
            "rx_packets" => c.rx_packets.to_string(),
            "tx_dropped" => c.tx_dropped.to_string(),
            "rx_dropped" => c.rx_dropped.to_string(),
            // Empty where nothing counts them (a VF in a VM, a recording made before them).
            "tx_errors" => c.tx_errors.map(|e| e.to_string()).unwrap_or_default(),
            "min_mbps" => vf.rate.min.0.to_string(),
            "max_mbps" => vf.rate.max.0.to_string(),
            "link_state" => vf.link_state.label().to_string(),
            "vlan" => vf.vlan.to_string(),
            "mac" => vf.mac.to_string(),
            "link_mbps" => self.pf.link_speed.map(|l| l.0.to_string()).unwrap_or_default(),
            "origin" => c.origin.label().to_string(),
            "events" => self.events.clone(),
            _ => String::new(),
        }
    }

    /// Numbers as JSON numbers, the rest as strings.
    fn json(&self, name: &str) -> serde_json::Value {
        let text = self.field(name);
        let numeric = !matches!(
            name,
            "time" | "pf" | "partition" | "owner" | "link_state" | "mac" | "origin" | "events"
        );
        if numeric && text.is_empty() {
            return serde_json::Value::Null;
        }
        if !numeric {
            return serde_json::Value::String(text);
        }
        match (text.parse::<u64>(), text.parse::<f64>()) {
            (Ok(n), _) => serde_json::json!(n),
            (_, Ok(x)) => serde_json::json!(x),
            _ => serde_json::Value::String(text),
        }
    }
}

fn write_events(req: &Request, events: &[Event], out: &mut dyn Write) -> std::io::Result<()> {
    match req.format {
        Format::Csv => {
            let mut sink = Sink::Csv(Box::new(csv::Writer::from_writer(out)));
            sink.csv(["time", "pf", "vf", "partition", "event", "detail"])?;
            for e in events {
                let kind =
                    serde_json::to_value(&e.kind).ok().and_then(|v| v["event"].as_str().map(str::to_string));
                let cells = [
                    rfc3339_ms(e.at_ms),
                    e.pf.clone(),
                    e.vf.map(|v| v.to_string()).unwrap_or_default(),
                    e.partition.clone().unwrap_or_default(),
                    kind.unwrap_or_default(),
                    e.label(),
                ];
                sink.csv(cells.iter().map(String::as_str))?;
            }
            sink.flush()?;
        }
        Format::Json | Format::Openmetrics => {
            for e in events {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                v["type"] = "event".into();
                v["time"] = rfc3339_ms(e.at_ms).into();
                v["label"] = e.label().into();
                writeln!(out, "{v}")?;
            }
        }
    }
    Ok(())
}

/// The exporter's families of every sample, each family once, each sample with its time (the
/// families that describe the recorder's process left out): a backfill for promtool.
fn openmetrics(
    store: &Store,
    req: &Request,
    out: &mut dyn Write,
    summary: &mut Summary,
) -> std::io::Result<()> {
    let mut exporter = crate::export::Exporter::new(crate::model::RoleMap::default(), false);
    let mut backfill = crate::export::Backfill::default();
    let keep = move |pf: &str, vf: Option<u32>| req.wants(pf, vf);
    let warnings = store.visit((req.window.from_ms, req.window.to_ms), &keep, &mut |frame: Frame| {
        exporter.backfill(frame.snapshot, frame.at_ms, &mut backfill);
        summary.rows += 1;
    });
    summary.warnings.extend(warnings);
    backfill.write_to(out)
}

/// `2026-11-25 03:00:00 → 2026-11-25 04:00:00`: for messages.
pub fn describe_range(from_ms: i64, to_ms: i64) -> String {
    format!("{} → {}", format_ms(from_ms), format_ms(to_ms))
}

#[cfg(test)]
mod tests {
    use super::Sink;

    #[test]
    fn csv_fields_are_quoted_where_they_need_it_carriage_returns_too() {
        let mut out = Vec::new();
        let mut sink = Sink::Csv(Box::new(csv::Writer::from_writer(&mut out as &mut dyn std::io::Write)));
        sink.csv(["plain", "a,b", "x\ry", "say \"hi\"", "", "two\nlines"]).unwrap();
        sink.flush().unwrap();
        drop(sink);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"x\ry\",\"say \"\"hi\"\"\",,\"two\nlines\"\n"
        );
    }
}
