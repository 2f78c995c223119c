//! SVG charts (plotters), blocking beside fixed: loop lag over time, and the
//! latency distribution as a percentile curve.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::report::VariantDetail;

const SIZE: (u32, u32) = (900, 480);
const BLOCKING: RGBColor = RGBColor(214, 39, 40);
const FIXED: RGBColor = RGBColor(31, 119, 180);

/// Writes `<workload>-loop-lag.svg` and `<workload>-latency.svg` into `dir`.
pub fn write(
    dir: &Path,
    workload: &str,
    blocking: &VariantDetail,
    fixed: &VariantDetail,
) -> Result<Vec<PathBuf>, String> {
    let lag = dir.join(format!("{workload}-loop-lag.svg"));
    loop_lag(&lag, workload, blocking, fixed)
        .map_err(|err| format!("cannot draw {}: {err}", lag.display()))?;
    let latency = dir.join(format!("{workload}-latency.svg"));
    latency_curve(&latency, workload, blocking, fixed)
        .map_err(|err| format!("cannot draw {}: {err}", latency.display()))?;
    Ok(vec![lag, latency])
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Per-interval maximum loop lag (ms, log scale) against time since the
/// measured start: blocking in the left panel, fixed in the right one, on the
/// same lag scale (each variant's own time axis: their durations differ).
fn loop_lag(
    path: &Path,
    workload: &str,
    blocking: &VariantDetail,
    fixed: &VariantDetail,
) -> DrawResult {
    let series = |detail: &VariantDetail| -> Vec<(f64, f64)> {
        detail
            .observed
            .lag_series
            .iter()
            .map(|(ms, us)| (*ms as f64 / 1000.0, (*us).max(10) as f64 / 1000.0))
            .collect()
    };
    let panels = [
        ("blocking", series(blocking), BLOCKING),
        ("fixed", series(fixed), FIXED),
    ];
    let y_max = panels
        .iter()
        .flat_map(|(_, points, _)| points)
        .map(|p| p.1)
        .fold(1.0, f64::max)
        * 1.5;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("{workload}: loop lag over time"),
        ("sans-serif", 22),
    )?;
    let areas = root.split_evenly((1, 2));
    for ((name, points, color), area) in panels.into_iter().zip(&areas) {
        let x_max = points.iter().map(|p| p.0).fold(0.1, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(name, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, (0.01..y_max).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("seconds")
            .y_desc("max lag per interval (ms)")
            .draw()?;
        chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
    }
    root.present()?;
    Ok(())
}

/// Latency (ms, log scale) against percentile, spread as "nines"
/// (`-log10(1 - p)`: 1 = p90, 2 = p99, 3 = p99.9).
fn latency_curve(
    path: &Path,
    workload: &str,
    blocking: &VariantDetail,
    fixed: &VariantDetail,
) -> DrawResult {
    let curve = |detail: &VariantDetail| -> Vec<(f64, f64)> {
        detail
            .latency_curve
            .iter()
            .map(|(p, us)| (nines(*p), (*us).max(1) as f64 / 1000.0))
            .collect()
    };
    let (blocking_points, fixed_points) = (curve(blocking), curve(fixed));
    let all = || blocking_points.iter().chain(&fixed_points);
    let y_min = all()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .clamp(0.001, 1.0);
    let y_max = all().map(|p| p.1).fold(1.0, f64::max) * 1.5;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{workload}: operation latency distribution"),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..4.0, (y_min..y_max).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .x_label_formatter(&|x| percentile_label(*x))
        .y_desc("latency (ms, log)")
        .draw()?;
    for (name, points, color) in [
        ("blocking", blocking_points, BLOCKING),
        ("fixed", fixed_points, FIXED),
    ] {
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    root.present()?;
    Ok(())
}

fn nines(percentile: f64) -> f64 {
    let remaining = (1.0 - percentile / 100.0).max(1e-4);
    -remaining.log10()
}

fn percentile_label(nines: f64) -> String {
    let percentile = 100.0 * (1.0 - 10f64.powf(-nines));
    format!("p{percentile:.2}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
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
    fn percentiles_map_to_nines_and_back() {
        assert!((nines(99.0) - 2.0).abs() < 1e-9);
        assert_eq!(percentile_label(2.0), "p99");
        assert_eq!(percentile_label(3.0), "p99.9");
        assert_eq!(percentile_label(0.0), "p0");
    }
}
