// Experiments: the organization's experiments (Helicone's /v2/experiment), newest first, and
// a form to start one over a saved prompt version, or empty (a new one-message prompt).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtAgo, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";
import { byNumber, versionLabel } from "./prompt_data.js";

export const title = "Experiments";

export function statusBadge(status) {
  return h("span", { class: ["badge", status === "running" ? "info" : ""], "data-status": status }, status || "idle");
}

function versionOption(version) {
  const environments = (version.environments || []).join(", ");
  const note = [(version.commit_message || "").slice(0, 60), environments && `(${environments})`].filter(Boolean).join(" ");
  return h("option", { value: version.id }, `${versionLabel(version)}${note ? ` · ${note}` : ""}`);
}

function newExperimentForm(onDone) {
  const name = h("input", { "aria-label": "Experiment name", placeholder: "Shorter answers", required: true, maxlength: 255 });
  const prompt = h("select", { "aria-label": "Prompt", required: true }, h("option", { value: "" }, "Loading prompts…"));
  const version = h("select", { "aria-label": "Prompt version", required: true });
  const loadVersions = async () => {
    mount(version);
    if (!prompt.value) return;
    try {
      const versions = await api.post("/v1/prompt-2025/query/versions", { promptId: prompt.value });
      mount(version, versions.slice().sort(byNumber).map(versionOption));
    } catch (error) { toast(error.message, "err"); }
  };
  prompt.addEventListener("change", loadVersions);
  api.post("/v1/prompt-2025/query", { page: 0, pageSize: 100 }).then((prompts) => {
    mount(prompt, h("option", { value: "" }, prompts.length ? "Choose a prompt…" : "No prompts yet: start empty"),
      prompts.map((p) => h("option", { value: p.id }, p.name)));
  }, (error) => toast(error.message, "err"));
  const startEmpty = async () => {
    try {
      onDone((await api.post("/v2/experiment/create/empty")).experimentId);
    } catch (error) { toast(error.message, "err"); }
  };
  const form = h("form", { class: "card stack", "aria-label": "New experiment", "data-testid": "new-experiment" },
    h("h2", {}, "New experiment"),
    h("p", { class: "muted" }, "Compare versions of a prompt over rows of inputs. The version you pick is the original; "
      + "edited versions you add become new versions of the same prompt."),
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, "Name", name),
      h("label", { class: "field" }, "Prompt", prompt),
      h("label", { class: "field" }, "Version", version)),
    h("div", { class: "row wrap" },
      h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Create experiment"),
      h("button", { type: "button", "data-testid": "start-empty", onclick: startEmpty }, "Start empty"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(null) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api.post("/v2/experiment/new", { name: name.value.trim(), originalPromptVersion: version.value });
      onDone(created.experimentId);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

export async function render(ctx, ui) {
  const slot = h("div", { class: "card flush" });
  const formSlot = h("div");
  const openForm = () => mount(formSlot, newExperimentForm((id) => { mount(formSlot); if (id) navigate(`/experiments/${id}`); }));
  ui.actions.append(h("button", { type: "button", class: "primary", "data-testid": "new-experiment-button", onclick: openForm },
    icon("plus", 15), "New experiment"));
  mount(ui.main, formSlot, slot);
  const load = async () => {
    mount(slot, loading("Loading experiments"));
    let experiments;
    try {
      experiments = await api.get("/v2/experiment", { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    if (!experiments.length) {
      mount(slot, empty("No experiments yet", "Start one (New experiment) from a saved prompt version, add rows of inputs and versions to compare, and run them."));
      return;
    }
    mount(slot, dataTable({
      label: "Experiments", testid: "experiments-table", rows: experiments,
      rowHref: (e) => `/experiments/${e.id}`,
      columns: [
        { key: "name", label: "Name", className: "wrap", render: (e) => e.name },
        { key: "status", label: "Run", render: (e) => statusBadge(e.status) },
        { key: "inputs", label: "Inputs", className: "wrap", render: (e) => (e.input_keys.length
          ? h("span", { class: "row wrap tags" }, e.input_keys.map((key) => h("code", {}, key))) : h("span", { class: "faint" }, "—")) },
        { key: "prompt", label: "Prompt", className: "clip", render: (e) => h("a", { href: `/prompts/${encodeURIComponent(e.prompt_id)}` }, e.prompt_name || "(deleted prompt)") },
        { key: "rows", label: "Rows", className: "num", render: (e) => String(e.row_count) },
        { key: "created", label: "Created", render: (e) => h("span", { title: fmtTime(e.created_at) }, fmtAgo(e.created_at)) },
      ],
    }));
  };
  await load();
}
