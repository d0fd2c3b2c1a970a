// Live charts drawn with uPlot (vendored in /assets, never from a CDN): the board's score
// race and a team's health. Each chart is kept and given new data; it is made again only
// when its lines change (other teams in the race, a new kind of error).
"use strict";

const PALETTE = ["#4cc2ff", "#ffd166", "#4ade80", "#fb7185", "#a78bfa", "#f59e0b",
  "#22d3ee", "#f472b6", "#a3e635", "#e879f9", "#94a3b8", "#fca5a5"];

function colour(i) {
  return i < PALETTE.length ? PALETTE[i] : "hsl(" + ((i * 47) % 360) + ",70%,62%)";
}

function clock(secs) {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? h + ":" + two(m) + ":" + two(r) : two(m) + ":" + two(r);
}

// A chart in `box` (an element), or the same one with new data. `lines`: [{label, colour,
// values, scale, width, dash}]; `t`: game seconds.
function chart(box, title, t, lines, height) {
  const key = lines.map((l) => l.label).join("\u0000");
  const data = [t, ...lines.map((l) => l.values)];
  if (box.chart && box.chartKey === key) {
    box.chart.setData(data);
    return box.chart;
  }
  if (box.chart) box.chart.destroy();
  const axis = { stroke: "#9fb0cc", grid: { stroke: "#2a3a5c", width: 1 },
    ticks: { stroke: "#2a3a5c" }, font: "15px system-ui", labelFont: "15px system-ui" };
  // From zero up, and never a flat range (one instance all game is a line at 1, not 0.999).
  const range = (u, min, max) => [Math.min(0, min), Math.max(max * 1.08, min + 1, 1)];
  const scales = { x: { time: false }, y: { range } };
  const axes = [{ ...axis, values: (u, vals) => vals.map(clock) }, { ...axis, size: 70 }];
  if (lines.some((l) => l.scale === "right")) {
    scales.right = { range };
    axes.push({ ...axis, scale: "right", side: 1, grid: { show: false }, size: 70 });
  }
  const opts = {
    title,
    width: Math.max(300, box.clientWidth || 600),
    height: height || 260,
    scales,
    axes,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    series: [{ label: "time", value: (u, v) => (v == null ? "" : clock(v)) }].concat(lines.map((l) => ({
      label: l.label,
      stroke: l.colour,
      width: l.width || 2,
      dash: l.dash,
      scale: l.scale || "y",
      points: { show: false },
    }))),
  };
  box.replaceChildren();
  box.chart = new uPlot(opts, data, box);
  box.chartKey = key;
  return box.chart;
}

// Calls `f` at most once per `ms`, the last call winning.
function throttled(f, ms) {
  let last = 0, timer = null;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) { last = Date.now(); f(); return; }
    if (!timer) timer = setTimeout(() => { timer = null; last = Date.now(); f(); }, wait);
  };
}

// Keeps charts as wide as their boxes.
window.addEventListener("resize", throttled(() => {
  document.querySelectorAll(".chart").forEach((box) => {
    if (box.chart) box.chart.setSize({ width: box.clientWidth, height: box.chart.height });
  });
}, 250));
