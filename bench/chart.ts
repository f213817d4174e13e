import type { HotHoursResult } from './hot-hours-bench';
import { ENGINE_LABELS, type EngineId } from './query-bench';
import { QUERY_SHAPES } from './query-shapes';
import type { BenchResults } from './results';

const ENGINE_STYLES: Record<EngineId, { color: string; dash: string }> = {
  'ours-handler': { color: '#1f6feb', dash: '' },
  'ours-http': { color: '#54aeff', dash: '5 3' },
  'duckdb-memory': { color: '#d1242f', dash: '' },
  'duckdb-memory-sorted': { color: '#bf8700', dash: '6 2' },
  'duckdb-csv': { color: '#8c959f', dash: '2 3' },
};

const PANEL = { width: 200, height: 210, gap: 28 };
const MARGIN = { left: 58, top: 78, bottom: 48, right: 16 };

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function formatCount(value: number): string {
  if (value >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (value >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(value);
}

function formatMs(value: number): string {
  return value >= 1 ? String(value) : value.toPrecision(1);
}

/**
 * Query latency (p50) against stored events, one small panel per query shape, both axes
 * logarithmic: a flat line means latency independent of how much is stored. Plain SVG, so it
 * renders on GitHub and needs no browser to produce.
 */
export function renderLatencyChart(results: Pick<BenchResults, 'latencies' | 'datasets'>): string {
  const stored = new Map(results.datasets.map((d) => [d.id, d.storedEvents]));
  const values = results.latencies.map((l) => l.p50Ms).filter((v) => v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const xs = [...stored.values()];
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const x = (events: number) =>
    xMax === xMin
      ? PANEL.width / 2
      : 12 +
        ((Math.log10(events) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) *
          (PANEL.width - 24);
  const y = (ms: number) =>
    PANEL.height -
    ((Math.log10(ms) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * PANEL.height;
  const width = MARGIN.left + QUERY_SHAPES.length * (PANEL.width + PANEL.gap) - PANEL.gap + MARGIN.right;
  const height = MARGIN.top + PANEL.height + MARGIN.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">Query latency (p50) against stored events — log scales</text>`,
  ];
  const engines = Object.keys(ENGINE_STYLES) as EngineId[];
  engines.forEach((engine, i) => {
    const { color, dash } = ENGINE_STYLES[engine];
    const lx = MARGIN.left + i * 215;
    parts.push(
      `<line x1="${lx}" y1="40" x2="${lx + 26}" y2="40" stroke="${color}" stroke-width="2.5" stroke-dasharray="${dash}"/>`,
      `<circle cx="${lx + 13}" cy="40" r="3" fill="${color}"/>`,
      `<text x="${lx + 32}" y="44">${escapeXml(ENGINE_LABELS[engine])}</text>`,
    );
  });
  const yTicks: number[] = [];
  for (let decade = yMin; decade <= yMax; decade *= 10) {
    for (const step of [1, 2, 5]) if (decade * step <= yMax) yTicks.push(decade * step);
  }
  QUERY_SHAPES.forEach((shape, panel) => {
    const left = MARGIN.left + panel * (PANEL.width + PANEL.gap);
    parts.push(`<g transform="translate(${left},${MARGIN.top})">`);
    parts.push(
      `<text x="${PANEL.width / 2}" y="-10" text-anchor="middle" font-weight="bold">${escapeXml(shape.label)}</text>`,
    );
    parts.push(`<rect width="${PANEL.width}" height="${PANEL.height}" fill="#f6f8fa" stroke="#d0d7de"/>`);
    for (const tick of yTicks) {
      const ty = y(tick).toFixed(1);
      parts.push(
        `<line x1="0" y1="${ty}" x2="${PANEL.width}" y2="${ty}" stroke="#d0d7de" stroke-width="0.5"/>`,
      );
      if (panel === 0)
        parts.push(`<text x="-6" y="${ty}" dy="3" text-anchor="end">${formatMs(tick)} ms</text>`);
    }
    for (const [id, events] of stored) {
      const tx = x(events).toFixed(1);
      parts.push(
        `<line x1="${tx}" y1="${PANEL.height}" x2="${tx}" y2="${PANEL.height + 4}" stroke="#57606a"/>`,
      );
      parts.push(
        `<text x="${tx}" y="${PANEL.height + 16}" text-anchor="middle">${formatCount(events)}</text>`,
      );
      if (panel === 0 && id === results.datasets[0]?.id) {
        parts.push(
          `<text x="${PANEL.width / 2}" y="${PANEL.height + 34}" text-anchor="middle" fill="#57606a">stored events</text>`,
        );
      }
    }
    for (const engine of engines) {
      const { color, dash } = ENGINE_STYLES[engine];
      const points = results.latencies
        .filter((l) => l.shape === shape.id && l.engine === engine && stored.has(l.dataset))
        .map((l) => ({ px: x(stored.get(l.dataset) as number), py: y(l.p50Ms) }))
        .sort((a, b) => a.px - b.px);
      if (points.length > 1) {
        const path = points.map((p) => `${p.px.toFixed(1)},${p.py.toFixed(1)}`).join(' ');
        parts.push(
          `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/>`,
        );
      }
      for (const p of points)
        parts.push(`<circle cx="${p.px.toFixed(1)}" cy="${p.py.toFixed(1)}" r="3" fill="${color}"/>`);
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * The hot-hour section as two bar panels, hot hour against quiet hour: the p50 of a partial-edge
 * request with the target's limit (twice the quiet p50) drawn across, and the read units a request.
 * Plain SVG, like the latency chart.
 */
export function renderHotHoursChart(hot: HotHoursResult): string {
  const panel = { width: 300, height: 120, gap: 60 };
  const margin = { left: 70, top: 56, bottom: 40, right: 20 };
  const width = margin.left + 2 * panel.width + panel.gap + margin.right;
  const height = margin.top + panel.height + margin.bottom;
  const rows = [
    { label: `hot: ${formatCount(hot.hot.events)}`, series: hot.hot, color: '#d1242f' },
    { label: `quiet: ${formatCount(hot.quiet.events)}`, series: hot.quiet, color: '#1f6feb' },
  ];
  const panels = [
    {
      title: 'p50 of a partial-edge request (ms)',
      value: (s: HotHoursResult['hot']) => s.p50Ms,
      limit: 2 * hot.quiet.p50Ms,
      format: (v: number) => v.toFixed(2),
    },
    {
      title: 'read units a request',
      value: (s: HotHoursResult['hot']) => s.readUnitsPerRequest,
      limit: undefined,
      format: (v: number) => String(v),
    },
  ];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="20" font-size="14" font-weight="bold">Hot hour against quiet hour, edge cache off</text>`,
  ];
  panels.forEach((p, index) => {
    const left = margin.left + index * (panel.width + panel.gap);
    const max = Math.max(...rows.map((r) => p.value(r.series)), p.limit ?? 0) * 1.1 || 1;
    const x = (v: number) => (v / max) * panel.width;
    parts.push(`<g transform="translate(${left},${margin.top})">`);
    parts.push(`<text x="0" y="-10" font-weight="bold">${escapeXml(p.title)}</text>`);
    parts.push(`<rect width="${panel.width}" height="${panel.height}" fill="#f6f8fa" stroke="#d0d7de"/>`);
    rows.forEach((r, i) => {
      const y = 18 + i * 52;
      const v = p.value(r.series);
      parts.push(
        `<rect x="0" y="${y}" width="${x(v).toFixed(1)}" height="30" fill="${r.color}"/>`,
        `<text x="${(x(v) + 4).toFixed(1)}" y="${y + 19}">${escapeXml(p.format(v))}</text>`,
      );
      if (index === 0)
        parts.push(`<text x="-6" y="${y + 19}" text-anchor="end">${escapeXml(r.label)}</text>`);
    });
    if (p.limit !== undefined) {
      const lx = x(p.limit).toFixed(1);
      parts.push(
        `<line x1="${lx}" y1="0" x2="${lx}" y2="${panel.height}" stroke="#57606a" stroke-dasharray="4 3"/>`,
        `<text x="${lx}" y="${panel.height + 14}" text-anchor="middle" fill="#57606a">target: 2× quiet</text>`,
      );
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
