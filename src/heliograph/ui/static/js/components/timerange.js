// The time range picker; its state lives in the URL (`range`, or `from`/`to` when custom).
import { h } from "../dom.js";

export const RANGES = [
  ["1h", "Last hour", 3600e3],
  ["24h", "Last 24 hours", 86400e3],
  ["7d", "Last 7 days", 7 * 86400e3],
  ["30d", "Last 30 days", 30 * 86400e3],
  ["90d", "Last 90 days", 90 * 86400e3],
  ["all", "All time", null],
  ["custom", "Custom…", null],
];

/** {key, start, end}: start/end are Dates or null (unbounded). */
export function readRange(query, fallback = "24h") {
  const key = query.get("range") || fallback;
  if (key === "custom") {
    const start = query.get("from") ? new Date(query.get("from")) : null;
    const end = query.get("to") ? new Date(query.get("to")) : null;
    return { key, start: validDate(start), end: validDate(end) };
  }
  const found = RANGES.find(([name]) => name === key) || RANGES.find(([name]) => name === fallback);
  const span = found[2];
  return { key: found[0], start: span ? new Date(Date.now() - span) : null, end: null };
}

function validDate(date) {
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/** Filter AST leaves for the range (none for "all time"). */
export function rangeLeaves(range) {
  const leaves = [];
  if (range.start) leaves.push({ request_response_rmt: { request_created_at: { gte: range.start.toISOString() } } });
  if (range.end) leaves.push({ request_response_rmt: { request_created_at: { lte: range.end.toISOString() } } });
  return leaves;
}

function localInput(date) {
  if (!date) return "";
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** The picker; `onChange({range, from, to})` gets the URL values to set. */
export function rangePicker(range, onChange, { allTime = true, fallback = "24h" } = {}) {
  const choices = RANGES.filter(([key]) => allTime || key !== "all");
  const select = h("select", { "aria-label": "Time range", "data-testid": "time-range" },
    choices.map(([key, label]) => h("option", { value: key, selected: key === range.key }, label)));
  const from = h("input", { type: "datetime-local", "aria-label": "From", value: localInput(range.start) });
  const to = h("input", { type: "datetime-local", "aria-label": "To", value: localInput(range.end) });
  const custom = h("span", { class: ["row", range.key === "custom" ? "" : "hidden"] }, from, "–", to);
  const emit = () => {
    if (select.value !== "custom") {
      onChange({ range: select.value === fallback ? null : select.value, from: null, to: null });
      return;
    }
    const start = from.value ? new Date(from.value).toISOString() : null;
    const end = to.value ? new Date(to.value).toISOString() : null;
    onChange({ range: "custom", from: start, to: end });
  };
  select.addEventListener("change", () => {
    custom.classList.toggle("hidden", select.value !== "custom");
    if (select.value === "custom" && !from.value) {
      from.value = localInput(new Date(Date.now() - 86400e3));
    }
    emit();
  });
  from.addEventListener("change", emit);
  to.addEventListener("change", emit);
  return h("span", { class: "row wrap" }, select, custom);
}
