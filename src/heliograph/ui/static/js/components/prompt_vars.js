// A prompt version's variables ({{hc:name:type}}) and partials ({{hcp:prompt_id:index}}), found
// as the gateway finds them (prompts/templates.py), and typed input fields for them.
import { h } from "../dom.js";

const VARIABLE = /\{\{\s*hc\s*:\s*([a-zA-Z_-][a-zA-Z0-9_-]*)\s*:\s*([a-zA-Z_-][a-zA-Z0-9_-]*)\s*\}\}/g;
const PARTIAL = /\{\{\s*hcp\s*:\s*([A-Za-z0-9_-]{1,64})\s*:\s*(\d{1,6})\s*(?::\s*([A-Za-z0-9][A-Za-z0-9_.-]{0,63}))?\s*\}\}/g;
// The parts of a body the gateway fills variables in.
const FILLED = ["messages", "tools", "response_format"];
const MAX_STRINGS = 20000;

function strings(value, out) {
  if (out.length >= MAX_STRINGS) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((item) => strings(item, out));
  else if (value && typeof value === "object") Object.values(value).forEach((item) => strings(item, out));
  return out;
}

/** The body's variables in order of first use: [{name, type}] (a name's first type wins). */
export function variablesOf(body) {
  const found = new Map();
  for (const key of FILLED) {
    for (const text of strings(body?.[key], [])) {
      for (const match of text.matchAll(VARIABLE)) {
        if (!found.has(match[1])) found.set(match[1], match[2]);
      }
    }
  }
  return [...found].map(([name, type]) => ({ name, type }));
}

/** The body's partials: [{promptId, index, environment}] (environment null: production). */
export function partialsOf(body) {
  const found = new Map();
  for (const text of strings(body?.messages, [])) {
    for (const match of text.matchAll(PARTIAL)) {
      found.set(match[0], { promptId: match[1], index: Number(match[2]), environment: match[3] || null });
    }
  }
  return [...found.values()];
}

function field(variable) {
  const label = `${variable.name} (${variable.type})`;
  const attrs = { "aria-label": variable.name, "data-variable": variable.name, "data-type": variable.type };
  let control;
  if (variable.type === "number") control = h("input", { ...attrs, type: "number", step: "any" });
  else if (variable.type === "boolean") {
    control = h("select", attrs, h("option", { value: "" }, "—"), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
  } else control = h("textarea", { ...attrs, rows: 2 });
  return h("label", { class: "field" }, label, control);
}

/** Input fields for `variables`: {el, read()}, read() giving the inputs (empty ones left out). */
export function inputFields(variables) {
  const el = h("div", { class: "form-grid inputs", "data-testid": "playground-inputs" }, variables.map(field));
  const read = () => {
    const inputs = {};
    for (const control of el.querySelectorAll("[data-variable]")) {
      const { variable, type } = control.dataset;
      if (control.value === "") continue;
      if (type === "number") inputs[variable] = Number(control.value);
      else if (type === "boolean") inputs[variable] = control.value === "true";
      else inputs[variable] = control.value;
    }
    return inputs;
  };
  return { el, read };
}

/** The variables as a table of name and type, with the partials named below it. */
export function variablesView(body) {
  const variables = variablesOf(body);
  const partials = partialsOf(body);
  return h("div", { class: "stack", "data-testid": "variables" },
    variables.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "data", "aria-label": "Variables" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Variable"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Written"))),
          h("tbody", {}, variables.map((v) => h("tr", {}, h("td", {}, h("code", {}, v.name)), h("td", {}, v.type),
            h("td", {}, h("code", {}, `{{hc:${v.name}:${v.type}}}`)))))))
      : h("p", { class: "muted" }, "This version has no variables."),
    partials.length
      ? h("p", { class: "muted" }, "Partials: ", partials.map((p, i) => [i ? ", " : "",
          h("a", { href: `/prompts/${encodeURIComponent(p.promptId)}` }, `message ${p.index} of ${p.promptId}`),
          p.environment ? ` (${p.environment})` : ""]),
        ". Their variables are filled from this prompt's inputs too.")
      : null);
}
