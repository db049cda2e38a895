// Datasets: the organization's curated datasets (Helicone's /v1/helicone-dataset), newest
// first with their row counts; a form to create an empty one.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtAgo, fmtNumber, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";

export const title = "Datasets";

function newDatasetForm(onDone) {
  const name = h("input", { "aria-label": "Dataset name", placeholder: "Customer support examples", required: true, maxlength: 200 });
  const description = h("input", { "aria-label": "Description", maxlength: 2000 });
  const form = h("form", { class: "card stack", "aria-label": "New dataset", "data-testid": "new-dataset" },
    h("h2", {}, "New dataset"),
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, "Name", name),
      h("label", { class: "field" }, "Description", description)),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Create dataset"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(null) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api.post("/v1/helicone-dataset", { datasetName: name.value.trim(), description: description.value });
      onDone(created.datasetId);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

export async function render(ctx, ui) {
  const slot = h("div", { class: "card flush" });
  const formSlot = h("div");
  ui.actions.append(h("button", { type: "button", class: "primary", "data-testid": "new-dataset-button",
    onclick: () => mount(formSlot, newDatasetForm((id) => { mount(formSlot); if (id) navigate(`/datasets/${id}`); })) },
  icon("plus", 15), "New dataset"));
  mount(ui.main, formSlot, slot);
  const load = async () => {
    mount(slot, loading("Loading datasets"));
    let datasets;
    try {
      datasets = await api.post("/v1/helicone-dataset/query", {}, { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    if (!datasets.length) {
      mount(slot, empty("No datasets yet", "Select requests on the Requests screen (or filter them) and add them to a dataset."));
      return;
    }
    mount(slot, dataTable({
      label: "Datasets", testid: "datasets-table", rows: datasets,
      rowHref: (d) => `/datasets/${d.id}`,
      columns: [
        { key: "name", label: "Name", className: "wrap", render: (d) => d.name },
        { key: "rows", label: "Rows", num: true, render: (d) => fmtNumber(d.requests_count) },
        { key: "description", label: "Description", className: "wrap", render: (d) => d.description || h("span", { class: "faint" }, "—") },
        { key: "updated", label: "Updated", render: (d) => h("span", { title: fmtTime(d.updated_at) }, fmtAgo(d.updated_at)) },
      ],
    }));
  };
  await load();
}
