// Settings: webhooks (create with the signing secret shown once, delete) and each one's
// delivery log with every attempt.
import { api } from "../api.js";
import { copyText, h, mount, toast } from "../dom.js";
import { fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";

function config(webhook) {
  if (typeof webhook.config !== "string") return webhook.config || {};
  try { return JSON.parse(webhook.config); } catch { return {}; }
}

const STATUS_KIND = { delivered: "ok", succeeded: "ok", success: "ok", failed: "err", dead: "err", pending: "warn", retrying: "warn" };

async function deliveries(webhook, slot, signal) {
  mount(slot, loading("Loading deliveries"));
  try {
    const rows = await api.get(`/v1/webhooks/${webhook.id}/deliveries?limit=50`, { signal });
    mount(slot, rows.length
      ? dataTable({
          label: "Deliveries", testid: "webhook-deliveries", rows,
          columns: [
            { key: "created_at", label: "Queued", render: (d) => fmtTime(d.created_at) },
            { key: "request_id", label: "Request", render: (d) => h("a", { href: `/requests/${d.request_id}` }, h("code", {}, d.request_id.slice(0, 8))) },
            { key: "status", label: "Status", render: (d) => h("span", { class: ["badge", STATUS_KIND[d.status] || ""] }, d.status) },
            { key: "attempt_count", label: "Attempts", num: true },
            { key: "last", label: "Last answer", className: "wrap", render: (d) => {
              const last = d.attempts[d.attempts.length - 1];
              if (!last) return h("span", { class: "faint" }, "—");
              return `${last.status_code ?? "no response"}${last.error ? ` · ${last.error}` : ""} · ${last.duration_ms ?? "?"} ms`;
            } },
            { key: "next", label: "Next try", render: (d) => (d.next_attempt_at && !d.completed_at ? fmtTime(d.next_attempt_at) : "—") },
          ],
        })
      : h("p", { class: "muted" }, "No deliveries yet. Requests logged from now on are sent here."));
  } catch (error) {
    if (error.name !== "AbortError") mount(slot, errorState(error));
  }
}

export async function webhooks(root, ctx) {
  const list = h("div", { class: "stack" });
  const reveal = h("div");
  const destination = h("input", { type: "url", placeholder: "https://example.com/heliograph-webhook", "aria-label": "Destination URL", required: true, "data-testid": "webhook-destination" });
  const rate = h("input", { type: "number", min: 0, max: 100, value: 100, "aria-label": "Sample rate (%)" });
  const filters = h("input", { placeholder: "env=production, app=web", "aria-label": "Property filters" });
  const include = h("input", { type: "checkbox", checked: true });
  const form = h("form", { class: "stack", style: { gap: "10px" } },
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, "Destination", destination),
      h("label", { class: "field" }, "Sample rate (%)", rate),
      h("label", { class: "field" }, "Only requests with properties", filters)),
    h("div", { class: "row wrap" }, h("label", { class: "toggle" }, include, "Include request and response bodies"),
      h("span", { class: "grow" }), h("button", { type: "submit", class: "primary", "data-testid": "webhook-create" }, icon("plus", 15), "Add webhook")));

  const load = async () => {
    mount(list, loading());
    let hooks;
    try {
      hooks = await api.get("/v1/webhooks", { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(list, errorState(error, load));
      return;
    }
    if (!hooks.length) {
      mount(list, empty("No webhooks", "Add one to have every logged request POSTed to your endpoint, signed with HMAC-SHA256."));
      return;
    }
    mount(list, hooks.map((hook) => {
      const cfg = config(hook);
      const log = h("div");
      const open = h("button", { type: "button", "aria-expanded": "false" }, "Delivery log");
      open.addEventListener("click", () => {
        const expanded = open.getAttribute("aria-expanded") === "true";
        open.setAttribute("aria-expanded", String(!expanded));
        if (expanded) log.replaceChildren();
        else deliveries(hook, log, ctx.signal);
      });
      const filtersText = (cfg.propertyFilters || []).map((f) => `${f.key}=${f.value}`).join(", ");
      return h("div", { class: "card", "data-testid": "webhook", style: { boxShadow: "none" } },
        h("div", { class: "row wrap" },
          h("code", { class: "grow", style: { overflowWrap: "anywhere" } }, hook.destination),
          open,
          h("button", { type: "button", onclick: () => sendTest(hook) }, "Send test"),
          h("button", { type: "button", class: "danger", "aria-label": `Delete webhook ${hook.destination}`, onclick: () => remove(hook) }, icon("trash", 15), "Delete")),
        h("p", { class: "muted", style: { margin: "6px 0 0" } },
          `Sample rate ${cfg.sampleRate ?? 100}% · ${cfg.includeData === false ? "no bodies" : "with bodies"}`,
          filtersText ? ` · only ${filtersText}` : "", ` · secret ${hook.hmac_key} · added ${fmtTime(hook.created_at)}`),
        log);
    }));
  };
  // One signed test delivery now (POST /v1/webhooks/{id}/test); its outcome, not logged.
  const sendTest = async (hook) => {
    try {
      const sent = await api.post(`/v1/webhooks/${hook.id}/test`, {});
      if (sent.delivered) toast(`Test delivered: HTTP ${sent.status_code} in ${sent.duration_ms} ms`);
      else toast(`Test not delivered: ${sent.error}`, "err");
    } catch (error) { toast(error.message, "err"); }
  };
  const remove = async (hook) => {
    if (!window.confirm(`Delete the webhook to ${hook.destination}? Its delivery log goes too.`)) return;
    try { await api.del(`/v1/webhooks/${hook.id}`); toast("Webhook deleted"); load(); } catch (error) { toast(error.message, "err"); }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const propertyFilters = filters.value.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
      const at = part.indexOf("=");
      return at > 0 ? { key: part.slice(0, at).trim(), value: part.slice(at + 1).trim() } : { key: part, value: "" };
    });
    try {
      const created = await api.post("/v1/webhooks", {
        destination: destination.value.trim(),
        config: { sampleRate: Number(rate.value), propertyFilters },
        includeData: include.checked,
      });
      destination.value = ""; filters.value = "";
      mount(reveal, h("div", { class: "secret", role: "status", "data-testid": "webhook-secret" },
        h("span", { class: "grow" }, "Signing secret (shown once): ", h("code", {}, created.hmac_key)),
        h("button", { type: "button", onclick: () => copyText(created.hmac_key) }, icon("copy", 15), "Copy")));
      load();
    } catch (error) { toast(error.message, "err"); }
  });
  mount(root, h("section", { class: "card", "aria-label": "Webhooks" }, h("h2", {}, "Webhooks"),
    h("p", { class: "muted" }, "Each logged request is POSTed to the destination with a Helicone-Signature header (HMAC-SHA256 of the body with the secret)."),
    form, reveal), list);
  await load();
}
