// "Add to dataset" on the Requests screen: the selected requests, or every request the
// current filter matches (up to FILTER_LIMIT, newest first), into an existing dataset or a
// new one. Rows are copies: later changes to the logs leave the dataset as it was.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";

export const FILTER_LIMIT = 1000;
const NEW = "__new__";

async function target(picker, name) {
  if (picker.value !== NEW) return picker.value;
  const datasetName = name.value.trim();
  if (!datasetName) throw new Error("Name the new dataset");
  return (await api.post("/v1/helicone-dataset", { datasetName })).datasetId;
}

/** The panel; selected() gives the checked request ids, filter() the current filter AST. */
export function addToDatasetPanel({ selected, filter, onClose }) {
  const picker = h("select", { "aria-label": "Dataset", "data-testid": "dataset-picker" }, h("option", { value: NEW }, "New dataset…"));
  const name = h("input", { "aria-label": "New dataset name", placeholder: "Dataset name", maxlength: 200 });
  picker.addEventListener("change", () => { name.hidden = picker.value !== NEW; });
  const count = selected().size;
  const add = async (body, what) => {
    try {
      const id = await target(picker, name);
      await api.post(`/v1/helicone-dataset/${id}/mutate`, { addRequests: [], removeRequests: [], ...body });
      const added = await api.post(`/v1/helicone-dataset/${id}/count`);
      toast(`${what} added: the dataset holds ${added} rows`);
      onClose(id);
    } catch (error) { toast(error.message, "err"); }
  };
  api.post("/v1/helicone-dataset/query", {}).then((datasets) => {
    picker.append(...datasets.map((d) => h("option", { value: d.id }, `${d.name} (${d.requests_count})`)));
  }, () => {});
  return h("div", { class: "card stack", role: "group", "aria-label": "Add to dataset", "data-testid": "add-to-dataset" },
    h("h3", {}, "Add to dataset"),
    h("div", { class: "row wrap" }, picker, name),
    h("div", { class: "row wrap" },
      h("button", { type: "button", class: "primary", disabled: count === 0, "data-testid": "add-selected",
        onclick: () => add({ addRequests: [...selected()] }, `${count} selected`) }, icon("plus", 15), `Add ${count} selected`),
      h("button", { type: "button", "data-testid": "add-filtered",
        onclick: () => add({ filter: filter() || "all", filterLimit: FILTER_LIMIT }, "Matching requests") },
      icon("filter", 15), `Add all matching (up to ${FILTER_LIMIT})`),
      h("button", { type: "button", class: "ghost", onclick: () => onClose(null) }, "Cancel")));
}

/** The toolbar button and the slot its panel opens in. */
export function addToDatasetButton(options) {
  const slot = h("div");
  const button = h("button", { type: "button", "data-testid": "add-to-dataset-button" }, icon("plus", 16), "Add to dataset");
  const close = () => { mount(slot); button.setAttribute("aria-expanded", "false"); };
  button.addEventListener("click", () => {
    if (slot.firstChild) { close(); return; }
    button.setAttribute("aria-expanded", "true");
    mount(slot, addToDatasetPanel({ ...options, onClose: close }));
  });
  const refresh = () => { if (slot.firstChild) mount(slot, addToDatasetPanel({ ...options, onClose: close })); };
  return { button, slot, refresh };
}
