// A collapsible JSON tree (details/summary), text only; large bodies start folded.
import { h } from "../dom.js";

const OPEN_DEPTH = 2;
const MAX_STRING = 4000;

function scalar(value) {
  if (value === null) return h("span", { class: "z" }, "null");
  if (typeof value === "string") {
    const shown = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} chars)` : value;
    return h("span", { class: "s" }, JSON.stringify(shown));
  }
  if (typeof value === "number") return h("span", { class: "n" }, String(value));
  if (typeof value === "boolean") return h("span", { class: "b" }, String(value));
  return h("span", {}, String(value));
}

function node(key, value, depth) {
  const label = key === null ? null : [h("span", { class: "k" }, JSON.stringify(key)), ": "];
  if (value === null || typeof value !== "object") return h("div", { class: "line" }, label, scalar(value));
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((v, i) => [null, v, i]) : Object.entries(value).map(([k, v]) => [k, v]);
  const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
  if (!entries.length) return h("div", { class: "line" }, label, `${open}${close}`);
  const details = h("details", { open: depth < OPEN_DEPTH },
    h("summary", {}, label, open, h("span", { class: "faint" }, ` ${entries.length} ${isArray ? "items" : "keys"} `)),
    entries.map(([k, v]) => node(k, v, depth + 1)),
    h("div", {}, close));
  return details;
}

export function jsonView(value, label = "JSON") {
  return h("div", { class: "json", role: "group", "aria-label": label }, node(null, value, 0));
}
