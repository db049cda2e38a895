// An experiment's prompt versions: a summary of each one's outputs (calls, successes, cost,
// mean latency, mean scores), the environments each serves, promotion into an environment,
// an edit of a version's body into a new version, and comparing an existing version.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber } from "../format.js";
import { icon } from "../icons.js";
import { dataTable } from "../components/table.js";
import { environmentBadges, versionLabel } from "./prompt_data.js";

// Helicone's three, and any other the prompt has (added on the prompt's page).
const STANDARD_ENVIRONMENTS = ["production", "staging", "development"];

/** "briefer (0.1)", or the number alone for a version without a label. */
export function versionName(version) {
  const label = version.metadata && version.metadata.label;
  return label ? `${label} (${versionLabel(version)})` : versionLabel(version);
}

export function scoreText(scores) {
  const names = Object.keys(scores || {});
  if (!names.length) return null;
  return h("span", { class: "row wrap tags" }, names.map((name) => {
    const score = scores[name];
    const mean = typeof score === "number" ? score : score.mean;
    return h("span", { class: "badge", title: typeof score === "number" ? name : `${name}: ${score.count} scored, ${score.min} to ${score.max}` },
      `${name} ${fmtNumber(mean)}`);
  }));
}

function removeButton(screen, version) {
  return h("button", { type: "button", "aria-label": `Stop comparing ${versionName(version)}`, title: "Stop comparing (the version stays in the prompt)",
    onclick: async () => {
      try {
        await api.del(`/v2/experiment/${screen.id}/prompt-version/${encodeURIComponent(version.id)}`);
        screen.reload();
      } catch (error) { toast(error.message, "err"); }
    } }, icon("trash", 15));
}

/** A new version of the prompt, edited from the JSON body of one compared. */
export function addVersionForm(screen, onDone) {
  const { versions } = screen.data;
  const parent = h("select", { "aria-label": "Start from" }, versions.map((v) => h("option", { value: v.id }, versionName(v))));
  const label = h("input", { "aria-label": "Label", placeholder: "shorter", maxlength: 255 });
  const body = h("textarea", { "aria-label": "Prompt body (JSON)", rows: 16, class: "mono", spellcheck: "false" });
  const fill = () => { body.value = JSON.stringify(versions.find((v) => v.id === parent.value)?.helicone_template ?? {}, null, 2); };
  parent.addEventListener("change", fill);
  fill();
  const form = h("form", { class: "card stack", "aria-label": "Add a version", "data-testid": "add-version" },
    h("h2", {}, "Add a version"),
    h("p", { class: "muted" }, "Edit the body (an OpenAI chat completion request; variables are ", h("code", {}, "{{hc:name:type}}"),
      "). Saving makes a new version of the prompt and compares it here."),
    h("div", { class: "form-grid" }, h("label", { class: "field" }, "Start from", parent), h("label", { class: "field" }, "Label", label)),
    h("label", { class: "field" }, "Prompt body (JSON)", body),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Save version"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(false) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let template;
    try {
      template = JSON.parse(body.value);
    } catch {
      toast("The prompt body is not valid JSON", "err");
      return;
    }
    if (!template || typeof template !== "object" || Array.isArray(template)) {
      toast("The prompt body is a JSON object", "err");
      return;
    }
    try {
      const added = await api.post(`/v2/experiment/${screen.id}/prompt-version`, {
        parentPromptVersionId: parent.value, newHeliconeTemplate: template, metadata: { label: label.value.trim() },
      });
      toast(`Added version ${versionLabel(added)}`);
      onDone(true);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function promoteForm(screen) {
  const version = h("select", { "aria-label": "Version to promote" }, screen.data.versions.map((v) => h("option", { value: v.id }, versionName(v))));
  const names = new Set([...STANDARD_ENVIRONMENTS, ...screen.data.promptVersions.flatMap((v) => v.environments || [])]);
  const environment = h("select", { "aria-label": "Environment" }, [...names].map((name) => h("option", { value: name }, name)));
  const form = h("form", { class: "row wrap", "data-testid": "promote" }, h("span", { class: "muted" }, "Promote"), version,
    h("span", { class: "muted" }, "to"), environment, h("button", { type: "submit" }, "Promote"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.post(`/v2/experiment/${screen.id}/promote`, { promptVersionId: version.value, environment: environment.value });
      toast(`${environment.value} now serves ${versionName(screen.data.versions.find((v) => v.id === version.value))}`);
      screen.reload();
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

/** Compare a version of the prompt the experiment does not compare yet. */
function compareExisting(screen) {
  const compared = new Set(screen.data.versions.map((v) => v.id));
  const others = screen.data.promptVersions.filter((v) => !compared.has(v.id));
  if (!others.length) return null;
  const select = h("select", { "aria-label": "Existing version" }, others.map((v) => h("option", { value: v.id },
    `${versionLabel(v)} · ${(v.commit_message || "").slice(0, 50)}`)));
  const form = h("form", { class: "row wrap" }, h("span", { class: "muted" }, "Compare"), select, h("button", { type: "submit" }, "Compare"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.post(`/v2/experiment/${screen.id}/prompt-version`, { promptVersionId: select.value });
      screen.reload();
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function summaryTable(screen) {
  const { experiment, versions, promptVersions } = screen.data;
  const summary = (screen.progress && screen.progress.versions) || {};
  const served = new Map(promptVersions.map((v) => [v.id, v]));
  const of = (v) => summary[v.id];
  const isOriginal = (v) => v.id === experiment.original_prompt_version;
  return dataTable({
    label: "Versions", testid: "experiment-versions", rows: versions,
    columns: [
      { key: "version", label: "Version", render: (v) => h("span", { class: "row", "data-version": v.id },
        h("strong", {}, versionName(v)), isOriginal(v) && !/^original$/i.test(v.metadata?.label || "") ? h("span", { class: "badge" }, "original") : null) },
      { key: "model", label: "Model", className: "clip", render: (v) => v.model },
      { key: "environments", label: "Serves", render: (v) => h("span", { class: "row wrap" }, environmentBadges(served.get(v.id) || {})) },
      { key: "succeeded", label: "Succeeded", num: true, render: (v) => (of(v) ? `${fmtNumber(of(v).succeeded)} / ${fmtNumber(of(v).calls)}` : "—") },
      { key: "cost", label: "Cost", num: true, render: (v) => (of(v) ? fmtCost(of(v).cost) : "—") },
      { key: "latency", label: "Mean latency", num: true, render: (v) => fmtMs(of(v)?.mean_latency_ms) },
      { key: "scores", label: "Mean scores", render: (v) => scoreText(of(v)?.scores) },
      { key: "actions", label: "", render: (v) => (isOriginal(v) ? null : removeButton(screen, v)) },
    ],
  });
}

/** The versions card: {el, update()}; update() draws the summary of the latest progress. */
export function versionsCard(screen, formSlot) {
  const table = h("div");
  const addButton = h("button", { type: "button", "data-testid": "add-version-button",
    onclick: () => mount(formSlot, addVersionForm(screen, (saved) => { mount(formSlot); if (saved) screen.reload(); })) },
  icon("plus", 15), "Add a version");
  const el = h("section", { class: "card stack", "aria-label": "Versions", "data-testid": "versions-card" },
    h("div", { class: "card-head" }, h("h2", {}, `Versions (${screen.data.versions.length})`), addButton),
    table,
    h("div", { class: "row wrap" }, promoteForm(screen), h("span", { class: "grow" }), compareExisting(screen)));
  return { el, update: () => mount(table, summaryTable(screen)) };
}
