//! SVG charts: ns/message and allocations/message per scenario as bar panels,
//! and latency CDFs.

use std::path::Path;

use plotters::prelude::*;

use crate::harness::{is_zerocast, Measured, FLOOR};
use crate::report::Row;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Writes `ns_per_msg.svg`, `allocs_per_msg.svg` and `latency_cdf.svg` to `dir`.
pub fn write_all(dir: &Path, rows: &[Row], measured: &[Measured]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let throughput: Vec<&Row> = rows.iter().filter(|r| r.p50_ns.is_none()).collect();
    bars(
        &dir.join("ns_per_msg.svg"),
        "ns per message (median of rounds; lower is better)",
        &throughput,
        |r| r.ns_per_msg,
    )?;
    let all: Vec<&Row> = rows.iter().collect();
    bars(
        &dir.join("allocs_per_msg.svg"),
        "allocations per message (B0; zerocast must be 0)",
        &all,
        |r| r.allocs_per_msg,
    )?;
    latency_cdf(&dir.join("latency_cdf.svg"), measured)?;
    Ok(())
}

fn scenarios<'a>(rows: &[&'a Row]) -> Vec<&'a str> {
    let mut names: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
    names.dedup();
    names.sort_unstable();
    names.dedup();
    names
}

/// One colour per implementation, the same in every panel: zerocast red, the
/// floor black, each peer its own.
fn color(implementation: &str) -> RGBColor {
    const PEERS: [(&str, RGBColor); 13] = [
        ("tokio", RGBColor(70, 110, 170)),
        ("crossbeam-channel", RGBColor(90, 150, 110)),
        ("flume", RGBColor(150, 120, 60)),
        ("kanal", RGBColor(120, 90, 160)),
        ("disruptor", RGBColor(80, 160, 170)),
        ("bus", RGBColor(170, 100, 130)),
        ("thingbuf", RGBColor(230, 150, 40)),
        ("async-broadcast", RGBColor(140, 140, 140)),
        ("rtrb", RGBColor(40, 60, 120)),
        ("bab", RGBColor(110, 60, 40)),
        ("lockfree-object-pool", RGBColor(60, 120, 60)),
        ("sharded-slab", RGBColor(180, 180, 60)),
        ("std", RGBColor(100, 100, 200)),
    ];
    if is_zerocast(implementation) {
        RGBColor(210, 30, 30)
    } else if implementation == FLOOR {
        BLACK
    } else {
        PEERS
            .iter()
            .find(|(name, _)| *name == implementation)
            .map_or(RGBColor(90, 90, 90), |(_, c)| *c)
    }
}

/// One panel per scenario, one horizontal bar per implementation.
fn bars(path: &Path, title: &str, rows: &[&Row], value: impl Fn(&Row) -> f64) -> Result<()> {
    let names = scenarios(rows);
    let cols = 3;
    let panels = names.len().max(1);
    let grid_rows = panels.div_ceil(cols);
    let root = SVGBackend::new(path, (1500, 60 + 300 * grid_rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 24))?;
    let areas = root.split_evenly((grid_rows, cols));
    for (area, scenario) in areas.iter().zip(&names) {
        let mine: Vec<&&Row> = rows.iter().filter(|r| r.scenario == *scenario).collect();
        let max = mine
            .iter()
            .map(|r| value(r))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let x_max = if max > 0.0 { max * 1.45 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(*scenario, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .build_cartesian_2d(0f64..x_max, 0f64..mine.len().max(1) as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_labels(5)
            .draw()?;
        for (i, r) in mine.iter().enumerate() {
            let v = value(r);
            let v = if v.is_finite() { v } else { 0.0 };
            let y = i as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.15), (v, y + 0.85)],
                color(&r.implementation).filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{} {}", r.implementation, short(v)),
                (v + x_max * 0.01, y + 0.65),
                ("sans-serif", 12),
            )))?;
        }
    }
    root.present()?;
    Ok(())
}

fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// One panel per latency scenario: the fraction of messages (y) delivered
/// within a latency (x, log scale), one line per implementation.
fn latency_cdf(path: &Path, measured: &[Measured]) -> Result<()> {
    let mut names: Vec<&str> = measured
        .iter()
        .filter(|m| m.latency.is_some())
        .map(|m| m.scenario)
        .collect();
    names.dedup();
    let panels = names.len().max(1);
    let root = SVGBackend::new(path, (800 * panels as u32, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "latency CDF, receiver waiting (all timing rounds)",
        ("sans-serif", 22),
    )?;
    let areas = root.split_evenly((1, panels));
    for (area, scenario) in areas.iter().zip(&names) {
        let mine: Vec<&Measured> = measured
            .iter()
            .filter(|m| m.scenario == *scenario && m.latency.is_some())
            .collect();
        let max = mine
            .iter()
            .filter_map(|m| m.latency.as_ref())
            .map(|h| h.value_at_quantile(0.999))
            .max()
            .unwrap_or(1000)
            .max(10) as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(*scenario, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d((10f64..max * 1.5).log_scale(), 0f64..1f64)?;
        chart
            .configure_mesh()
            .x_desc("ns")
            .y_desc("fraction")
            .draw()?;
        for m in &mine {
            let Some(h) = &m.latency else { continue };
            let points: Vec<(f64, f64)> = (1..=199)
                .map(|k| {
                    let q = f64::from(k) / 200.0;
                    ((h.value_at_quantile(q) as f64).max(10.0), q)
                })
                .collect();
            let c = color(m.implementation);
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))?
                .label(m.implementation)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
