// The playground of a prompt version: fill its inputs, run it through the gateway (logged as
// any gateway call), and edit its model and messages into a new version.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";
import { renderMessages, responseMessages } from "../components/messages.js";
import { loading } from "../components/states.js";
import { inputFields, partialsOf, variablesOf } from "../components/prompt_vars.js";
import { environmentsOf, versionLabel } from "./prompt_data.js";

const ROLES = ["system", "developer", "user", "assistant", "tool"];
// Helicone's three; any other name is added on the prompt's page (Environments).
const STANDARD_ENVIRONMENTS = ["production", "staging", "development"];

function answerView(run) {
  const ok = run.status >= 200 && run.status < 300;
  const error = run.response && run.response.error;
  const messages = ok ? responseMessages(run.response) : null;
  return h("div", { class: "stack", "data-testid": "playground-answer", "data-status": run.status },
    h("div", { class: "row wrap" },
      h("span", { class: ["badge", ok ? "ok" : "err"] }, String(run.status)),
      h("a", { href: `/requests/${encodeURIComponent(run.requestId)}`, "data-testid": "playground-request" }, "Open the logged request")),
    ok
      ? (messages && messages.length ? renderMessages(messages) : h("pre", { class: "code" }, JSON.stringify(run.response, null, 2)))
      : h("div", { class: "form-error", role: "alert" }, error && error.message ? error.message : JSON.stringify(run.response)));
}

function runSection(prompt, version, saved) {
  const fields = inputFields(variablesOf(saved));
  const partials = partialsOf(saved).length;
  const extra = partials
    ? h("textarea", { "aria-label": "More inputs (JSON object)", rows: 2, placeholder: '{"name": "value"}' })
    : null;
  const result = h("div", { "aria-live": "polite" });
  const run = h("button", { type: "submit", class: "primary", "data-testid": "playground-run" }, icon("play", 15), "Run");
  const form = h("form", { class: "stack" },
    fields.el.childElementCount ? fields.el : h("p", { class: "muted" }, "No variables to fill."),
    extra ? h("label", { class: "field" }, "Inputs of the partials (JSON object)", extra) : null,
    h("div", { class: "row" }, run, h("span", { class: "muted" }, `Runs ${versionLabel(version)} through the gateway; the call is logged.`)),
    result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let inputs;
    try {
      inputs = { ...(extra && extra.value.trim() ? JSON.parse(extra.value) : {}), ...fields.read() };
    } catch {
      toast("The partials' inputs are not a JSON object", "err");
      return;
    }
    run.disabled = true;
    mount(result, loading("Running"));
    try {
      const answer = await api.post("/v1/prompt-2025/playground", { promptId: prompt.id, promptVersionId: version.id, inputs });
      mount(result, answerView(answer));
    } catch (error) {
      mount(result, h("div", { class: "form-error", role: "alert" }, error.message));
    } finally {
      run.disabled = false;
    }
  });
  return h("section", { class: "card stack", "aria-label": "Run", "data-testid": "playground-run-card" }, h("h2", {}, "Run"), form);
}

function messageRow(message, rows, list) {
  const { role, content, ...extra } = message;
  const json = typeof content !== "string";
  const roleSelect = h("select", { "aria-label": "Role" },
    [...new Set([...ROLES, role || "user"])].map((r) => h("option", { value: r, selected: r === (role || "user") }, r)));
  const text = h("textarea", { "aria-label": `Message ${rows.length + 1}`, rows: 3, "data-testid": "edit-message" },
    json ? JSON.stringify(content ?? null, null, 2) : content);
  const row = { extra, json, roleSelect, text };
  const el = h("div", { class: "message-edit" },
    h("div", { class: "row" }, roleSelect, json ? h("span", { class: "badge" }, "JSON content") : null, h("span", { class: "grow" }),
      h("button", { type: "button", class: "ghost icon", "aria-label": "Remove message", onclick: () => { rows.splice(rows.indexOf(row), 1); el.remove(); } }, icon("trash", 15))),
    text);
  rows.push(row);
  list.append(el);
}

function editedBody(model, rows, other) {
  const rest = other.value.trim() ? JSON.parse(other.value) : {};
  if (!rest || typeof rest !== "object" || Array.isArray(rest)) throw new Error("The other parameters must be a JSON object");
  delete rest.model;
  delete rest.messages;
  const messages = rows.map((row) => ({ ...row.extra, role: row.roleSelect.value, content: row.json ? JSON.parse(row.text.value) : row.text.value }));
  return { model: model.value.trim(), messages, ...rest };
}

function saveControls(versions) {
  const commit = h("input", { "aria-label": "Commit message", placeholder: "What changed", maxlength: 2000 });
  const major = h("input", { type: "radio", name: "bump", value: "major", "aria-label": "New major version" });
  const minor = h("input", { type: "radio", name: "bump", value: "minor", checked: true, "aria-label": "New minor version" });
  const environment = h("select", { "aria-label": "Deploy to" }, h("option", { value: "" }, "No environment"),
    [...new Set([...STANDARD_ENVIRONMENTS, ...environmentsOf(versions).map((e) => e.name)])].map((name) => h("option", { value: name }, name)));
  const el = h("div", { class: "stack tight" }, h("label", { class: "field" }, "Commit message", commit),
    h("div", { class: "row wrap" }, h("label", { class: "toggle" }, minor, "Minor"), h("label", { class: "toggle" }, major, "Major"),
      h("label", { class: "row muted" }, "Deploy to", environment)));
  return { el, commit, major, environment };
}

function editSection(prompt, version, versions, saved, onSaved) {
  const { messages = [], model: savedModel, ...rest } = saved;
  const model = h("input", { "aria-label": "Model", value: savedModel || "", maxlength: 256, required: true });
  const rows = [];
  const list = h("div", { class: "stack", "data-testid": "edit-messages" });
  (Array.isArray(messages) ? messages : []).forEach((message) => messageRow(message, rows, list));
  const other = h("textarea", { "aria-label": "Other parameters (JSON)", rows: 4, class: "mono" }, JSON.stringify(rest, null, 2));
  const save = saveControls(versions);
  const form = h("form", { class: "stack", "data-testid": "playground-edit" },
    h("label", { class: "field" }, "Model", model),
    h("div", { class: "field" }, "Messages"), list,
    h("div", {}, h("button", { type: "button", onclick: () => messageRow({ role: "user", content: "" }, rows, list) }, icon("plus", 15), "Add message")),
    h("label", { class: "field" }, "Other parameters (JSON)", other),
    save.el,
    h("div", {}, h("button", { type: "submit", class: "primary", "data-testid": "save-version" }, "Save as new version")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let promptBody;
    try { promptBody = editedBody(model, rows, other); } catch (error) { toast(error.message, "err"); return; }
    try {
      const added = await api.post("/v1/prompt-2025/update", {
        promptId: prompt.id, promptVersionId: version.id, newMajorVersion: save.major.checked,
        commitMessage: save.commit.value, environment: save.environment.value || undefined, promptBody,
      });
      toast("Saved a new version");
      onSaved(added.id);
    } catch (error) { toast(error.message, "err"); }
  });
  return h("section", { class: "card stack", "aria-label": "Edit", "data-testid": "playground-edit-card" },
    h("h2", {}, `Edit ${versionLabel(version)} into a new version`), form);
}

/** The playground of `version`: pick another with `onVersion(id)`; `onSaved(id)` after a save. */
export async function playgroundTab({ prompt, version, versions, body, onVersion, onSaved }) {
  const saved = await body(version.id);
  const picker = h("select", { "aria-label": "Version to run", "data-testid": "playground-version" },
    versions.map((v) => h("option", { value: v.id, selected: v.id === version.id }, `${versionLabel(v)} · ${(v.commit_message || "").slice(0, 60)}`)));
  picker.addEventListener("change", () => onVersion(picker.value));
  return h("div", { class: "stack", "data-testid": "playground" },
    h("label", { class: "row" }, h("span", { class: "muted" }, "Version"), picker),
    h("div", { class: "grid cols-2 playground" },
      runSection(prompt, version, saved),
      editSection(prompt, version, versions, saved, onSaved)));
}
