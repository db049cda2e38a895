// Settings: alert rules (metric, threshold, window, recipients), enable/disable, delete,
// and the history of breaches.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";

const METRICS = [
  ["response.status", "Error rate (%)"], ["cost", "Cost (USD)"], ["latency", "Latency (ms)"],
  ["total_tokens", "Total tokens"], ["prompt_tokens", "Prompt tokens"], ["completion_tokens", "Completion tokens"],
  ["prompt_cache_read_tokens", "Prompt cache read tokens"], ["prompt_cache_write_tokens", "Prompt cache write tokens"],
  ["count", "Request count"],
];
const WINDOWS = [["300000", "5 minutes"], ["1800000", "30 minutes"], ["3600000", "1 hour"], ["86400000", "24 hours"], ["604800000", "7 days"], ["2592000000", "30 days"]];

function metricLabel(metric) {
  return (METRICS.find(([key]) => key === metric) || [metric, metric])[1];
}

function valueText(metric, value) {
  if (value === null || value === undefined) return "—";
  if (metric === "response.status") return `${fmtNumber(value)}%`;
  if (metric === "cost") return fmtCost(value);
  if (metric === "latency") return fmtMs(value);
  return fmtNumber(value);
}

function windowText(ms) {
  const found = WINDOWS.find(([key]) => Number(key) === Number(ms));
  return found ? found[1] : fmtMs(ms);
}

function splitList(text) {
  return text.split(/[,\s]+/).map((item) => item.trim()).filter(Boolean);
}

export async function alerts(root, ctx) {
  const list = h("div");
  const historySlot = h("div");
  const name = h("input", { placeholder: "High error rate", "aria-label": "Alert name", required: true });
  const metric = h("select", { "aria-label": "Metric" }, METRICS.map(([key, label]) => h("option", { value: key }, label)));
  const threshold = h("input", { type: "number", step: "any", min: 0, value: 5, "aria-label": "Threshold", required: true });
  const window_ = h("select", { "aria-label": "Time window" }, WINDOWS.map(([key, label]) => h("option", { value: key, selected: key === "3600000" }, label)));
  const minimum = h("input", { type: "number", min: 0, placeholder: "optional", "aria-label": "Minimum requests" });
  const emails = h("input", { placeholder: "oncall@example.com", "aria-label": "E-mail recipients" });
  const hooks = h("input", { placeholder: "https://hooks.example.com/alerts", "aria-label": "Webhook URLs" });
  // Someone to tell is required: checked here, in the user's words, before the API is asked.
  const noTarget = h("p", { class: "notice", role: "alert" }, "Add an e-mail or a webhook URL to notify when the alert fires.");
  const markTargets = (missing) => {
    if (!missing) noTarget.remove();
    else if (!noTarget.isConnected) form.insertBefore(noTarget, form.lastChild);
    [emails, hooks].forEach((input) => (missing ? input.setAttribute("aria-invalid", "true") : input.removeAttribute("aria-invalid")));
  };
  [emails, hooks].forEach((input) => input.addEventListener("input", () => { if (emails.value.trim() || hooks.value.trim()) markTargets(false); }));
  const form = h("form", { class: "stack", style: { gap: "10px" } },
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, "Name", name),
      h("label", { class: "field" }, "Metric", metric),
      h("label", { class: "field" }, "Threshold", threshold),
      h("label", { class: "field" }, "Time window", window_),
      h("label", { class: "field" }, "Minimum requests", minimum),
      h("label", { class: "field" }, "E-mails (comma separated)", emails),
      h("label", { class: "field" }, "Webhook URLs", hooks)),
    h("div", { class: "row" }, h("span", { class: "grow muted" }, "An alert fires when the metric over the window reaches the threshold."),
      h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Create alert")));

  const load = async () => {
    mount(list, loading());
    let data;
    try {
      data = await api.get("/v1/alert/query", { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(list, errorState(error, load));
      return;
    }
    mount(list, data.alerts.length
      ? dataTable({
          label: "Alerts", testid: "alerts-table", rows: data.alerts,
          columns: [
            { key: "name", label: "Name" },
            { key: "metric", label: "Metric", render: (a) => metricLabel(a.metric) },
            { key: "threshold", label: "Threshold", num: true, render: (a) => valueText(a.metric, a.threshold) },
            { key: "time_window", label: "Window", render: (a) => windowText(a.time_window) },
            { key: "status", label: "State", render: (a) => h("span", { class: ["badge", a.status === "triggered" ? "err" : a.enabled ? "ok" : ""] }, a.enabled ? a.status : "disabled") },
            { key: "last_value", label: "Last value", num: true, render: (a) => valueText(a.metric, a.last_value) },
            { key: "actions", label: "", render: (a) => h("span", { class: "row" },
              h("button", { type: "button", onclick: () => toggle(a) }, a.enabled ? "Disable" : "Enable"),
              h("button", { type: "button", class: "danger", "aria-label": `Delete alert ${a.name}`, onclick: () => remove(a) }, icon("trash", 15))) },
          ],
        })
      : empty("No alerts", "Create one to get an e-mail or webhook when errors, cost or latency cross a threshold."));
    mount(historySlot, data.history.length
      ? dataTable({
          label: "Alert history", rows: data.history,
          columns: [
            { key: "alert_name", label: "Alert" },
            { key: "alert_start_time", label: "Started", render: (e) => fmtTime(e.alert_start_time) },
            { key: "alert_end_time", label: "Resolved", render: (e) => (e.alert_end_time ? fmtTime(e.alert_end_time) : h("span", { class: "badge err" }, "ongoing")) },
            { key: "value", label: "Value", num: true, render: (e) => valueText(e.alert_metric, e.value) },
            { key: "request_count", label: "Requests", num: true, render: (e) => fmtNumber(e.request_count) },
          ],
        })
      : h("p", { class: "muted" }, "No alert has fired yet."));
  };
  const toggle = async (alert) => {
    try {
      await api.raw("PATCH", `/v1/alert/${alert.id}`, { enabled: !alert.enabled });
      load();
    } catch (error) { toast(error.message, "err"); }
  };
  const remove = async (alert) => {
    if (!window.confirm(`Delete the alert "${alert.name}" and its history?`)) return;
    try { await api.del(`/v1/alert/${alert.id}`); toast("Alert deleted"); load(); } catch (error) { toast(error.message, "err"); }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: name.value.trim(), metric: metric.value, threshold: Number(threshold.value), time_window: Number(window_.value),
      emails: splitList(emails.value), webhook_urls: splitList(hooks.value),
    };
    if (minimum.value) body.minimum_request_count = Number(minimum.value);
    if (!body.emails.length && !body.webhook_urls.length) {
      markTargets(true);
      emails.focus();
      return;
    }
    try {
      await api.post("/v1/alert/create", body);
      name.value = "";
      toast("Alert created");
      load();
    } catch (error) { toast(error.message, "err"); }
  });
  mount(root,
    h("section", { class: "card", "aria-label": "New alert" }, h("h2", {}, "Alerts"), form),
    h("section", { class: "card flush", "aria-label": "Alert rules" }, list),
    h("section", { class: "card", "aria-label": "History" }, h("h2", {}, "History"), historySlot));
  await load();
}
