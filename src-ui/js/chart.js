// Charts of a result, drawn by Chart.js 4 (npm `chart.js`, bundled by scripts/build-ui's esbuild;
// no eval, no CDN, and no inline style the CSP would refuse: Chart.js sizes its canvas through
// the CSSOM). Installs window.datagataChart for the Yew side (src-ui/src/bridge/chart.rs):
//   render(canvas, spec)  draws (or redraws) the chart of `spec` on `canvas`; returns the points drawn
//   destroy(canvas)       frees it
//   png(spec)             the same chart, 1200×600 on a white page, as a PNG data URL
//   info(canvas)          { kind, points } of the chart on `canvas` (for tests)
// `spec` is src-ui/src/chart/series.rs's Series: { kind, xName, yName, xAxis, labels, points,
// xRange, xTicks }.
// The SVG file is written by the Yew side from the same spec (Chart.js draws to canvas only).
import {
  Chart,
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
} from "chart.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
);

const PNG_WIDTH = 1200;
const PNG_HEIGHT = 600;

// The locale for tick numbers: the WebView's, unless Intl refuses it (WebKitGTK reports "C"
// under LANG=C).
const locale = (() => {
  try {
    new Intl.NumberFormat(navigator.language);
    return navigator.language;
  } catch {
    return "en-US";
  }
})();

// The colours of the page's theme (styles.css), or fixed ones on white for a file.
function palette(paper) {
  if (paper) {
    return { ink: "#1b2333", muted: "#4f5a6e", grid: "#d9dee8", mark: "#2f6fd6", page: "#ffffff" };
  }
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    ink: v("--ink", "#1b2333"),
    muted: v("--muted", "#4f5a6e"),
    grid: v("--chart-grid", "#d9dee8"),
    mark: v("--tok-keyword", "#2f6fd6"),
    page: v("--panel", "#ffffff"),
  };
}

// Epoch milliseconds of a wall-clock value, as the Yew side writes them (series.rs date_text).
function dateText(ms, withTime) {
  const iso = new Date(ms).toISOString();
  return withTime ? iso.slice(0, 16).replace("T", " ") : iso.slice(0, 10);
}

// Fills the page behind the chart (a PNG has no page of its own).
const page = {
  id: "datagataPage",
  beforeDraw(chart, _args, options) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = options.color;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

function config(spec, colors, onScreen) {
  const { kind, xName, yName, xAxis, labels, points } = spec;
  const time = xAxis === "dates" || xAxis === "times";
  const xText = (v) => (time ? dateText(v, xAxis === "times") : undefined);
  const dataset = {
    label: yName,
    borderColor: colors.mark,
    backgroundColor: colors.mark,
  };
  const data =
    kind === "bar"
      ? { labels, datasets: [{ ...dataset, data: points.map((p) => p[1]) }] }
      : {
          datasets: [
            {
              ...dataset,
              data: points.map(([x, y]) => ({ x, y })),
              showLine: kind === "line",
              borderWidth: 2,
              pointRadius: kind === "scatter" ? 3 : points.length > 60 ? 0 : 2.5,
            },
          ],
        };
  const axis = (title) => ({
    title: { display: true, text: title, color: colors.ink },
    ticks: { color: colors.muted },
    grid: { color: colors.grid },
  });
  const x = axis(xName);
  if (kind !== "bar") {
    x.type = "linear";
  }
  if (time && spec.xRange) {
    // The series' own round ticks (days, hours …), the same as the SVG's.
    [x.min, x.max] = spec.xRange;
    const labels = new Map(spec.xTicks);
    x.afterBuildTicks = (scale) => {
      scale.ticks = spec.xTicks.map(([value]) => ({ value }));
    };
    x.ticks.callback = (v) => labels.get(v) ?? xText(v);
  }
  const y = { ...axis(yName), beginAtZero: kind === "bar" };
  return {
    type: kind === "scatter" ? "scatter" : kind,
    data,
    options: {
      animation: false,
      responsive: onScreen,
      maintainAspectRatio: false,
      devicePixelRatio: onScreen ? undefined : 1,
      locale,
      layout: { padding: onScreen ? 0 : 16 },
      scales: { x, y },
      plugins: {
        legend: { display: false },
        // A file carries its title (the screen has the caption and the controls).
        title: {
          display: !onScreen,
          text: spec.title,
          color: colors.ink,
          align: "start",
          font: { size: 16, weight: "bold" },
        },
        tooltip: {
          enabled: onScreen,
          callbacks: time ? { title: (items) => xText(items[0].parsed.x) } : {},
        },
        datagataPage: { color: colors.page },
      },
    },
    plugins: [page],
  };
}

// The charts on screen: canvas → { chart, spec }.
const live = new Map();

function draw(canvas, spec) {
  live.get(canvas)?.chart.destroy();
  const chart = new Chart(canvas, config(spec, palette(false), true));
  live.set(canvas, { chart, spec });
  return chart.getDatasetMeta(0).data.length;
}

// A theme change (the app's choice, or the system's) redraws the charts in its colours.
function redrawAll() {
  for (const [canvas, { spec }] of live) {
    if (canvas.isConnected) draw(canvas, spec);
    else destroy(canvas);
  }
}

function destroy(canvas) {
  live.get(canvas)?.chart.destroy();
  live.delete(canvas);
}

new MutationObserver(redrawAll).observe(document.documentElement, {
  attributes: true,
  attributeFilter: ["data-theme"],
});
window.matchMedia?.("(prefers-color-scheme: light)").addEventListener?.("change", redrawAll);

window.datagataChart = {
  render(canvas, spec) {
    return draw(canvas, spec);
  },
  destroy,
  png(spec) {
    const canvas = document.createElement("canvas");
    canvas.width = PNG_WIDTH;
    canvas.height = PNG_HEIGHT;
    canvas.className = "chart-offscreen";
    canvas.setAttribute("aria-hidden", "true");
    document.body.appendChild(canvas);
    const chart = new Chart(canvas, config(spec, palette(true), false));
    try {
      return chart.toBase64Image("image/png");
    } finally {
      chart.destroy();
      canvas.remove();
    }
  },
  info(canvas) {
    const entry = live.get(canvas);
    if (!entry) return null;
    return {
      kind: entry.chart.config.type,
      points: entry.chart.getDatasetMeta(0).data.length,
    };
  },
};
