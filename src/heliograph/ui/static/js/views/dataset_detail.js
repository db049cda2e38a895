// One dataset: its rows (newest first, a page at a time) with the curated request and
// answer, each editable (only the row's copy changes, never the logged request) or
// removable; exports as fine-tuning JSONL, CSV or JSON; delete.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtAgo, fmtTime, truncate } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { previewText, requestMessages, responseMessages } from "../components/messages.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable, pager } from "../components/table.js";

export const title = "Dataset";
const PAGE_SIZE = 25;

function parsed(textarea, label) {
  try {
    return JSON.parse(textarea.value);
  } catch {
    throw new Error(`${label} is not valid JSON`);
  }
}

function editForm(datasetId, row, onDone) {
  const request = h("textarea", { "aria-label": "Request body", rows: 10, class: "code" });
  const response = h("textarea", { "aria-label": "Response body", rows: 10, class: "code" });
  request.value = JSON.stringify(row.request_body, null, 2);
  response.value = JSON.stringify(row.response_body, null, 2);
  const form = h("form", { class: "card stack", "aria-label": "Edit row", "data-testid": "edit-row" },
    h("h2", {}, "Edit row"),
    h("p", { class: "muted" }, "Changes this dataset's copy only; the logged request stays as it was."),
    h("label", { class: "field" }, "Request body", request),
    h("label", { class: "field" }, "Response body", response),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Save row"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(false) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = { requestBody: parsed(request, "Request body"), responseBody: parsed(response, "Response body") };
      await api.post(`/v1/helicone-dataset/${datasetId}/request/${row.id}`, body);
      toast("Row saved");
      onDone(true);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function exportLinks(datasetId) {
  const link = (format, label) => h("a", { class: "button", href: `/v1/helicone-dataset/${datasetId}/export?format=${format}`,
    download: "", "data-testid": `export-${format}` }, icon("download", 15), label);
  return [link("jsonl", "Fine-tuning JSONL"), link("csv", "CSV"), link("json", "JSON")];
}

export async function render(ctx, ui) {
  const datasetId = ctx.params[0];
  const state = { page: 0 };
  const heading = h("div", { class: "stack" });
  const formSlot = h("div");
  const slot = h("div", { class: "card flush" });
  ui.actions.append(...exportLinks(datasetId),
    h("button", { type: "button", class: "danger", "data-testid": "delete-dataset", onclick: async () => {
      if (!window.confirm("Delete this dataset and its rows? The logged requests stay.")) return;
      try {
        await api.post(`/v1/helicone-dataset/${datasetId}/delete`);
        navigate("/datasets");
      } catch (error) { toast(error.message, "err"); }
    } }, icon("trash", 15), "Delete"));
  mount(ui.main, heading, formSlot, slot);

  const remove = async (row) => {
    try {
      await api.post(`/v1/helicone-dataset/${datasetId}/mutate`, { addRequests: [], removeRequests: [row.id] });
      toast("Row removed");
      load();
    } catch (error) { toast(error.message, "err"); }
  };
  const load = async () => {
    mount(slot, loading("Loading rows"));
    let found, rows;
    try {
      [found, rows] = await Promise.all([
        api.post("/v1/helicone-dataset/query", { datasetIds: [datasetId] }, { signal: ctx.signal }),
        api.post(`/v1/helicone-dataset/${datasetId}/query`, { offset: state.page * PAGE_SIZE, limit: PAGE_SIZE + 1 }, { signal: ctx.signal }),
      ]);
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    const dataset = found[0];
    if (!dataset) { mount(slot, empty("No such dataset", "It was deleted, or belongs to another organization.")); return; }
    ui.setTitle(dataset.name);
    mount(heading, h("p", { class: "muted", "data-testid": "dataset-count" }, `${dataset.requests_count} rows`, dataset.description ? ` · ${dataset.description}` : ""));
    if (!rows.length) {
      mount(slot, empty("No rows yet", "Select requests on the Requests screen and choose Add to dataset."));
      return;
    }
    const shown = rows.slice(0, PAGE_SIZE);
    mount(slot, dataTable({
      label: "Dataset rows", testid: "dataset-rows", rows: shown,
      columns: [
        { key: "added", label: "Added", render: (r) => h("span", { title: fmtTime(r.created_at) }, fmtAgo(r.created_at)) },
        { key: "request", label: "Request", className: "preview", render: (r) => truncate(previewText(requestMessages(r.request_body)) || "", 80) || "—" },
        { key: "response", label: "Response", className: "preview", render: (r) => truncate(previewText(responseMessages(r.response_body)) || "", 80) || "—" },
        { key: "source", label: "Source", render: (r) => (r.origin_request_id ? h("a", { href: `/requests/${r.origin_request_id}` }, "request") : h("span", { class: "faint" }, "imported")) },
        { key: "actions", label: "", render: (r) => h("span", { class: "row" },
          h("button", { type: "button", "aria-label": "Edit row", onclick: () => mount(formSlot, editForm(datasetId, r, (saved) => { mount(formSlot); if (saved) load(); })) }, icon("edit", 15)),
          h("button", { type: "button", "aria-label": "Remove row", onclick: () => remove(r) }, icon("trash", 15))) },
      ],
    }), pager({ page: state.page, size: PAGE_SIZE, shown: shown.length, hasNext: rows.length > PAGE_SIZE,
      onPage: (next) => { state.page = next; load(); } }));
  };
  await load();
}
