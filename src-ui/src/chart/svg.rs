//! The chart as a standalone SVG file, drawn from the same [`Series`] the screen shows (Chart.js
//! draws only to a canvas): axes with round ticks, bars, a line or dots, the axis titles, and the
//! text alternative as the SVG's `<title>` and `<desc>`. Colours are fixed presentation
//! attributes on a white page, so the file looks the same wherever it is opened.

use super::pick::ChartKind;
use super::series::{Series, XAxis, number_text};
use crate::metrics::scale::{Scale, linear_ticks, nice_step};

pub const WIDTH: f64 = 960.0;
pub const HEIGHT: f64 = 480.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = WIDTH - 24.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = HEIGHT - 80.0;
const INK: &str = "#1b2333";
const MUTED: &str = "#4f5a6e";
const GRID: &str = "#d9dee8";
/// The series colour (the app's accent, darkened to read on white).
const MARK: &str = "#2f6fd6";
/// Bar labels shown at most; more bars label every n-th.
const MAX_LABELS: usize = 24;

/// Text made safe for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: finite, one decimal.
fn px(v: f64) -> String {
    format!("{:.1}", if v.is_finite() { v } else { 0.0 })
}

/// A label cut to `max` characters (with an ellipsis).
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A round domain around `lo..hi` and its ticks; from zero for bars.
fn value_axis(lo: f64, hi: f64, from_zero: bool) -> (f64, f64, Vec<f64>) {
    let (lo, hi) = if from_zero {
        (lo.min(0.0), hi.max(0.0))
    } else {
        (lo, hi)
    };
    let (lo, hi) = if (hi - lo).abs() < f64::EPSILON {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let step = nice_step((hi - lo) / 5.0);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    (lo, hi, linear_ticks(lo, hi, 5))
}

fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// The SVG document of `series`.
pub fn render(series: &Series) -> String {
    let summary = series.summary();
    let mut out = String::new();
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         font-family=\"sans-serif\" font-size=\"13\">\n",
        w = WIDTH,
        h = HEIGHT
    ));
    let title = &series.title;
    out.push_str(&format!(
        "<title id=\"chart-title\">{}</title>\n<desc id=\"chart-desc\">{}</desc>\n",
        escape(title),
        escape(&summary)
    ));
    out.push_str(&format!(
        "<rect class=\"background\" width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>\n"
    ));
    out.push_str(&format!(
        "<text x=\"{}\" y=\"28\" fill=\"{INK}\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
        px(LEFT),
        escape(title)
    ));
    if series.points.is_empty() {
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" fill=\"{MUTED}\" text-anchor=\"middle\">No values to draw</text>\n</svg>\n",
            px(WIDTH / 2.0),
            px(HEIGHT / 2.0)
        ));
        return out;
    }

    let (y_lo, y_hi) = extent(series.points.iter().map(|p| p.1));
    let (y_lo, y_hi, y_ticks) = value_axis(y_lo, y_hi, series.kind == ChartKind::Bar);
    let y = Scale::linear(y_lo, y_hi, BOTTOM, TOP);
    // The y axis: grid lines and labels.
    out.push_str("<g class=\"y-axis\">\n");
    for t in &y_ticks {
        let at = px(y.map(*t));
        out.push_str(&format!(
            "<line x1=\"{}\" x2=\"{}\" y1=\"{at}\" y2=\"{at}\" stroke=\"{GRID}\"/>\
             <text x=\"{}\" y=\"{at}\" dy=\"0.32em\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>\n",
            px(LEFT),
            px(RIGHT),
            px(LEFT - 8.0),
            escape(&number_text(*t))
        ));
    }
    out.push_str(&format!(
        "<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>\n</g>\n",
        px((TOP + BOTTOM) / 2.0),
        escape(&short(&series.y_name, 40))
    ));

    out.push_str("<g class=\"x-axis\">\n");
    out.push_str(&format!(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{b}\" y2=\"{b}\" stroke=\"{MUTED}\"/>\n",
        px(LEFT),
        px(RIGHT),
        b = px(BOTTOM)
    ));
    let marks = if series.kind == ChartKind::Bar {
        bars(series, &y, &mut out)
    } else {
        points(series, &y, &mut out)
    };
    out.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>\n</g>\n",
        px((LEFT + RIGHT) / 2.0),
        px(HEIGHT - 12.0),
        escape(&short(&series.x_name, 60))
    ));
    out.push_str(&marks);
    out.push_str("</svg>\n");
    out
}

/// Bar labels into `axis`; returns the bars.
fn bars(series: &Series, y: &Scale, axis: &mut String) -> String {
    let n = series.points.len();
    let band = (RIGHT - LEFT) / n as f64;
    let every = n.div_ceil(MAX_LABELS).max(1);
    let slanted = n > 8;
    for (i, label) in series.labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let cx = LEFT + band * (i as f64 + 0.5);
        let (anchor, transform) = if slanted {
            (
                "end",
                format!(
                    " transform=\"rotate(-35 {} {})\"",
                    px(cx),
                    px(BOTTOM + 16.0)
                ),
            )
        } else {
            ("middle", String::new())
        };
        axis.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"{MUTED}\"{transform}>{}</text>\n",
            px(cx),
            px(BOTTOM + 16.0),
            escape(&short(label, 16))
        ));
    }
    let zero = y.map(0.0);
    let mut out = String::from("<g class=\"marks\">\n");
    for (i, (_, v)) in series.points.iter().enumerate() {
        let top = y.map(*v);
        let (y0, h) = if top <= zero {
            (top, zero - top)
        } else {
            (zero, top - zero)
        };
        let label = series.labels.get(i).map(String::as_str).unwrap_or("");
        out.push_str(&format!(
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{MARK}\"><title>{}: {}</title></rect>\n",
            px(LEFT + band * i as f64 + band * 0.1),
            px(y0),
            px(band * 0.8),
            px(h),
            escape(label),
            escape(&number_text(*v))
        ));
    }
    out.push_str("</g>\n");
    out
}

/// x ticks into `axis`; returns the line or the dots.
fn points(series: &Series, y: &Scale, axis: &mut String) -> String {
    let (x_lo, x_hi) = extent(series.points.iter().map(|p| p.0));
    let (x, ticks): (Scale, Vec<(f64, String)>) = match series.x_axis {
        XAxis::Dates | XAxis::Times => {
            let (lo, hi) = series.x_range.unwrap_or((x_lo, x_hi));
            (Scale::linear(lo, hi, LEFT, RIGHT), series.x_ticks.clone())
        }
        _ => {
            let (lo, hi, ticks) = value_axis(x_lo, x_hi, false);
            let labels = ticks.iter().map(|t| (*t, number_text(*t))).collect();
            (Scale::linear(lo, hi, LEFT, RIGHT), labels)
        }
    };
    for (t, label) in &ticks {
        let at = px(x.map(*t));
        axis.push_str(&format!(
            "<line x1=\"{at}\" x2=\"{at}\" y1=\"{}\" y2=\"{}\" stroke=\"{MUTED}\"/>\
             <text x=\"{at}\" y=\"{}\" text-anchor=\"middle\" fill=\"{MUTED}\">{}</text>\n",
            px(BOTTOM),
            px(BOTTOM + 5.0),
            px(BOTTOM + 20.0),
            escape(label)
        ));
    }
    let mut out = String::from("<g class=\"marks\">\n");
    if series.kind == ChartKind::Line {
        let path: Vec<String> = series
            .points
            .iter()
            .map(|(a, b)| format!("{},{}", px(x.map(*a)), px(y.map(*b))))
            .collect();
        out.push_str(&format!(
            "<polyline class=\"line\" fill=\"none\" stroke=\"{MARK}\" stroke-width=\"2\" points=\"{}\"/>\n",
            path.join(" ")
        ));
    }
    if series.kind == ChartKind::Scatter || series.points.len() <= 60 {
        let r = if series.kind == ChartKind::Scatter {
            3.0
        } else {
            2.5
        };
        for (a, b) in &series.points {
            out.push_str(&format!(
                "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"{r}\" fill=\"{MARK}\" fill-opacity=\"0.7\"/>\n",
                px(x.map(*a)),
                px(y.map(*b))
            ));
        }
    }
    out.push_str("</g>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::series::Limit;

    fn series(kind: ChartKind, x_axis: XAxis, labels: &[&str], points: &[(f64, f64)]) -> Series {
        Series {
            kind,
            x_name: "payment_type".into(),
            y_name: "trips <all>".into(),
            title: "trips <all> by payment_type".into(),
            x_axis,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            points: points.to_vec(),
            x_range: None,
            x_ticks: Vec::new(),
            rows: points.len(),
            skipped: 0,
            limit: Limit::All,
        }
    }

    /// Parses the document as XML and returns it (a broken file fails here).
    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"))
    }

    fn count<'a>(doc: &'a roxmltree::Document<'a>, tag: &str, class: &str) -> usize {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute("class") == Some(class))
            .count()
    }

    #[test]
    fn bars_are_a_real_svg_with_one_rect_per_bar() {
        let s = series(
            ChartKind::Bar,
            XAxis::Labels,
            &["1", "2", "<3>", "4"],
            &[(0.0, 30_000.0), (1.0, 12_000.0), (2.0, 0.0), (3.0, -50.0)],
        );
        let svg = render(&s);
        let doc = parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(count(&doc, "rect", "bar"), 4);
        let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
        assert_eq!(title.text(), Some("trips <all> by payment_type"));
        let desc = doc.descendants().find(|n| n.has_tag_name("desc")).unwrap();
        assert_eq!(desc.text(), Some(s.summary().as_str()));
        // Bars grow from zero: the biggest is the tallest, the negative one hangs below.
        let heights: Vec<f64> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bar"))
            .map(|n| n.attribute("height").unwrap().parse().unwrap())
            .collect();
        assert!(heights[0] > heights[1] && heights[1] > heights[3] && heights[2] == 0.0);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn lines_and_scatters_place_every_point_inside_the_plot() {
        let pts: Vec<(f64, f64)> = (0..100)
            .map(|i| (1_704_067_200_000.0 + i as f64 * 3_600_000.0, (i % 7) as f64))
            .collect();
        let mut line = series(ChartKind::Line, XAxis::Times, &[], &pts);
        line.x_range = Some((pts[0].0, pts[99].0));
        line.x_ticks = vec![(1_704_153_600_000.0, "01-02 00:00".into())];
        let svg = render(&line);
        let doc = parse(&svg);
        let poly = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("line"))
            .unwrap();
        let coords: Vec<(f64, f64)> = poly
            .attribute("points")
            .unwrap()
            .split(' ')
            .map(|p| {
                let (a, b) = p.split_once(',').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        assert_eq!(coords.len(), 100);
        assert!(
            coords
                .iter()
                .all(|(a, b)| (LEFT..=RIGHT).contains(a) && (TOP..=BOTTOM).contains(b))
        );
        assert!(
            svg.contains(">01-02 00:00<"),
            "the series' time ticks: {svg}"
        );

        let scatter = series(
            ChartKind::Scatter,
            XAxis::Numbers,
            &[],
            &[(1.0, 2.0), (1.0, 2.0)],
        );
        let doc_svg = render(&scatter);
        let doc = parse(&doc_svg);
        assert_eq!(count(&doc, "circle", "dot"), 2);
    }

    #[test]
    fn an_empty_series_still_makes_a_valid_file() {
        let svg = render(&series(ChartKind::Bar, XAxis::Labels, &[], &[]));
        let doc = parse(&svg);
        assert_eq!(count(&doc, "rect", "bar"), 0);
        assert!(svg.contains("No values to draw"));
    }
}
