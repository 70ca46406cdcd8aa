//! Results as rows: the stdout table, the JSON document and the markdown table.

use std::fmt::Write as _;

use serde::Serialize;

use crate::harness::{median, Kind, Measured, NotApplicable, FLOOR};

/// One implementation in one scenario: the JSON schema's `results[]` entry.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Topology, mode and payload (`spsc/threads/u64`).
    pub scenario: String,
    /// `zerocast`, `zerocast-<variant>`, or the peer's crate name.
    pub implementation: String,
    /// Median ns/message over the timing rounds (mean latency for latency rows).
    pub ns_per_msg: f64,
    /// Fastest timing round.
    pub ns_per_msg_min: f64,
    /// Slowest timing round.
    pub ns_per_msg_max: f64,
    /// 1e9 / `ns_per_msg`.
    pub msgs_per_sec: f64,
    /// Allocations (alloc + realloc) per message in the B0 round.
    pub allocs_per_msg: f64,
    /// Bytes requested per message in the B0 round.
    pub bytes_per_msg: f64,
    /// Latency percentiles over all timing rounds (latency rows only).
    pub p50_ns: Option<f64>,
    /// 99th percentile.
    pub p99_ns: Option<f64>,
    /// 99.9th percentile.
    pub p999_ns: Option<f64>,
    /// The slowest message over all timing rounds (latency rows only).
    pub max_ns: Option<f64>,
    /// Median of the per-round ratios: to the fastest peer (throughput rows),
    /// of p50 to the floor (latency rows of scenarios with a floor), or of p50
    /// to the fastest peer's p50 (other latency rows).
    pub ratio: Option<f64>,
}

/// A whole run: the JSON document.
#[derive(Debug, Serialize)]
pub struct Report {
    /// CPU model, cores and OS.
    pub machine: String,
    /// `rustc --version` of the build.
    pub rustc: String,
    /// The commit measured (`+dirty` with uncommitted changes).
    pub commit: String,
    /// Timing rounds per scenario.
    pub runs: usize,
    /// One row per implementation and scenario.
    pub results: Vec<Row>,
    /// The implementations that cannot do a scenario, and why.
    pub not_applicable: Vec<NotApplicableRow>,
}

/// An "n/a" entry of the report.
#[derive(Clone, Debug, Serialize)]
pub struct NotApplicableRow {
    /// The scenario.
    pub scenario: String,
    /// The implementation.
    pub implementation: String,
    /// Why it cannot take part.
    pub reason: String,
}

impl From<&NotApplicable> for NotApplicableRow {
    fn from(n: &NotApplicable) -> Self {
        NotApplicableRow {
            scenario: n.scenario.to_owned(),
            implementation: n.implementation.to_owned(),
            reason: n.reason.to_owned(),
        }
    }
}

/// The row of one measured implementation. The floor of a latency scenario is
/// reported as its own scenario (`latency/floor` for one-way,
/// `latency/floor/roundtrip`), implemented with `std` atomics.
pub fn row(kind: Kind, m: &Measured) -> Row {
    let ns = if m.ns_per_msg.is_empty() {
        f64::NAN
    } else {
        median(&m.ns_per_msg)
    };
    let min = m.ns_per_msg.iter().copied().fold(f64::INFINITY, f64::min);
    let max = m
        .ns_per_msg
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let per = |v: u64| v as f64 / m.b0_messages.max(1) as f64;
    let q = |q: f64| m.latency.as_ref().map(|h| h.value_at_quantile(q) as f64);
    let (scenario, implementation) = if kind == Kind::Latency && m.implementation == FLOOR {
        let floor = if m.scenario.contains("roundtrip") {
            "latency/floor/roundtrip"
        } else {
            "latency/floor"
        };
        (floor.to_owned(), "std".to_owned())
    } else {
        (m.scenario.to_owned(), m.implementation.to_owned())
    };
    let ratio = if m.ratios.is_empty() || (kind == Kind::Latency && m.implementation == FLOOR) {
        None
    } else {
        Some(median(&m.ratios))
    };
    Row {
        scenario,
        implementation,
        ns_per_msg: ns,
        ns_per_msg_min: if min.is_finite() { min } else { f64::NAN },
        ns_per_msg_max: if max.is_finite() { max } else { f64::NAN },
        msgs_per_sec: 1e9 / ns,
        allocs_per_msg: per(m.allocs.allocations()),
        bytes_per_msg: per(m.allocs.bytes),
        p50_ns: q(0.5),
        p99_ns: q(0.99),
        p999_ns: q(0.999),
        max_ns: m.latency.as_ref().map(|h| h.max() as f64),
        ratio,
    }
}

fn num(v: f64) -> String {
    if !v.is_finite() {
        "-".to_owned()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), num)
}

fn ratio(r: &Row) -> String {
    match r.ratio {
        None => "-".to_owned(),
        Some(x) if r.p50_ns.is_some() && r.scenario.starts_with("latency/") => {
            format!("{x:.2}x floor")
        }
        Some(x) if r.p50_ns.is_some() => format!("{x:.2}x p50"),
        Some(x) => format!("{x:.2}x"),
    }
}

const HEADERS: [&str; COLUMNS] = [
    "scenario",
    "implementation",
    "ns/msg",
    "min-max",
    "allocs/msg",
    "bytes/msg",
    "p50 ns",
    "p99 ns",
    "p99.9 ns",
    "max ns",
    "ratio / note",
];

/// Columns of the text and markdown tables.
const COLUMNS: usize = 11;
/// The last column: the ratio, or the reason of an n/a row.
const NOTE: usize = COLUMNS - 1;

fn cells(r: &Row) -> [String; COLUMNS] {
    [
        r.scenario.clone(),
        r.implementation.clone(),
        num(r.ns_per_msg),
        format!("{}-{}", num(r.ns_per_msg_min), num(r.ns_per_msg_max)),
        format!("{:.3}", r.allocs_per_msg),
        format!("{:.1}", r.bytes_per_msg),
        opt(r.p50_ns),
        opt(r.p99_ns),
        opt(r.p999_ns),
        opt(r.max_ns),
        ratio(r),
    ]
}

fn na_cells(n: &NotApplicableRow) -> [String; COLUMNS] {
    let mut c: [String; COLUMNS] = Default::default();
    c[0] = n.scenario.clone();
    c[1] = n.implementation.clone();
    c[2] = "n/a".to_owned();
    c[NOTE] = n.reason.clone();
    c
}

fn all_cells(report: &Report) -> Vec<[String; COLUMNS]> {
    let mut rows: Vec<[String; COLUMNS]> = report.results.iter().map(cells).collect();
    rows.extend(report.not_applicable.iter().map(na_cells));
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    rows
}

/// The report as an aligned text table (n/a rows included, with the reason).
pub fn table(report: &Report) -> String {
    let rows = all_cells(report);
    let mut widths = HEADERS.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i < 2 || i == 3 || i == NOTE {
                let _ = write!(out, "{c:<w$}  ");
            } else {
                let _ = write!(out, "{c:>w$}  ");
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    };
    line(&mut out, &HEADERS.map(str::to_owned));
    let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(total));
    out.push('\n');
    for r in &rows {
        line(&mut out, r);
    }
    out
}

/// The report as a markdown table with a header naming machine, toolchain,
/// commit and rounds.
pub fn markdown(report: &Report, command: &str) -> String {
    let mut out = format!(
        "Machine: {}; {}; commit {}; {} timing rounds per scenario (medians), plus one allocation round.\n\
         Command: `{}`\n\n",
        report.machine, report.rustc, report.commit, report.runs, command
    );
    out.push('|');
    for h in HEADERS {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|");
    for i in 0..HEADERS.len() {
        out.push_str(if i < 2 { "---|" } else { "---:|" });
    }
    out.push('\n');
    for r in all_cells(report) {
        out.push('|');
        for c in r {
            let _ = write!(out, " {} |", c.replace('|', "\\|"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocast_alloc::AllocStats;

    fn report() -> Report {
        let m = Measured {
            scenario: "spsc/threads/u64",
            implementation: "zerocast",
            ns_per_msg: vec![30.0, 10.0, 20.0],
            ratios: vec![0.5, 0.4, 0.6],
            allocs: AllocStats {
                allocs: 0,
                reallocs: 0,
                deallocs: 0,
                bytes: 0,
            },
            b0_messages: 10_000,
            latency: None,
        };
        Report {
            machine: "m".into(),
            rustc: "r".into(),
            commit: "c".into(),
            runs: 3,
            results: vec![row(Kind::Throughput, &m)],
            not_applicable: vec![NotApplicableRow {
                scenario: "spsc/threads/u64".into(),
                implementation: "bus".into(),
                reason: "why".into(),
            }],
        }
    }

    #[test]
    fn row_takes_medians_and_extremes() {
        let r = &report().results[0];
        assert_eq!(r.ns_per_msg, 20.0);
        assert_eq!((r.ns_per_msg_min, r.ns_per_msg_max), (10.0, 30.0));
        assert_eq!(r.msgs_per_sec, 5e7);
        assert_eq!(r.ratio, Some(0.5));
        assert_eq!(r.p50_ns, None);
    }

    #[test]
    fn json_keeps_the_schema_names() {
        let v: serde_json::Value = serde_json::to_value(report()).unwrap();
        for key in ["machine", "rustc", "commit", "runs", "results"] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        let row = &v["results"][0];
        for key in [
            "scenario",
            "implementation",
            "ns_per_msg",
            "ns_per_msg_min",
            "ns_per_msg_max",
            "msgs_per_sec",
            "allocs_per_msg",
            "bytes_per_msg",
            "p50_ns",
            "p99_ns",
            "p999_ns",
            "max_ns",
        ] {
            assert!(row.get(key).is_some(), "missing results[].{key}");
        }
        assert!(row["p50_ns"].is_null());
    }

    #[test]
    fn table_and_markdown_list_not_applicable_peers_with_the_reason() {
        let r = report();
        let t = table(&r);
        assert!(t.contains("n/a") && t.contains("why"), "{t}");
        let md = markdown(&r, "cmd");
        assert!(md.contains("| bus | n/a |"), "{md}");
        assert!(md.contains("Command: `cmd`"));
    }
}
