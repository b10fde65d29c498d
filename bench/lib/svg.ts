// Minimal SVG line charts for benchmark reports: stacked panels sharing an x axis, each with lines,
// shaded bands and markers. No dependencies; the output is a self-contained string.

export interface Line {
  label: string;
  color: string;
  values: readonly number[];
  dashed?: boolean;
}

export interface Band {
  label: string;
  color: string;
  lower: readonly number[];
  upper: readonly number[];
}

export interface Markers {
  label: string;
  color: string;
  /** Indexes on the x axis; drawn at the panel's bottom edge. */
  at: readonly number[];
}

export interface Panel {
  title: string;
  height: number;
  lines?: Line[];
  bands?: Band[];
  markers?: Markers[];
  /** Fixed y range (otherwise the data's). */
  yRange?: [number, number];
}

export interface Chart {
  title: string;
  width: number;
  /** Labels for the first and last x positions. */
  xLabels: [string, string];
  panels: Panel[];
}

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (x: number): string => (Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toPrecision(3) : Number(x.toFixed(2)).toString());

function pathOf(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

export function renderChart(chart: Chart): string {
  const margin = { left: 60, right: 20, top: 30, bottom: 30 };
  const gap = 28;
  const plotWidth = chart.width - margin.left - margin.right;
  const height = margin.top + chart.panels.reduce((s, p) => s + p.height + gap, 0) + margin.bottom - gap;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${chart.width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${margin.left}" y="18" font-size="13" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  let top = margin.top;
  for (const panel of chart.panels) {
    const series = [...(panel.lines ?? []).map((l) => l.values), ...(panel.bands ?? []).flatMap((b) => [b.lower, b.upper])];
    const length = Math.max(1, ...series.map((s) => s.length));
    const finite = series.flatMap((s) => s.filter(Number.isFinite));
    let [lo, hi] = panel.yRange ?? [Math.min(...finite), Math.max(...finite)];
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
    if (hi === lo) hi = lo + 1;
    const x = (i: number): number => margin.left + (length <= 1 ? 0 : (i / (length - 1)) * plotWidth);
    const y = (v: number): number => top + panel.height - ((v - lo) / (hi - lo)) * panel.height;
    out.push(`<rect x="${margin.left}" y="${top}" width="${plotWidth}" height="${panel.height}" fill="none" stroke="#ccc"/>`);
    out.push(`<text x="${margin.left + 4}" y="${top - 4}" font-weight="bold">${escape(panel.title)}</text>`);
    out.push(`<text x="${margin.left - 4}" y="${top + 10}" text-anchor="end">${fmt(hi)}</text>`);
    out.push(`<text x="${margin.left - 4}" y="${top + panel.height}" text-anchor="end">${fmt(lo)}</text>`);
    const legend: { label: string; color: string }[] = [];
    for (const band of panel.bands ?? []) {
      const upper = pathOf(band.upper, x, y);
      const lower = band.lower
        .map((v, i) => [v, i] as const)
        .reverse()
        .filter(([v]) => Number.isFinite(v))
        .map(([v, i]) => `L${x(i).toFixed(1)},${y(v).toFixed(1)}`)
        .join("");
      if (upper) out.push(`<path d="${upper}${lower}Z" fill="${band.color}" fill-opacity="0.25" stroke="none"/>`);
      legend.push(band);
    }
    for (const line of panel.lines ?? []) {
      out.push(`<path d="${pathOf(line.values, x, y)}" fill="none" stroke="${line.color}" stroke-width="1.2"${line.dashed ? ' stroke-dasharray="4 3"' : ""}/>`);
      legend.push(line);
    }
    for (const m of panel.markers ?? []) {
      for (const i of m.at) out.push(`<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${top + panel.height}" y2="${top + panel.height - 8}" stroke="${m.color}"/>`);
      legend.push(m);
    }
    let lx = margin.left + plotWidth;
    for (const item of [...legend].reverse()) {
      out.push(`<text x="${lx}" y="${top - 4}" text-anchor="end" fill="${item.color}">${escape(item.label)}</text>`);
      lx -= item.label.length * 6.2 + 14;
    }
    top += panel.height + gap;
  }
  out.push(`<text x="${margin.left}" y="${height - 10}">${escape(chart.xLabels[0])}</text>`);
  out.push(`<text x="${margin.left + plotWidth}" y="${height - 10}" text-anchor="end">${escape(chart.xLabels[1])}</text>`);
  out.push("</svg>");
  return out.join("\n");
}
