/**
 * Small dependency-free SVG charts. Each chart is an image with an accessible title and summary,
 * every bar or point carries its own tooltip, and a table with the same numbers sits beside it
 * (collapsed) for screen readers and for reading exact values.
 */

export type Series = { name: string; values: (number | null)[]; className: string };

const H = 100;

function Frame({
  title,
  summary,
  labels,
  max,
  format,
  legend,
  children,
}: {
  title: string;
  summary: string;
  labels: string[];
  max: number;
  format: (v: number) => string;
  legend?: Series[];
  children: React.ReactNode;
}) {
  return (
    <figure className="min-w-0 rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
      <figcaption className="mb-2 text-sm font-medium">{title}</figcaption>
      <div className="flex gap-2">
        <div className="flex w-14 shrink-0 flex-col justify-between text-right text-[10px] text-zinc-500" aria-hidden>
          <span>{format(max)}</span>
          <span>{format(0)}</span>
        </div>
        <div className="min-w-0 flex-1">{children}</div>
      </div>
      <div className="mt-1 flex justify-between pl-16 text-[10px] text-zinc-500" aria-hidden>
        <span>{labels[0]}</span>
        <span>{labels.at(-1)}</span>
      </div>
      {legend && legend.length > 1 && <Legend series={legend} />}
      <p className="sr-only">{summary}</p>
    </figure>
  );
}

/** Bars (one series, or several side by side) over evenly spaced buckets. */
export function BarChart({ title, summary, labels, series, format = String, max: fixedMax }: { title: string; summary: string; labels: string[]; series: Series[]; format?: (v: number) => string; max?: number }) {
  const max = fixedMax ?? Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const n = labels.length;
  const slot = 100 / n;
  const barWidth = (slot * 0.8) / series.length;
  return (
    <Frame title={title} summary={summary} labels={labels} max={max} format={format} legend={series}>
      <svg role="img" aria-label={title} viewBox={`0 0 100 ${H}`} preserveAspectRatio="none" className="h-32 w-full">
        <title>{title}</title>
        <desc>{summary}</desc>
        <line x1="0" y1={H} x2="100" y2={H} className="stroke-zinc-300 dark:stroke-zinc-700" strokeWidth="0.5" vectorEffect="non-scaling-stroke" />
        {series.map((s, si) =>
          s.values.map((v, i) => {
            if (v === null || v === 0) return null;
            const h = Math.max(1, (v / max) * H);
            return (
              <rect key={`${si}-${i}`} fill="currentColor" x={i * slot + slot * 0.1 + si * barWidth} y={H - h} width={barWidth} height={h} className={s.className}>
                <title>{`${labels[i]}: ${s.name} ${format(v)}`}</title>
              </rect>
            );
          }),
        )}
      </svg>
    </Frame>
  );
}

/** Lines with a dot per known point; gaps where a bucket has no value. */
export function LineChart({ title, summary, labels, series, format = String }: { title: string; summary: string; labels: string[]; series: Series[]; format?: (v: number) => string }) {
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const n = labels.length;
  const x = (i: number) => (n === 1 ? 50 : (i / (n - 1)) * 98 + 1);
  const y = (v: number) => H - (v / max) * (H - 4) - 2;
  return (
    <Frame title={title} summary={summary} labels={labels} max={max} format={format} legend={series}>
      <svg role="img" aria-label={title} viewBox={`0 0 100 ${H}`} preserveAspectRatio="none" className="h-32 w-full">
        <title>{title}</title>
        <desc>{summary}</desc>
        <line x1="0" y1={H} x2="100" y2={H} className="stroke-zinc-300 dark:stroke-zinc-700" strokeWidth="0.5" vectorEffect="non-scaling-stroke" />
        {series.map((s) => {
          const segments: string[][] = [[]];
          s.values.forEach((v, i) => (v === null ? segments.push([]) : segments.at(-1)!.push(`${x(i)},${y(v)}`)));
          return (
            <g key={s.name} className={s.className}>
              {segments
                .filter((p) => p.length > 1)
                .map((p, k) => (
                  <polyline key={k} points={p.join(" ")} fill="none" stroke="currentColor" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
                ))}
              {s.values.map((v, i) =>
                v === null ? null : (
                  <rect key={i} x={x(i) - 0.6} y={y(v) - 1.5} width="1.2" height="3" fill="currentColor">
                    <title>{`${labels[i]}: ${s.name} ${format(v)}`}</title>
                  </rect>
                ),
              )}
            </g>
          );
        })}
      </svg>
    </Frame>
  );
}

function Legend({ series }: { series: Series[] }) {
  return (
    <ul className="mt-1 flex gap-3 pl-16 text-xs text-zinc-600 dark:text-zinc-400" aria-hidden>
      {series.map((s) => (
        <li key={s.name} className="flex items-center gap-1">
          <svg viewBox="0 0 10 10" className={`h-2.5 w-2.5 ${s.className}`}>
            <rect width="10" height="10" fill="currentColor" />
          </svg>
          {s.name}
        </li>
      ))}
    </ul>
  );
}

/** A tiny bar sparkline for a table cell. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const w = 100 / values.length;
  return (
    <svg role="img" aria-label={label} viewBox="0 0 100 20" preserveAspectRatio="none" className="h-5 w-28">
      <title>{label}</title>
      {values.map((v, i) =>
        v === 0 ? null : <rect key={i} x={i * w + w * 0.1} y={20 - Math.max(1.5, (v / max) * 20)} width={w * 0.8} height={Math.max(1.5, (v / max) * 20)} fill="currentColor" className="text-red-500 dark:text-red-400" />,
      )}
    </svg>
  );
}
