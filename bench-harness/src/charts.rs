//! SVG charts (plotters), the variants side by side: loop lag over time with
//! the watchdog's stalls marked (the probe cannot wake while a worker is
//! blocked, so the stalls show what the lag line cannot), and the latency
//! distribution as a percentile curve.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::report::VariantDetail;
use crate::workload::VariantKind;

const SIZE: (u32, u32) = (1200, 480);

fn color(kind: VariantKind) -> RGBColor {
    match kind {
        VariantKind::Blocking => RGBColor(214, 39, 40),
        VariantKind::Fixed => RGBColor(31, 119, 180),
        VariantKind::Optimized => RGBColor(44, 160, 44),
    }
}

/// Writes `<workload>-loop-lag.svg` and `<workload>-latency.svg` into `dir`.
pub fn write(
    dir: &Path,
    workload: &str,
    variants: &[VariantDetail],
) -> Result<Vec<PathBuf>, String> {
    let lag = dir.join(format!("{workload}-loop-lag.svg"));
    loop_lag(&lag, workload, variants)
        .map_err(|err| format!("cannot draw {}: {err}", lag.display()))?;
    let latency = dir.join(format!("{workload}-latency.svg"));
    latency_curve(&latency, workload, variants)
        .map_err(|err| format!("cannot draw {}: {err}", latency.display()))?;
    Ok(vec![lag, latency])
}

pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Per-interval maximum loop lag (ms, log scale) against time since the
/// measured start, one panel per variant on the same lag scale (each its own
/// time axis: their durations differ); each stall the watchdog caught is a
/// shaded band from its start to its end.
fn loop_lag(path: &Path, workload: &str, variants: &[VariantDetail]) -> DrawResult {
    let series = |detail: &VariantDetail| -> Vec<(f64, f64)> {
        detail
            .observed
            .lag_series
            .iter()
            .map(|(ms, us)| (*ms as f64 / 1000.0, (*us).max(10) as f64 / 1000.0))
            .collect()
    };
    let stall_max = |detail: &VariantDetail| {
        detail
            .report
            .stall_details
            .iter()
            .map(|stall| stall.duration_us as f64 / 1000.0)
            .fold(0.0, f64::max)
    };
    let y_max = variants
        .iter()
        .flat_map(|detail| {
            series(detail)
                .into_iter()
                .map(|p| p.1)
                .chain([stall_max(detail)])
        })
        .fold(1.0, f64::max)
        * 1.5;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("{workload}: loop lag over time (shaded: stalls caught by the watchdog)"),
        ("sans-serif", 20),
    )?;
    let areas = root.split_evenly((1, variants.len().max(1)));
    for (detail, area) in variants.iter().zip(&areas) {
        let points = series(detail);
        let stalls: Vec<(f64, f64)> = detail
            .report
            .stall_details
            .iter()
            .map(|stall| {
                let start = stall.started_ms as f64 / 1000.0;
                (start, start + stall.duration_us as f64 / 1e6)
            })
            .collect();
        let x_max = points
            .iter()
            .map(|p| p.0)
            .chain(stalls.iter().map(|s| s.1))
            .chain([detail.report.elapsed_secs])
            .fold(0.1, f64::max);
        let color = color(detail.kind);
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{} ({} stalls)", detail.kind.as_str(), detail.report.stalls),
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, (0.01..y_max).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("seconds since the measured start")
            .y_desc("max lag per interval (ms)")
            .draw()?;
        chart.draw_series(stalls.iter().map(|(start, end)| {
            Rectangle::new([(*start, 0.01), (*end, y_max)], RED.mix(0.25).filled())
        }))?;
        chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
    }
    root.present()?;
    Ok(())
}

/// The percentiles marked on the latency chart's axis.
const TICKS: [(f64, &str); 4] = [(50.0, "p50"), (90.0, "p90"), (99.0, "p99"), (99.9, "p99.9")];

/// Latency (ms, log scale) against percentile, spread as "nines"
/// (`-log10(1 - p)`: 1 = p90, 2 = p99, 3 = p99.9), ticks at p50, p90, p99
/// and p99.9.
fn latency_curve(path: &Path, workload: &str, variants: &[VariantDetail]) -> DrawResult {
    let curve = |detail: &VariantDetail| -> Vec<(f64, f64)> {
        detail
            .latency_curve
            .iter()
            .map(|(p, us)| (nines(*p), (*us).max(1) as f64 / 1000.0))
            .collect()
    };
    let curves: Vec<_> = variants
        .iter()
        .map(|detail| (detail.kind, curve(detail)))
        .collect();
    let all = || curves.iter().flat_map(|(_, points)| points);
    let y_min = all()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .clamp(0.001, 1.0);
    let y_max = all().map(|p| p.1).fold(1.0, f64::max) * 1.5;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{workload}: operation latency by percentile"),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..3.5, (y_min..y_max).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc("percentile")
        .y_desc("latency (ms, log scale)")
        .draw()?;
    for (percentile, label) in TICKS {
        let x = nines(percentile);
        chart.draw_series(LineSeries::new(
            [(x, y_min), (x, y_max)],
            BLACK.mix(0.2).stroke_width(1),
        ))?;
        chart.draw_series([Text::new(label, (x, y_min), ("sans-serif", 14))])?;
    }
    for (kind, points) in curves {
        let color = color(kind);
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(kind.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    root.present()?;
    Ok(())
}

pub(crate) fn nines(percentile: f64) -> f64 {
    let remaining = (1.0 - percentile / 100.0).max(1e-4);
    -remaining.log10()
}

/// Points of a latency distribution for `latency_curve`: percentiles from
/// p0 to p99.99 spread evenly in nines.
pub fn curve_points(histogram: &hdrhistogram::Histogram<u64>) -> Vec<(f64, u64)> {
    if histogram.is_empty() {
        return Vec::new();
    }
    (0..=80)
        .map(|step| {
            let nines = f64::from(step) * 0.05;
            let percentile = 100.0 * (1.0 - 10f64.powf(-nines));
            (percentile, histogram.value_at_percentile(percentile))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_map_to_nines() {
        assert!((nines(99.0) - 2.0).abs() < 1e-9);
        assert!((nines(99.9) - 3.0).abs() < 1e-9);
        assert!((nines(90.0) - 1.0).abs() < 1e-9);
        assert!(nines(50.0) > 0.3 && nines(50.0) < 0.31);
    }
}
