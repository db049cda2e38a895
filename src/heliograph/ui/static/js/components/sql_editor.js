// A small SQL editor: a textarea over a highlighted copy of its text, with completion of
// keywords, functions and the schema's columns. Ctrl/Cmd+Enter runs, Ctrl/Cmd+S saves.
import { h } from "../dom.js";

export const KEYWORDS = [
  "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "GROUP", "BY", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET",
  "HAVING", "AS", "IN", "IS", "NULL", "BETWEEN", "LIKE", "ILIKE", "CASE", "WHEN", "THEN", "ELSE", "END",
  "DISTINCT", "INTERVAL", "DAY", "HOUR", "MINUTE", "WEEK", "MONTH", "WITH", "JOIN", "LEFT", "INNER", "ON", "UNION", "ALL",
];
export const FUNCTIONS = [
  "count", "countIf", "sum", "sumIf", "avg", "avgIf", "min", "max", "round", "quantile", "uniq", "uniqExact",
  "toDate", "toStartOfHour", "toStartOfDay", "toStartOfWeek", "toDateTime64", "now", "today", "if", "ifNull",
  "lower", "upper", "length", "concat", "JSONExtractString", "mapKeys", "mapValues", "has", "arrayJoin", "formatDateTime",
];
const KEYWORD_SET = new Set(KEYWORDS);
const TOKEN = /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^'\\]|\\.)*'?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)/g;

/** Highlighted nodes for SQL text (text nodes and spans only). */
export function highlight(text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) out.push(document.createTextNode(text.slice(last, match.index)));
    const [token, comment, string, number, word] = match;
    let cls = null;
    if (comment) cls = "com";
    else if (string) cls = "str";
    else if (number) cls = "num";
    else if (word && KEYWORD_SET.has(word.toUpperCase())) cls = "kw";
    else if (word && text[match.index + token.length] === "(") cls = "fn";
    out.push(cls ? h("span", { class: cls }, token) : document.createTextNode(token));
    last = match.index + token.length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  out.push(document.createTextNode("\n"));
  return out;
}

/** The editor; `columns()` gives [{name, type}] for completion. */
export function sqlEditor({ value = "", columns = () => [], onRun, onSave, label = "SQL query" }) {
  const pre = h("pre", { "aria-hidden": "true" });
  const area = h("textarea", { spellcheck: "false", "aria-label": label, "data-testid": "hql-editor", autocapitalize: "off", autocomplete: "off" });
  area.value = value;
  const menu = h("ul", { class: "completions hidden", role: "listbox", "aria-label": "Completions" });
  const root = h("div", { class: "editor" }, pre, area, menu);
  let items = [];
  let active = 0;

  const paint = () => pre.replaceChildren(...highlight(area.value));
  const close = () => { menu.classList.add("hidden"); items = []; area.removeAttribute("aria-activedescendant"); };
  const wordBefore = () => {
    const before = area.value.slice(0, area.selectionStart);
    const match = before.match(/[A-Za-z_][A-Za-z0-9_]*$/);
    return match ? match[0] : "";
  };
  const accept = (index = active) => {
    const item = items[index];
    if (!item) return;
    const word = wordBefore();
    const start = area.selectionStart - word.length;
    area.setRangeText(item.insert, start, area.selectionStart, "end");
    close();
    paint();
    area.focus();
  };
  const position = () => {
    const before = area.value.slice(0, area.selectionStart);
    const lines = before.split("\n");
    const probe = h("span", {}, "M");
    pre.appendChild(probe);
    const charWidth = probe.getBoundingClientRect().width || 7.8;
    const lineHeight = probe.getBoundingClientRect().height || 20;
    probe.remove();
    const perLine = Math.max(1, Math.floor((area.clientWidth - 24) / charWidth));
    let row = 0;
    lines.slice(0, -1).forEach((line) => { row += Math.max(1, Math.ceil(line.length / perLine)); });
    const col = lines[lines.length - 1].length;
    row += Math.floor(col / perLine);
    menu.style.left = `${Math.min(12 + (col % perLine) * charWidth, Math.max(0, area.clientWidth - 220))}px`;
    menu.style.top = `${12 + (row + 1) * lineHeight - area.scrollTop}px`;
  };
  const suggest = () => {
    const word = wordBefore();
    if (word.length < 1) { close(); return; }
    const lower = word.toLowerCase();
    const seen = new Set();
    const pool = [
      ...columns().map((c) => ({ insert: c.name, type: c.type || "column" })),
      ...FUNCTIONS.map((f) => ({ insert: f, type: "function" })),
      ...KEYWORDS.map((k) => ({ insert: k, type: "keyword" })),
    ];
    items = pool.filter((item) => {
      const key = item.insert.toLowerCase();
      if (!key.startsWith(lower) || key === lower || seen.has(key)) return false;
      seen.add(key);
      return true;
    }).slice(0, 12);
    if (!items.length) { close(); return; }
    active = 0;
    menu.replaceChildren(...items.map((item, index) => h("li", {
      role: "option", id: `completion-${index}`, "aria-selected": String(index === active),
      onmousedown: (event) => { event.preventDefault(); accept(index); },
    }, h("span", {}, item.insert), h("span", { class: "type" }, item.type))));
    area.setAttribute("aria-activedescendant", "completion-0");
    menu.classList.remove("hidden");
    position();
  };
  const move = (delta) => {
    active = (active + delta + items.length) % items.length;
    [...menu.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    area.setAttribute("aria-activedescendant", `completion-${active}`);
    menu.children[active]?.scrollIntoView({ block: "nearest" });
  };

  area.addEventListener("input", () => { paint(); suggest(); });
  area.addEventListener("scroll", () => { pre.scrollTop = area.scrollTop; });
  area.addEventListener("blur", () => setTimeout(close, 100));
  area.addEventListener("keydown", (event) => {
    const open = !menu.classList.contains("hidden");
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); close(); onRun?.(); return; }
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") { event.preventDefault(); onSave?.(); return; }
    if (open && event.key === "ArrowDown") { event.preventDefault(); move(1); return; }
    if (open && event.key === "ArrowUp") { event.preventDefault(); move(-1); return; }
    if (open && (event.key === "Enter" || event.key === "Tab")) { event.preventDefault(); accept(); return; }
    if (open && event.key === "Escape") { event.preventDefault(); close(); return; }
  });
  paint();
  return {
    el: root,
    get value() { return area.value; },
    set value(text) { area.value = text; paint(); },
    insert(text) {
      area.focus();
      area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
      paint();
    },
    focus() { area.focus(); },
  };
}
