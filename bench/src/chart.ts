// A small SVG chart writer: panels stacked over one shared time axis, each with its own y axis
// (linear or log), polylines, a dashed budget line, and shaded bands naming the phases of the run.
// Written by hand: a charting dependency would be larger than the chart.

export interface Series {
  color: string;
  points: ReadonlyArray<readonly [x: number, y: number]>;
  /** @defaultValue 1.5 */
  width?: number;
  /** @defaultValue 1 */
  opacity?: number;
}

export interface Panel {
  title: string;
  height: number;
  /** Log scale (values <= 0 are left out). @defaultValue false */
  log?: boolean;
  series: Series[];
  /** A dashed horizontal line with its label, e.g. the budget. */
  budget?: { y: number; label: string };
  /** Top of a linear axis; lines above it are cut at the panel's edge. @defaultValue the data's */
  yMax?: number;
}

export interface Band {
  x0: number;
  x1: number;
  label: string;
  fill: string;
  /** A line where it starts. @defaultValue true */
  separator?: boolean;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  width: number;
  xLabel: string;
  xMax: number;
  bands: Band[];
  panels: Panel[];
  legend: Array<{ label: string; color: string }>;
}

const MARGIN = { left: 70, right: 20, top: 76, gap: 34, bottom: 64 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' }[c]};`,
  );
}

/** Round numbers 1, 2 or 5 times a power of ten, about `count` of them, the last >= `max`. */
export function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [0];
  while (ticks[ticks.length - 1]! < max - step * 1e-9)
    ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten from below `min` to above `max`. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e += 1)
    ticks.push(10 ** e);
  return ticks;
}

function tickLabel(value: number): string {
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function round(n: number): string {
  return n.toFixed(1);
}

function drawPanel(
  spec: ChartSpec,
  panel: Panel,
  index: number,
  top: number,
  x: (v: number) => number,
): string {
  const out: string[] = [];
  const left = MARGIN.left;
  const right = spec.width - MARGIN.right;
  const bottom = top + panel.height;
  const values = panel.series.flatMap((s) => s.points.map((p) => p[1]));
  if (panel.budget) values.push(panel.budget.y);
  const positive = values.filter((v) => v > 0);
  let y: (v: number) => number;
  let ticks: number[];
  if (panel.log) {
    ticks = logTicks(Math.min(...positive, 1), Math.max(...positive, 10));
    const lo = Math.log10(ticks[0]!);
    const hi = Math.log10(ticks[ticks.length - 1]!);
    y = (v) => bottom - ((Math.log10(v) - lo) / (hi - lo)) * panel.height;
  } else {
    ticks = linearTicks(panel.yMax ?? Math.max(...values, 1) * 1.05);
    const hi = ticks[ticks.length - 1]!;
    y = (v) => bottom - (v / hi) * panel.height;
  }
  for (const band of spec.bands) {
    // Shaded, with a line where each phase starts: neighbours of one colour stay apart.
    out.push(
      `<rect x="${round(x(band.x0))}" y="${top}" width="${round(Math.max(1, x(band.x1) - x(band.x0)))}" height="${panel.height}" fill="${band.fill}"/>`,
    );
    if (band.separator !== false)
      out.push(
        `<line x1="${round(x(band.x0))}" x2="${round(x(band.x0))}" y1="${top}" y2="${bottom}" stroke="#aaa" stroke-width="0.8"/>`,
      );
  }
  for (const tick of ticks) {
    out.push(
      `<line x1="${left}" x2="${right}" y1="${round(y(tick))}" y2="${round(y(tick))}" stroke="#ddd" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${round(y(tick) + 4)}" text-anchor="end" font-size="11" ${FONT} fill="#444">${tickLabel(tick)}</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${right - left}" height="${panel.height}" fill="none" stroke="#888"/>`,
    `<text x="${left}" y="${top - 8}" font-size="13" font-weight="bold" ${FONT} fill="#222">${escapeXml(panel.title)}</text>`,
  );
  const clip = `panel-${index}`;
  out.push(
    `<clipPath id="${clip}"><rect x="${left}" y="${top}" width="${right - left}" height="${panel.height}"/></clipPath>`,
    `<g clip-path="url(#${clip})">`,
  );
  for (const series of panel.series) {
    const points = series.points.filter((p) => !panel.log || p[1] > 0);
    if (points.length === 0) continue;
    if (points.length === 1) {
      const [px, py] = points[0]!;
      out.push(
        `<circle cx="${round(x(px))}" cy="${round(y(py))}" r="2.5" fill="${series.color}"/>`,
      );
      continue;
    }
    const path = points.map((p) => `${round(x(p[0]))},${round(y(p[1]))}`).join(' ');
    out.push(
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="${series.width ?? 1.5}" stroke-opacity="${series.opacity ?? 1}" stroke-linejoin="round"/>`,
    );
  }
  out.push('</g>');
  if (panel.budget) {
    const by = round(y(panel.budget.y));
    out.push(
      `<line x1="${left}" x2="${right}" y1="${by}" y2="${by}" stroke="#c00" stroke-width="1.2" stroke-dasharray="6 4"/>`,
      `<text x="${right - 4}" y="${Number(by) - 4}" text-anchor="end" font-size="11" ${FONT} fill="#c00">${escapeXml(panel.budget.label)}</text>`,
    );
  }
  return out.join('\n');
}

/** The chart as an SVG document. */
export function renderChart(spec: ChartSpec): string {
  const left = MARGIN.left;
  const right = spec.width - MARGIN.right;
  const xMax = spec.xMax > 0 ? spec.xMax : 1;
  const x = (v: number) => left + (v / xMax) * (right - left);
  const panelsHeight =
    spec.panels.reduce((h, p) => h + p.height, 0) + MARGIN.gap * (spec.panels.length - 1);
  const height = MARGIN.top + panelsHeight + MARGIN.bottom;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${height}" viewBox="0 0 ${spec.width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold" ${FONT} fill="#111">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.subtitle)
    out.push(
      `<text x="${left}" y="40" font-size="11" ${FONT} fill="#555">${escapeXml(spec.subtitle)}</text>`,
    );
  let top = MARGIN.top;
  for (const [index, panel] of spec.panels.entries()) {
    out.push(drawPanel(spec, panel, index, top, x));
    top += panel.height + MARGIN.gap;
  }
  const axisY = top - MARGIN.gap;
  for (const tick of linearTicks(xMax, 12)) {
    out.push(
      `<text x="${round(x(tick))}" y="${axisY + 15}" text-anchor="middle" font-size="11" ${FONT} fill="#444">${tick}</text>`,
    );
  }
  out.push(
    `<text x="${(left + right) / 2}" y="${axisY + 32}" text-anchor="middle" font-size="12" ${FONT} fill="#222">${escapeXml(spec.xLabel)}</text>`,
  );
  // Phase names, written upwards inside the first panel's bands where there is room.
  const firstBottom = MARGIN.top + (spec.panels[0]?.height ?? 0);
  for (const band of spec.bands) {
    if (x(band.x1) - x(band.x0) < 11) continue;
    const bx = round(x(band.x0) + 11);
    out.push(
      `<text transform="translate(${bx},${firstBottom - 6}) rotate(-90)" font-size="10" ${FONT} fill="#555">${escapeXml(band.label)}</text>`,
    );
  }
  let lx = left;
  for (const item of spec.legend) {
    out.push(
      `<rect x="${lx}" y="${axisY + 42}" width="14" height="4" fill="${item.color}"/>`,
      `<text x="${lx + 18}" y="${axisY + 48}" font-size="11" ${FONT} fill="#333">${escapeXml(item.label)}</text>`,
    );
    lx += 28 + item.label.length * 6.2;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
