//! SVG charts of the experiment, drawn with plotters: the same code draws the CLI's report and
//! the workbench's Compare view.

use plotters::prelude::*;

use crate::error::{Error, Result};

const COLOURS: [RGBColor; 4] = [
    RGBColor(120, 120, 120),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Config(format!("drawing a chart: {e}"))
}

/// A hover target: a pixel rectangle and the text its tooltip shows.
struct Tip {
    from: (i32, i32),
    to: (i32, i32),
    text: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Appends an invisible rectangle with a `<title>` for every tip: browsers show the title as a
/// tooltip on hover, and the drawing underneath is left as plotters made it.
fn with_tips(svg: String, tips: &[Tip]) -> String {
    let Some(end) = svg.rfind("</svg>") else {
        return svg;
    };
    let mut out = svg[..end].to_string();
    out.push_str("<g class=\"tips\">");
    for t in tips {
        let (x, y) = (t.from.0.min(t.to.0), t.from.1.min(t.to.1));
        let (w, h) = (
            (t.to.0 - t.from.0).abs().max(6),
            (t.to.1 - t.from.1).abs().max(6),
        );
        out.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"#000\" fill-opacity=\"0\"><title>{}</title></rect>",
            escape(&t.text)
        ));
    }
    out.push_str("</g>");
    out.push_str(&svg[end..]);
    out
}

/// The y range that holds every value with a margin.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.15).max(0.005);
    (lo - pad, hi + pad)
}

/// Categories sit at x = i + 0.5: the name there, nothing at the other ticks.
fn category_label(names: &[String], x: f64) -> String {
    let i = x.floor() as usize;
    if (x - i as f64 - 0.5).abs() < 0.01 {
        names.get(i).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

type CategoryChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A white chart with one category per unit of x (named at its centre) and values in [lo, hi].
fn category_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    names: &[String],
    lo: f64,
    hi: f64,
) -> Result<CategoryChart<'a, 'b>> {
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..names.len().max(1) as f64, lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len() * 2 + 1)
        .x_label_formatter(&|x| category_label(names, *x))
        .y_label_formatter(&|y| format!("{y:.3}"))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// A legend box at `position`, drawn after every series.
fn legend<'a, 'b: 'a>(
    chart: &mut CategoryChart<'a, 'b>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// One bar per (name, value, lower, upper), with the interval as an error bar.
pub fn bar_chart(title: &str, bars: &[(String, f64, f64, f64)]) -> Result<String> {
    let mut svg = String::new();
    let mut tips = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        let (lo, hi) = y_range(bars.iter().flat_map(|b| [b.2, b.3]));
        let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = category_chart(&root, title, &names, lo, hi)?;
        for (i, (name, v, l, u)) in bars.iter().enumerate() {
            let x = i as f64;
            tips.push(Tip {
                from: chart.backend_coord(&(x + 0.2, lo)),
                to: chart.backend_coord(&(x + 0.8, v.max(*u))),
                text: format!("{name}: {v:.4} [{l:.4}, {u:.4}]"),
            });
            let c = COLOURS[i % COLOURS.len()];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.2, lo), (x + 0.8, *v)],
                    c.mix(0.8).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    x + 0.5,
                    *l,
                    *v,
                    *u,
                    BLACK.stroke_width(2),
                    12,
                )))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(with_tips(svg, &tips))
}

/// Groups of bars (one per series, e.g. per variant) with a legend.
pub fn grouped_bars(title: &str, series: &[&str], groups: &[(String, Vec<f64>)]) -> Result<String> {
    let mut svg = String::new();
    let mut tips = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        let (lo, hi) = y_range(groups.iter().flat_map(|g| g.1.iter().copied()));
        // Headroom for the legend above the bars.
        let hi = hi + (hi - lo) * 0.35;
        let names: Vec<String> = groups.iter().map(|g| g.0.clone()).collect();
        let mut chart = category_chart(&root, title, &names, lo, hi)?;
        let w = 0.8 / series.len().max(1) as f64;
        for (i, g) in groups.iter().enumerate() {
            for (k, name) in series.iter().enumerate() {
                let Some(v) = g.1.get(k).copied().filter(|v| v.is_finite()) else {
                    continue;
                };
                let x = i as f64 + 0.1 + k as f64 * w;
                tips.push(Tip {
                    from: chart.backend_coord(&(x, lo)),
                    to: chart.backend_coord(&(x + w * 0.9, v)),
                    text: format!("{name}, {}: {v:.4}", g.0),
                });
            }
        }
        for (k, name) in series.iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            chart
                .draw_series(
                    groups
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| g.1[k].is_finite())
                        .map(|(i, g)| {
                            let x = i as f64 + 0.1 + k as f64 * w;
                            Rectangle::new([(x, lo), (x + w * 0.9, g.1[k])], c.mix(0.85).filled())
                        }),
                )
                .map_err(err)?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperMiddle)?;
        root.present().map_err(err)?;
    }
    Ok(with_tips(svg, &tips))
}

/// One line per series over [0, 1]², with the diagonal (ROC curves).
pub fn roc_chart(title: &str, series: &[(&str, Vec<(f64, f64)>)]) -> Result<String> {
    let mut svg = String::new();
    let mut tips = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (420, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
            .map_err(err)?;
        for (k, (name, points)) in series.iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            // A hover target every few points along the curve.
            for &(x, y) in points.iter().step_by((points.len() / 25).max(1)) {
                let (px, py) = chart.backend_coord(&(x, y));
                tips.push(Tip {
                    from: (px - 4, py - 4),
                    to: (px + 4, py + 4),
                    text: format!("{name}: false positive rate {x:.3}, true positive rate {y:.3}"),
                });
            }
            chart
                .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                .map_err(err)?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], c.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(err)?;
    }
    Ok(with_tips(svg, &tips))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_their_labels() {
        let bars = vec![
            ("Base".to_string(), 0.7, 0.68, 0.72),
            ("ReaSeq".to_string(), 0.75, 0.73, 0.77),
        ];
        let svg = bar_chart("GAUC", &bars).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("ReaSeq") && svg.contains("GAUC"));
        let svg = grouped_bars(
            "AUC",
            &["Base", "+REP"],
            &[("cold".into(), vec![0.6, f64::NAN])],
        )
        .unwrap();
        assert!(svg.contains("cold") && svg.contains("+REP"));
        let svg = roc_chart("ROC", &[("Base", vec![(0.0, 0.0), (0.5, 0.7), (1.0, 1.0)])]).unwrap();
        assert!(svg.contains("<polyline") || svg.contains("<path"), "{svg}");
    }

    #[test]
    fn every_bar_and_curve_point_has_a_tooltip_with_escaped_text() {
        let bars = vec![("A<b>".to_string(), 0.7, 0.68, 0.72)];
        let svg = bar_chart("GAUC", &bars).unwrap();
        assert!(
            svg.contains("<title>A&lt;b&gt;: 0.7000 [0.6800, 0.7200]</title>"),
            "{svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
        let svg = grouped_bars(
            "AUC",
            &["Base", "+REP"],
            &[("cold & new".into(), vec![0.6, f64::NAN])],
        )
        .unwrap();
        // One tip: the NaN bar is not drawn, so it has none.
        assert_eq!(svg.matches("<title>").count(), 1);
        assert!(svg.contains("<title>Base, cold &amp; new: 0.6000</title>"));
        let points: Vec<(f64, f64)> = (0..=100)
            .map(|i| (i as f64 / 100.0, i as f64 / 100.0))
            .collect();
        let svg = roc_chart("ROC", &[("Base", points)]).unwrap();
        assert!(svg.matches("<title>Base: false positive rate").count() >= 20);
    }
}
