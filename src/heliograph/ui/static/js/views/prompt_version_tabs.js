// The tabs of one prompt version: its body, a diff against another version, and the
// requests that used it (counts, cost, latency, error rate, and the list).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber, fmtPercent } from "../format.js";
import { icon } from "../icons.js";
import { updateQuery } from "../router.js";
import { diffView } from "../components/diff.js";
import { jsonView } from "../components/json.js";
import { renderMessages, requestMessages } from "../components/messages.js";
import { RequestList } from "../components/request_list.js";
import { errorState, loading } from "../components/states.js";
import { variablesView } from "../components/prompt_vars.js";
import { versionLabel } from "./prompt_data.js";

function stat(label, value) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

/** Fill `slot` with what `load()` draws, or its error. */
export async function drawInto(slot, label, load, signal) {
  mount(slot, loading(label));
  try {
    mount(slot, await load());
  } catch (error) {
    if (error.name !== "AbortError" && !signal.aborted) mount(slot, errorState(error));
  }
}

export async function bodyTab(version, body) {
  const { messages, ...settings } = await body(version.id);
  const rendered = requestMessages({ messages: messages || [] });
  return h("div", { class: "stack", "data-testid": "version-body" },
    rendered && rendered.length ? renderMessages(rendered) : h("p", { class: "muted" }, "No messages: calls bring their own."),
    h("h3", {}, "Parameters"), jsonView(settings, "Parameters"),
    h("h3", {}, "Variables"), variablesView({ messages, ...settings }));
}

/** The change from `against` (default: the version before) to `version`, line by line. */
export async function diffTab(version, versions, body, against, onAgainst) {
  const others = versions.filter((v) => v.id !== version.id);
  if (!others.length) return h("p", { class: "muted" }, "This prompt has one version: nothing to compare.");
  const older = versions.slice(versions.indexOf(version) + 1)[0];
  const base = others.find((v) => v.id === against) || older || others[0];
  const select = h("select", { "aria-label": "Compare with", "data-testid": "diff-against" },
    others.map((v) => h("option", { value: v.id, selected: v.id === base.id }, `${versionLabel(v)} · ${(v.commit_message || "").slice(0, 60)}`)));
  select.addEventListener("change", () => onAgainst(select.value));
  const [before, after] = await Promise.all([body(base.id), body(version.id)]);
  return h("div", { class: "stack" },
    h("div", { class: "row wrap" }, h("span", { class: "muted" }, "Changes from"), select,
      h("span", { class: "muted" }, `to ${versionLabel(version)}`)),
    diffView(JSON.stringify(before, null, 2), JSON.stringify(after, null, 2), { label: `Diff from ${versionLabel(base)} to ${versionLabel(version)}` }));
}

/** The version's requests: totals from `usage`, then the list (newest first). */
export function requestsTab(version, usage, signal) {
  const counts = usage.get(version.id) || { requests: 0, cost: 0, latency: null, errors: 0 };
  const leaf = { request_response_rmt: { prompt_version: { equals: version.id } } };
  const list = new RequestList({ filter: () => leaf, state: { size: 25 }, signal, hasFilters: () => true, hintWhenEmpty: false });
  list.load();
  return h("div", { class: "stack", "data-testid": "version-requests" },
    h("div", { class: "stats" },
      stat("Requests", fmtNumber(counts.requests)),
      stat("Cost", fmtCost(counts.cost)),
      stat("Avg latency", fmtMs(counts.latency)),
      stat("Error rate", counts.requests ? fmtPercent(counts.errors / counts.requests) : "—")),
    list.el);
}

/** Delete one version (not the one production serves: the API answers 409). */
export function deleteVersionButton(prompt, version, done) {
  return h("button", { type: "button", class: "danger", "data-testid": "delete-version", onclick: async () => {
    if (!window.confirm(`Delete version ${versionLabel(version)}? Its number is not given again.`)) return;
    try {
      await api.del(`/v1/prompt-2025/${encodeURIComponent(prompt.id)}/${encodeURIComponent(version.id)}`);
      toast(`Deleted version ${versionLabel(version)}`);
      updateQuery({ version: null, against: null });
      done();
    } catch (error) { toast(error.message, "err"); }
  } }, icon("trash", 15), "Delete version");
}
