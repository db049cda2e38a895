// Formatting numbers, money, durations and ClickHouse timestamps for display.

/** ClickHouse answers "2025-08-16 00:31:37.805" (UTC, no zone); ISO strings pass through. */
export function parseTime(value) {
  if (value instanceof Date) return value;
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return new Date(value);
  let text = String(value).trim();
  if (/^\d{4}-\d\d-\d\d \d/.test(text)) text = text.replace(" ", "T");
  if (/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += "Z";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function fmtTime(value) {
  const date = parseTime(value);
  if (!date) return "—";
  return date.toLocaleString(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

export function fmtDate(value) {
  const date = parseTime(value);
  return date ? date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) : "—";
}

export function fmtAgo(value) {
  const date = parseTime(value);
  if (!date) return "—";
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function fmtCost(usd) {
  const value = Number(usd);
  if (!Number.isFinite(value)) return "—";
  if (value === 0) return "$0";
  const abs = Math.abs(value);
  if (abs >= 100) return `$${value.toLocaleString(undefined, { maximumFractionDigits: 0 })}`;
  if (abs >= 1) return `$${value.toFixed(2)}`;
  if (abs >= 0.01) return `$${value.toFixed(4)}`;
  // Under a cent: always six decimals (a millionth of a dollar), never an exponent.
  if (abs < 0.0000005) return "<$0.000001";
  return `$${value.toFixed(6)}`;
}

export function fmtNumber(value) {
  const number = Number(value);
  if (value === null || value === undefined || !Number.isFinite(number)) return "—";
  return number.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

export function fmtCompact(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return "—";
  return new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(number);
}

export function fmtMs(value) {
  if (value === null || value === undefined || value === "") return "—";
  const ms = Number(value);
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function fmtPercent(fraction) {
  const value = Number(fraction);
  if (!Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
}

export function statusKind(status) {
  const code = Number(status);
  if (code >= 200 && code < 300) return "ok";
  if (code === 429 || (code >= 300 && code < 500)) return "warn";
  if (code >= 500 || code < 0) return "err";
  return "";
}

export function truncate(text, length = 120) {
  const clean = String(text ?? "").replace(/\s+/g, " ").trim();
  return clean.length > length ? `${clean.slice(0, length - 1)}…` : clean;
}
