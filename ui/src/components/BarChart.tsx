// A small hand-drawn SVG bar chart (no chart library): one bar per bucket, time running
// from the reading direction's start (right to left in Arabic).
import { useApp } from "../context";
import { formatNumber } from "../format";

export type Bar = { label: string; value: number };

export function BarChart({ id, title, bars, format }: { id: string; title: string; bars: Bar[]; format?: (n: number) => string }) {
  const { lang } = useApp();
  const fmt = format ?? ((n: number) => formatNumber(n, lang));
  const width = 640;
  const height = 200;
  const pad = { top: 16, bottom: 36, side: 36 };
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = bars.length ? (width - pad.side * 2) / bars.length : 0;
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const rtl = lang === "ar";
  const labelEvery = Math.max(1, Math.ceil(bars.length / 8));
  return (
    <figure class="chart" id={id} data-bars={bars.length}>
      <figcaption>{title}</figcaption>
      {bars.length === 0 ? (
        <p class="muted">—</p>
      ) : (
        <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
          <line x1={pad.side} x2={width - pad.side} y1={height - pad.bottom} y2={height - pad.bottom} class="axis" />
          {bars.map((b, i) => {
            const h = ((height - pad.top - pad.bottom) * b.value) / max;
            const index = rtl ? bars.length - 1 - i : i;
            const cx = pad.side + slot * index + slot / 2;
            return (
              <g key={i} class="bar" data-label={b.label} data-value={b.value}>
                <rect x={cx - barWidth / 2} y={height - pad.bottom - h} width={barWidth} height={Math.max(h, 0)} rx={2}>
                  <title>
                    {b.label}: {fmt(b.value)}
                  </title>
                </rect>
                {b.value > 0 && bars.length <= 16 && (
                  <text x={cx} y={height - pad.bottom - h - 4} text-anchor="middle" class="bar-value">
                    {fmt(b.value)}
                  </text>
                )}
                {i % labelEvery === 0 && (
                  <text x={cx} y={height - pad.bottom + 16} text-anchor="middle" class="bar-label">
                    {b.label}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}
