// Adding rows to an experiment: one typed in (a field per input key), several as JSON lines,
// or every row of a dataset (its inputs, and its request as the row's original output).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";

/** The JSON objects of `text`, one a line (blank lines skipped). */
function parseLines(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line, index) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`Line ${index + 1} is not valid JSON`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error(`Line ${index + 1} is not a JSON object`);
    return value;
  });
}

function typedRow(screen) {
  const keys = screen.data.experiment.input_keys;
  const fields = keys.map((key) => h("input", { "aria-label": `Input ${key}`, name: key }));
  const form = h("form", { class: "stack tight", "data-testid": "add-row" },
    keys.length
      ? h("div", { class: "form-grid" }, keys.map((key, i) => h("label", { class: "field" }, key, fields[i])))
      : h("p", { class: "muted" }, "The versions use no variables: a row without inputs runs each version once."),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Add row")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const inputs = Object.fromEntries(keys.map((key, i) => [key, fields[i].value]));
    try {
      await api.post(`/v2/experiment/${screen.id}/add-manual-row`, { inputs });
      toast("Row added");
      screen.reload();
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function jsonRows(screen) {
  const keys = screen.data.experiment.input_keys;
  const example = JSON.stringify(Object.fromEntries((keys.length ? keys : ["name"]).map((key) => [key, "…"])));
  const text = h("textarea", { "aria-label": "Rows as JSON lines", rows: 3, class: "mono", placeholder: example, spellcheck: "false" });
  const form = h("form", { class: "stack tight", "data-testid": "add-rows" },
    h("label", { class: "field" }, "Several rows: one JSON object of inputs a line", text),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Add rows")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const inputs = parseLines(text.value);
      if (!inputs.length) throw new Error("Write one JSON object a line");
      await api.post(`/v2/experiment/${screen.id}/add-manual-rows-batch`, { inputs });
      toast(`Added ${inputs.length} rows`);
      screen.reload();
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function datasetRows(screen) {
  const select = h("select", { "aria-label": "Dataset", "data-testid": "dataset-picker" }, h("option", { value: "" }, "Loading datasets…"));
  const form = h("form", { class: "row wrap", "data-testid": "add-dataset-rows" }, h("span", { class: "muted" }, "From a dataset"), select,
    h("button", { type: "submit" }, "Add its rows"));
  // Datasets of every type: curated ones and experiment datasets (rows of inputs).
  api.post("/v1/experiment/dataset/query", {}, { signal: screen.ctx.signal }).then((datasets) => {
    mount(select, h("option", { value: "" }, datasets.length ? "Choose a dataset…" : "No datasets yet"),
      datasets.map((d) => h("option", { value: d.id }, d.name)));
  }, (error) => { if (error.name !== "AbortError") mount(select, h("option", { value: "" }, "Datasets unavailable")); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) return;
    try {
      await api.post(`/v2/experiment/${screen.id}/row/insert/dataset/${encodeURIComponent(select.value)}`);
      toast("Dataset rows added");
      screen.reload();
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

export function rowsCard(screen) {
  return h("section", { class: "card stack", "aria-label": "Add rows", "data-testid": "rows-card" },
    h("h2", {}, "Add rows"), typedRow(screen), jsonRows(screen), datasetRows(screen));
}

/** New inputs for one row: its outputs stay until the next run makes new ones. */
export function editRowForm(screen, row, onDone) {
  const keys = [...new Set([...screen.data.experiment.input_keys, ...Object.keys(row.inputs || {})])];
  const shown = (value) => (value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value));
  const fields = keys.map((key) => h("input", { "aria-label": `New ${key}`, value: shown(row.inputs[key]) }));
  const form = h("form", { class: "card stack", "aria-label": "Edit row", "data-testid": "edit-row" },
    h("h2", {}, "Edit row"),
    h("p", { class: "muted" }, "Its answers stay until the next run, which runs the row again."),
    h("div", { class: "form-grid" }, keys.map((key, i) => h("label", { class: "field" }, key, fields[i]))),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Save row"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(false) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // A value that was not text stays what it was when its JSON still parses.
    const inputs = Object.fromEntries(keys.map((key, i) => {
      const before = row.inputs[key];
      if (before === undefined || typeof before === "string") return [key, fields[i].value];
      try { return [key, JSON.parse(fields[i].value)]; } catch { return [key, fields[i].value]; }
    }));
    try {
      await api.post(`/v2/experiment/${screen.id}/row/update`, { inputRecordId: row.id, inputs });
      toast("Row saved");
      onDone(true);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}
