// What the benchmarks (tools/bench/broker.mjs, client.mjs) share to report: medians, number
// formats, Markdown tables on stdout, and a progress line on stderr.

/** The median of the finite values, NaN when there are none. */
export const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** 849k, 2.59M, 950; "—" when not measured. */
export function formatRate(value) {
  if (!Number.isFinite(value)) return "—";
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e5 ? 0 : 1)}k`;
  return value.toFixed(0);
}
export const formatNumber = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "—");
export const formatRatio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "—");

/** A Markdown table: the first column left-aligned, the others right-aligned. */
export function table(header, lines) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => String(line[i]).length)));
  const render = (line) => `| ${line.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join(" | ")} |`;
  console.log(render(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const line of lines) console.log(render(line));
}

/** One line of progress on stderr: rewritten in place on a terminal, one line each otherwise. */
export function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else if (text) process.stderr.write(`${text}\n`);
}
