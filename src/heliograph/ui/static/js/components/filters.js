// The filter builder: rows of field / operator / value that become Helicone's filter AST,
// exactly as the REST API takes it. In the URL each row is one `f=field|operator|value`.
import { api } from "../api.js";
import { debounce, h } from "../dom.js";
import { icon } from "../icons.js";

const TEXT = ["equals", "not-equals", "contains", "not-contains"];
const NUMBER = ["equals", "not-equals", "gte", "lte", "gt", "lt"];
export const OPERATOR_LABELS = {
  equals: "is", "not-equals": "is not", contains: "contains", "not-contains": "does not contain",
  gte: "≥", lte: "≤", gt: ">", lt: "<",
};

export const FIELDS = [
  { key: "model", label: "Model", kind: "text" },
  { key: "provider", label: "Provider", kind: "text" },
  { key: "status", label: "Status", kind: "number" },
  { key: "user_id", label: "User", kind: "text" },
  { key: "latency", label: "Latency (ms)", kind: "number" },
  { key: "time_to_first_token", label: "Time to first token (ms)", kind: "number" },
  { key: "cost", label: "Cost (USD)", kind: "number" },
  { key: "total_tokens", label: "Total tokens", kind: "number" },
  { key: "prompt_tokens", label: "Prompt tokens", kind: "number" },
  { key: "completion_tokens", label: "Completion tokens", kind: "number" },
  { key: "request_id", label: "Request ID", kind: "uuid" },
  { key: "target_url", label: "Path", kind: "text" },
  { key: "country_code", label: "Country", kind: "text" },
  { key: "request_body", label: "Request body", kind: "body" },
  { key: "response_body", label: "Response body", kind: "body" },
  { key: "cached", label: "Cache hit", kind: "bool", yesNo: true },
  { key: "moderation_blocked", label: "Blocked by moderation", kind: "bool", yesNo: true },
  { key: "moderation", label: "Moderation", kind: "choice",
    choices: { flagged: "flagged", error_blocked: "blocked: no verdict", error_allowed: "sent: no verdict", clean: "clean" } },
  { key: "threat", label: "Prompt threat (LLM security)", kind: "bool", yesNo: true },
  { key: "helicone-score-feedback", label: "Feedback", kind: "bool" },
];

export function fieldFor(key) {
  if (key.startsWith("prop:")) return { key, label: key.slice(5), kind: "text", property: key.slice(5) };
  if (key.startsWith("score:")) return { key, label: `Score: ${key.slice(6)}`, kind: "number", score: key.slice(6) };
  return FIELDS.find((field) => field.key === key) || null;
}

export function operatorsFor(field) {
  if (!field) return TEXT;
  if (field.kind === "number") return NUMBER;
  if (field.kind === "bool" || field.kind === "uuid") return ["equals"];
  if (field.kind === "choice") return ["equals", "not-equals"];
  if (field.kind === "body") return ["contains", "not-contains"];
  return TEXT;
}

export function parseFilters(query) {
  return query.getAll("f").map((text) => {
    const first = text.indexOf("|");
    const second = text.indexOf("|", first + 1);
    if (first < 0 || second < 0) return null;
    return { field: text.slice(0, first), op: text.slice(first + 1, second), value: text.slice(second + 1) };
  }).filter((item) => item && fieldFor(item.field));
}

export function encodeFilters(filters) {
  return filters.map((item) => `${item.field}|${item.op}|${item.value}`);
}

function typed(field, value) {
  if (field.kind === "number") return Number(value);
  if (field.kind === "bool") return value === true || value === "true";
  return String(value);
}

/** One filter row as an AST leaf. */
export function leaf(filter) {
  const field = fieldFor(filter.field);
  const condition = { [filter.op]: typed(field, filter.value) };
  if (field.property) return { request_response_rmt: { properties: { [field.property]: condition } } };
  if (field.score) return { request_response_rmt: { scores: { [field.score]: condition } } };
  return { request_response_rmt: { [field.key]: condition } };
}

/** AND/OR several nodes into one (left-deep branches); "all" when there are none. */
export function combine(nodes, operator = "and") {
  const present = nodes.filter((node) => node && node !== "all");
  if (present.length === 0) return "all";
  return present.reduce((left, right) => ({ left, operator, right }));
}

export function filtersAst(filters, match = "all") {
  return combine(filters.filter(isComplete).map(leaf), match === "any" ? "or" : "and");
}

export function isComplete(filter) {
  const field = fieldFor(filter.field);
  if (!field || filter.value === "" || filter.value === undefined) return false;
  return field.kind !== "number" || Number.isFinite(Number(filter.value));
}

export function describe(filter) {
  const field = fieldFor(filter.field);
  const value = field.kind === "bool" ? (filter.value === "true" ? "yes" : "no") : field.choices?.[filter.value] ?? filter.value;
  return `${field.label} ${OPERATOR_LABELS[filter.op] || filter.op} ${value}`;
}

/** The active filters as removable chips. */
export function filterChips(filters, match, onRemove, onClear) {
  if (!filters.length) return null;
  return h("div", { class: "chips", "aria-label": "Active filters" },
    filters.length > 1 ? h("span", { class: "faint" }, match === "any" ? "Any of:" : "All of:") : null,
    filters.map((filter, index) =>
      h("span", { class: "chip", "data-testid": "filter-chip" }, describe(filter),
        h("button", { type: "button", "aria-label": `Remove filter ${describe(filter)}`, onclick: () => onRemove(index) }, icon("x", 14)))),
    h("button", { type: "button", class: "ghost", onclick: onClear }, "Clear all"));
}

/** The editing panel. `onApply(filters, match)` receives the complete rows. */
export function filterPanel({ filters, match, propertyKeys, onApply, onCancel }) {
  const rows = filters.length ? filters.map((item) => ({ ...item })) : [{ field: "model", op: "equals", value: "" }];
  let matchMode = match === "any" ? "any" : "all";
  const panel = h("form", { class: "filter-panel", "aria-label": "Filters", "data-testid": "filter-panel" });
  const list = h("div", { class: "stack", style: { gap: "8px" } });

  const fieldSelect = (row) => {
    const select = h("select", { "aria-label": "Field", "data-testid": "filter-field" },
      h("optgroup", { label: "Request" }, FIELDS.map((f) => h("option", { value: f.key, selected: f.key === row.field }, f.label))),
      propertyKeys.length
        ? h("optgroup", { label: "Properties" }, propertyKeys.map((key) =>
            h("option", { value: `prop:${key}`, selected: row.field === `prop:${key}` }, key)))
        : null);
    if (row.field.startsWith("prop:") && !propertyKeys.includes(row.field.slice(5))) {
      select.appendChild(h("option", { value: row.field, selected: true }, row.field.slice(5)));
    }
    return select;
  };

  const valueInput = (row, field) => {
    if (field.kind === "bool") {
      if (row.value !== "true" && row.value !== "false") row.value = "true";
      return h("select", { "aria-label": "Value", "data-testid": "filter-value", onchange: (e) => { row.value = e.target.value; } },
        h("option", { value: "true", selected: row.value === "true" }, field.yesNo ? "yes" : "positive"),
        h("option", { value: "false", selected: row.value === "false" }, field.yesNo ? "no" : "negative"));
    }
    if (field.choices) {
      if (!(row.value in field.choices)) row.value = Object.keys(field.choices)[0];
      return h("select", { "aria-label": "Value", "data-testid": "filter-value", onchange: (e) => { row.value = e.target.value; } },
        Object.entries(field.choices).map(([value, label]) => h("option", { value, selected: row.value === value }, label)));
    }
    const input = h("input", {
      "aria-label": "Value", "data-testid": "filter-value", value: row.value,
      type: field.kind === "number" ? "number" : "text", step: "any", placeholder: "value",
    });
    input.addEventListener("input", () => { row.value = input.value; });
    if (field.property) {
      const listId = `values-${Math.random().toString(36).slice(2)}`;
      const datalist = h("datalist", { id: listId });
      input.setAttribute("list", listId);
      const suggest = debounce(async () => {
        try {
          const values = await api.post(`/v1/property/${encodeURIComponent(field.property)}/search`, { searchTerm: input.value, limit: 20 });
          datalist.replaceChildren(...values.map((v) => h("option", { value: v })));
        } catch { /* suggestions are a nicety */ }
      }, 200);
      input.addEventListener("input", suggest);
      input.addEventListener("focus", suggest, { once: true });
      return h("span", { class: "row" }, input, datalist);
    }
    return input;
  };

  const drawRows = () => {
    list.replaceChildren(...rows.map((row, index) => {
      const field = fieldFor(row.field) || FIELDS[0];
      const operators = operatorsFor(field);
      if (!operators.includes(row.op)) row.op = operators[0];
      const select = fieldSelect(row);
      select.addEventListener("change", () => { row.field = select.value; row.value = ""; drawRows(); });
      const op = h("select", { "aria-label": "Operator", "data-testid": "filter-op" },
        operators.map((o) => h("option", { value: o, selected: o === row.op }, OPERATOR_LABELS[o])));
      op.addEventListener("change", () => { row.op = op.value; });
      return h("div", { class: "filter-row" }, select, op, valueInput(row, field),
        h("button", { type: "button", class: "ghost icon", "aria-label": "Remove this filter", onclick: () => { rows.splice(index, 1); drawRows(); } }, icon("x", 16)));
    }));
  };
  drawRows();

  const matchSelect = h("select", { "aria-label": "Match" },
    h("option", { value: "all", selected: matchMode === "all" }, "Match all filters"),
    h("option", { value: "any", selected: matchMode === "any" }, "Match any filter"));
  matchSelect.addEventListener("change", () => { matchMode = matchSelect.value; });

  panel.append(
    list,
    h("div", { class: "row wrap" },
      h("button", { type: "button", onclick: () => { rows.push({ field: "model", op: "equals", value: "" }); drawRows(); } }, icon("plus", 16), "Add filter"),
      matchSelect,
      h("span", { class: "grow" }),
      h("button", { type: "button", class: "ghost", onclick: onCancel }, "Cancel"),
      h("button", { type: "submit", class: "primary", "data-testid": "filter-apply" }, "Apply")),
  );
  panel.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply(rows.filter(isComplete), matchMode);
  });
  return panel;
}
