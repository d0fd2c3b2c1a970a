//! The debrief's charts, drawn by plotters into inline SVG: the score race of every team,
//! and each team's health (score; answers a second with errors stacked by kind; p50/p99;
//! instances and cost). Markers (announcements, faults, organizer actions…) are vertical
//! lines placed with the chart's own coordinates, each with a hover title saying what it was.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DebriefError, Marker};
use scoreboard_domain::markup::escape;
use scoreboard_domain::projection::Series;

/// A chart's size in pixels.
const WIDTH: u32 = 640;
const HEIGHT: u32 = 220;
const RACE_WIDTH: u32 = 1280;
const RACE_HEIGHT: u32 = 480;

/// Colours of the error kinds (stacked), and of the lines.
const KIND_COLOURS: [RGBColor; 9] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
    RGBColor(31, 119, 180),
];
const GOOD: RGBColor = RGBColor(44, 160, 44);
const LINE: RGBColor = RGBColor(31, 119, 180);
const ALERT: RGBColor = RGBColor(214, 39, 40);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One line of a chart: its name, colour and values (one per time of the series).
struct Line<'a> {
    name: &'a str,
    colour: RGBColor,
    values: &'a [f64],
    /// Filled down to zero (the stacked errors).
    filled: bool,
}

/// What a chart shows.
struct Chart<'a> {
    title: &'a str,
    width: u32,
    height: u32,
    /// The times of every value, in game seconds.
    t: &'a [f64],
    lines: Vec<Line<'a>>,
    /// Lines on a second y axis (its own range), drawn dashed.
    secondary: Vec<Line<'a>>,
    /// How many lines get a legend entry (the race names only its leaders).
    legend: usize,
}

/// The score of every team on one chart; `leaders` of them named in the legend.
pub fn race(
    teams: &[(String, Series)],
    leaders: usize,
    markers: &[Marker],
) -> Result<String, DebriefError> {
    let t = teams.first().map_or(&[][..], |(_, s)| &s.t[..]);
    let lines = teams
        .iter()
        .enumerate()
        .map(|(i, (name, s))| Line {
            name,
            colour: palette(i),
            values: &s.score,
            filled: false,
        })
        .collect();
    draw(
        &Chart {
            title: "",
            width: RACE_WIDTH,
            height: RACE_HEIGHT,
            t,
            lines,
            secondary: Vec::new(),
            legend: leaders,
        },
        markers,
    )
}

impl<'a> Line<'a> {
    fn new(name: &'a str, colour: RGBColor, values: &'a [f64]) -> Line<'a> {
        Line {
            name,
            colour,
            values,
            filled: false,
        }
    }
}

impl<'a> Chart<'a> {
    /// A team chart of `lines`, every one named in the legend.
    fn team(title: &'a str, t: &'a [f64], lines: Vec<Line<'a>>) -> Chart<'a> {
        Chart {
            title,
            width: WIDTH,
            height: HEIGHT,
            t,
            legend: lines.len(),
            lines,
            secondary: Vec::new(),
        }
    }
}

/// A team's four health charts.
pub fn team(s: &Series, markers: &[Marker]) -> Result<[String; 4], DebriefError> {
    let mut score = Chart::team(
        "Score (points)",
        &s.t,
        vec![Line::new("score", LINE, &s.score)],
    );
    score.legend = 0;
    // Errors stacked by kind: each layer is drawn as the sum of it and those below, the
    // tallest first so that the lower layers stay visible over it.
    let mut stacked: Vec<(String, Vec<f64>)> = Vec::new();
    let mut sum = vec![0.0; s.t.len()];
    for (kind, values) in &s.errors_per_s {
        for (acc, v) in sum.iter_mut().zip(values) {
            *acc += v;
        }
        stacked.push((format!("{kind}/s"), sum.clone()));
    }
    let mut lines: Vec<Line> = stacked
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (name, values))| Line {
            filled: true,
            ..Line::new(name, KIND_COLOURS[i % KIND_COLOURS.len()], values)
        })
        .collect();
    lines.push(Line::new("correct/s", GOOD, &s.correct_per_s));
    let answers = Chart::team(
        "Answers a second: correct, errors stacked by kind",
        &s.t,
        lines,
    );
    let latency = Chart::team(
        "Latency from due (ms)",
        &s.t,
        vec![
            Line::new("p50", LINE, &s.p50_ms),
            Line::new("p99", ALERT, &s.p99_ms),
        ],
    );
    let mut servers = Chart::team(
        "Instances billed (left) and cost in $ (right, dashed)",
        &s.t,
        vec![Line::new("instances", LINE, &s.instances)],
    );
    servers.secondary = vec![Line::new("cost $", ALERT, &s.cost)];
    Ok([
        draw(&score, markers)?,
        draw(&answers, markers)?,
        draw(&latency, markers)?,
        draw(&servers, markers)?,
    ])
}

/// Draws one chart as an `<svg>` element.
fn draw(chart: &Chart<'_>, markers: &[Marker]) -> Result<String, DebriefError> {
    let mut svg = String::new();
    let mut marks = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (chart.width, chart.height)).into_drawing_area();
        plot(&root, chart, markers, &mut marks).map_err(|e| DebriefError::Chart(e.to_string()))?;
        root.present()
            .map_err(|e| DebriefError::Chart(e.to_string()))?;
    }
    // The markers go last, on top, each a line with a title the browser shows on hover.
    if let Some(end) = svg.rfind("</svg>") {
        svg.insert_str(end, &marks);
    }
    Ok(svg)
}

fn plot(
    root: &Area<'_>,
    chart: &Chart<'_>,
    markers: &[Marker],
    marks: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let end = chart.t.last().copied().unwrap_or(1.0).max(1.0);
    let (low, high) = range(chart.lines.iter().map(|l| l.values));
    let mut c = ChartBuilder::on(root)
        .margin(6)
        .margin_right(24)
        .caption(chart.title, ("sans-serif", 15))
        .x_label_area_size(22)
        .y_label_area_size(52)
        .right_y_label_area_size(if chart.secondary.is_empty() { 0 } else { 52 })
        .build_cartesian_2d(0.0..end, low..high)?
        .set_secondary_coord(0.0..end, {
            let (l, h) = range(chart.secondary.iter().map(|l| l.values));
            l..h
        });
    c.configure_mesh()
        .max_light_lines(0)
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&|x| clock(*x))
        .y_label_formatter(&|y| short(*y))
        .draw()?;
    if !chart.secondary.is_empty() {
        c.configure_secondary_axes()
            .y_labels(5)
            .y_label_formatter(&|y| short(*y))
            .draw()?;
    }
    for (i, line) in chart.lines.iter().enumerate() {
        // A gap (nothing answered) is left out: the line joins the points around it.
        let points = chart
            .t
            .iter()
            .copied()
            .zip(line.values.iter().copied())
            .filter(|(_, v)| v.is_finite());
        let colour = line.colour;
        let drawn = if line.filled {
            c.draw_series(AreaSeries::new(points, 0.0, colour.mix(0.55)).border_style(colour))?
        } else {
            c.draw_series(LineSeries::new(points, colour.stroke_width(2)))?
        };
        if i < chart.legend {
            drawn.label(line.name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(3))
            });
        }
    }
    for line in &chart.secondary {
        let points = chart.t.iter().copied().zip(line.values.iter().copied());
        let colour = line.colour;
        c.draw_secondary_series(DashedLineSeries::new(points, 6, 4, colour.stroke_width(2)))?
            .label(line.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(3))
            });
    }
    if chart.legend > 0 {
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .draw()?;
    }
    let (_, ys) = c.plotting_area().get_pixel_range();
    for m in markers.iter().filter(|m| m.at.0 as f64 / 1000.0 <= end) {
        let (x, _) = c.backend_coord(&(m.at.0 as f64 / 1000.0, low));
        marks.push_str(&marker_line(m, x, &ys));
    }
    Ok(())
}

/// A marker as an SVG line across the plot at `x`, its hover title saying what it was.
fn marker_line(m: &Marker, x: i32, ys: &std::ops::Range<i32>) -> String {
    format!(
        "<line class=\"marker {}\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" \
         stroke-width=\"3\" stroke-dasharray=\"4 3\" opacity=\"0.7\"><title>{} {}: {}</title></line>",
        m.kind.name(),
        ys.start,
        ys.end,
        m.kind.colour(),
        m.at,
        m.kind.name(),
        escape(&m.text),
    )
}

/// A y range that holds every value (and zero), with a little room above.
fn range<'a>(lines: impl Iterator<Item = &'a [f64]>) -> (f64, f64) {
    let (mut low, mut high) = (0.0f64, 0.0f64);
    for v in lines.flatten() {
        low = low.min(*v);
        high = high.max(*v);
    }
    if high - low < 1e-9 {
        high = low + 1.0;
    }
    let pad = (high - low) * 0.05;
    (if low < 0.0 { low - pad } else { low }, high + pad)
}

/// Game seconds as `h:mm:ss` or `mm:ss`.
fn clock(secs: f64) -> String {
    scoreboard_domain::GameTime((secs.max(0.0) * 1000.0) as u64).to_string()
}

/// A number for an axis: `1.2k`, `35`, `0.5`.
fn short(v: f64) -> String {
    match v.abs() {
        a if a >= 1_000_000.0 => format!("{:.1}M", v / 1_000_000.0),
        a if a >= 10_000.0 => format!("{:.0}k", v / 1000.0),
        a if a >= 1000.0 => format!("{:.1}k", v / 1000.0),
        a if a >= 10.0 || a == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// The i-th team's colour (99 distinct ones, then again).
fn palette(i: usize) -> RGBColor {
    let (r, g, b) = Palette99::pick(i).rgb();
    RGBColor(r, g, b)
}
