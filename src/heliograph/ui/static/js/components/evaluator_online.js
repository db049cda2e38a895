// An evaluator's online evaluators: each with its sample rate and property filters and a
// Detach button, and a form to attach it to live traffic (Helicone's `config`).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtAgo, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { errorState, loading } from "./states.js";

function filterRow() {
  const row = h("div", { class: "row", "data-testid": "property-filter" },
    h("input", { "aria-label": "Property name", placeholder: "Environment", maxlength: 1024 }),
    h("input", { "aria-label": "Property value", placeholder: "production", maxlength: 1024 }),
    h("button", { type: "button", class: "ghost icon", "aria-label": "Remove filter", onclick: () => row.remove() }, icon("x", 15)));
  return row;
}

function attachForm(evaluatorId, onAttached) {
  const rate = h("input", { type: "number", min: 0, max: 100, step: "any", value: "100", "aria-label": "Sample rate (%)", required: true });
  const filters = h("div", { class: "stack" });
  const form = h("form", { class: "stack", "aria-label": "Attach to live traffic", "data-testid": "attach-online" },
    h("label", { class: "field" }, "Sample rate (% of matching requests)", rate),
    h("div", { class: "field" }, "Property filters (every one must match)", filters),
    h("div", { class: "row" },
      h("button", { type: "button", class: "ghost", onclick: () => filters.append(filterRow()) }, icon("plus", 15), "Add filter"),
      h("button", { type: "submit", class: "primary" }, icon("live", 15), "Attach")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const propertyFilters = [...filters.querySelectorAll("[data-testid=property-filter]")]
      .map((row) => row.querySelectorAll("input"))
      .map(([key, value]) => ({ key: key.value.trim(), value: value.value }))
      .filter((item) => item.key);
    try {
      await api.post(`/v1/evaluator/${evaluatorId}/onlineEvaluators`, { config: { sampleRate: Number(rate.value), propertyFilters } });
      toast("Attached to live traffic");
      mount(filters);
      onAttached();
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function describe(online) {
  const filters = online.config.propertyFilters || [];
  const where = filters.length ? filters.map((f) => `${f.key} = ${f.value}`).join(", ") : "every request";
  return `${online.config.sampleRate}% of ${where}`;
}

/** The "Online evaluation" card of an evaluator. */
export function onlinePanel(evaluatorId, signal) {
  const list = h("div", { "data-testid": "online-evaluators" });
  const load = async () => {
    mount(list, loading("Loading online evaluators"));
    let found;
    try {
      found = await api.get(`/v1/evaluator/${evaluatorId}/onlineEvaluators`, { signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(list, errorState(error, load));
      return;
    }
    const detach = async (online) => {
      try {
        await api.del(`/v1/evaluator/${evaluatorId}/onlineEvaluators/${online.id}`);
        toast("Detached");
        load();
      } catch (error) { toast(error.message, "err"); }
    };
    mount(list, found.length
      ? h("div", { class: "stack" }, found.map((online) => h("div", { class: "row", "data-testid": "online-evaluator" },
          h("span", { class: "grow" }, describe(online)),
          h("span", { class: "faint", title: fmtTime(online.created_at) }, fmtAgo(online.created_at)),
          h("button", { type: "button", class: "ghost", onclick: () => detach(online) }, icon("trash", 15), "Detach"))))
      : h("p", { class: "muted" }, "Not attached: it scores only when you test it."));
  };
  load();
  return h("section", { class: "card stack", "aria-label": "Online evaluation" },
    h("h2", {}, "Online evaluation"), list, attachForm(evaluatorId, load));
}
