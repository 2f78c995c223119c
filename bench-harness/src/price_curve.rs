//! The price curve (`--io-latency 0,1,5,20`): the whole harness rerun at each
//! added call latency, then, per workload, what blocking costs against that
//! latency: the fixed ÷ blocking throughput ratio and each variant's p99
//! loop lag. It answers "at what call latency does blocking cost 10x on this
//! many cores?". Written as `price-curve.json` and
//! `<workload>-price-curve.svg` beside the per-setting reports.

use std::path::{Path, PathBuf};
use std::time::Duration;

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::run::{self, RunOptions};
use crate::workload::VariantKind;

/// One workload at one added latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub io_latency_ms: f64,
    /// Fixed ÷ blocking throughput (the price of blocking).
    pub price_of_blocking: Option<f64>,
    /// Optimized ÷ fixed throughput (the price of the design).
    pub price_of_design: Option<f64>,
    pub blocking_loop_lag_p99_us: u64,
    pub fixed_loop_lag_p99_us: u64,
    pub optimized_loop_lag_p99_us: u64,
    /// Every variant correct at this setting.
    pub correct: bool,
}

/// The curve of one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub workload: String,
    pub points: Vec<Point>,
}

/// What a price-curve run produced.
pub struct CurveResult {
    pub curves: Vec<Curve>,
    pub failures: Vec<String>,
    pub written: Vec<PathBuf>,
}

/// Runs the harness once per latency (reports in `<out>/io-latency-<ms>ms/`)
/// and writes the curves into `options.out`.
pub fn run(options: &RunOptions, latencies: &[Duration]) -> Result<CurveResult, String> {
    let mut curves: Vec<Curve> = Vec::new();
    let mut result = CurveResult {
        curves: Vec::new(),
        failures: Vec::new(),
        written: Vec::new(),
    };
    for latency in latencies {
        let ms = latency.as_secs_f64() * 1000.0;
        let mut setting = options.clone();
        setting.io_latency = *latency;
        setting.out = options.out.join(format!("io-latency-{ms}ms"));
        if options.print {
            println!("== io latency {ms} ms (after each fsync and each Redis request) ==");
        }
        let ran = run::run(&setting)?;
        result.failures.extend(
            ran.failures
                .iter()
                .map(|f| format!("io latency {ms} ms: {f}")),
        );
        result.written.extend(ran.written);
        for workload in &ran.report.workloads {
            let (Some(blocking), Some(fixed), Some(optimized)) = (
                workload.variant(VariantKind::Blocking),
                workload.variant(VariantKind::Fixed),
                workload.variant(VariantKind::Optimized),
            ) else {
                continue;
            };
            let point = Point {
                io_latency_ms: ms,
                price_of_blocking: workload.price_of_blocking.and_then(|r| r.throughput),
                price_of_design: workload.price_of_design.and_then(|r| r.throughput),
                blocking_loop_lag_p99_us: blocking.loop_lag_us.p99,
                fixed_loop_lag_p99_us: fixed.loop_lag_us.p99,
                optimized_loop_lag_p99_us: optimized.loop_lag_us.p99,
                correct: blocking.correct && fixed.correct && optimized.correct,
            };
            match curves.iter_mut().find(|c| c.workload == workload.name) {
                Some(curve) => curve.points.push(point),
                None => curves.push(Curve {
                    workload: workload.name.clone(),
                    points: vec![point],
                }),
            }
        }
    }
    let json = options.out.join("price-curve.json");
    let text = serde_json::to_string_pretty(&curves).map_err(|err| err.to_string())?;
    std::fs::write(&json, text + "\n")
        .map_err(|err| format!("cannot write {}: {err}", json.display()))?;
    result.written.push(json);
    for curve in &curves {
        let path = options
            .out
            .join(format!("{}-price-curve.svg", curve.workload));
        draw(&path, curve).map_err(|err| format!("cannot draw {}: {err}", path.display()))?;
        result.written.push(path);
        if options.print {
            println!("{}", table(curve));
        }
    }
    result.curves = curves;
    Ok(result)
}

/// The curve as table lines.
pub fn table(curve: &Curve) -> String {
    let mut out = format!(
        "{}: io latency ms -> fixed/blocking, optimized/fixed, loop lag p99 ms blocking/fixed/optimized",
        curve.workload
    );
    for point in &curve.points {
        let ratio = |value: Option<f64>| value.map_or("n/a".to_string(), |v| format!("x{v:.2}"));
        out.push_str(&format!(
            "\n  {:>5} -> {:>7} {:>7}  {:.1}/{:.1}/{:.1}{}",
            point.io_latency_ms,
            ratio(point.price_of_blocking),
            ratio(point.price_of_design),
            point.blocking_loop_lag_p99_us as f64 / 1000.0,
            point.fixed_loop_lag_p99_us as f64 / 1000.0,
            point.optimized_loop_lag_p99_us as f64 / 1000.0,
            if point.correct { "" } else { "  (NOT CORRECT)" }
        ));
    }
    out
}

/// Two panels against the added call latency: the throughput ratio
/// fixed ÷ blocking (log scale), and each variant's p99 loop lag.
fn draw(path: &Path, curve: &Curve) -> crate::charts::DrawResult {
    let x_max = curve
        .points
        .iter()
        .map(|p| p.io_latency_ms)
        .fold(1.0, f64::max)
        * 1.05;
    let ratios: Vec<(f64, f64)> = curve
        .points
        .iter()
        .filter_map(|p| p.price_of_blocking.map(|r| (p.io_latency_ms, r.max(0.01))))
        .collect();
    let ratio_max = ratios.iter().map(|p| p.1).fold(10.0, f64::max) * 1.5;
    let ratio_min = ratios.iter().map(|p| p.1).fold(0.5, f64::min) * 0.8;
    let root = SVGBackend::new(path, (1200, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!(
            "{}: the price of blocking against call latency",
            curve.workload
        ),
        ("sans-serif", 20),
    )?;
    let areas = root.split_evenly((1, 2));
    let mut left = ChartBuilder::on(&areas[0])
        .caption("throughput fixed ÷ blocking", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, (ratio_min..ratio_max).log_scale())?;
    left.configure_mesh()
        .x_desc("added latency per call (ms)")
        .y_desc("throughput ratio (log)")
        .draw()?;
    left.draw_series(LineSeries::new(
        [(0.0, 10.0), (x_max, 10.0)],
        BLACK.mix(0.3).stroke_width(1),
    ))?;
    left.draw_series(LineSeries::new(ratios.clone(), BLUE.stroke_width(2)))?;
    left.draw_series(ratios.iter().map(|p| Circle::new(*p, 4, BLUE.filled())))?;
    let lag_max = curve
        .points
        .iter()
        .map(|p| p.blocking_loop_lag_p99_us.max(p.fixed_loop_lag_p99_us) as f64 / 1000.0)
        .fold(1.0, f64::max)
        * 1.5;
    let mut right = ChartBuilder::on(&areas[1])
        .caption("loop lag p99", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, (0.1..lag_max).log_scale())?;
    right
        .configure_mesh()
        .x_desc("added latency per call (ms)")
        .y_desc("loop lag p99 (ms, log)")
        .draw()?;
    for (kind, color, value) in [
        (
            VariantKind::Blocking,
            RED,
            (|p: &Point| p.blocking_loop_lag_p99_us) as fn(&Point) -> u64,
        ),
        (VariantKind::Fixed, BLUE, |p: &Point| {
            p.fixed_loop_lag_p99_us
        }),
        (VariantKind::Optimized, GREEN, |p: &Point| {
            p.optimized_loop_lag_p99_us
        }),
    ] {
        let points: Vec<(f64, f64)> = curve
            .points
            .iter()
            .map(|p| (p.io_latency_ms, (value(p) as f64 / 1000.0).max(0.1)))
            .collect();
        right
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(kind.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    right
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    root.present()?;
    Ok(())
}
