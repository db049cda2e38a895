// Settings: Heliograph API keys (create, shown once; revoke) and provider keys.
import { api } from "../api.js";
import { copyText, h, mount, toast } from "../dom.js";
import { fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";

const PERMISSIONS = { rw: "Read and write", r: "Read only", w: "Write only (gateway, logging)" };

function section(title, intro, ...body) {
  return h("section", { class: "card", "aria-label": title }, h("h2", {}, title), intro ? h("p", { class: "muted" }, intro) : null, ...body);
}

export async function apiKeys(root, ctx) {
  const list = h("div");
  const reveal = h("div");
  const name = h("input", { placeholder: "Key name, e.g. production", "aria-label": "New key name", required: true, maxlength: 200, class: "grow", style: { maxWidth: "360px" } });
  // Helicone's key_permissions: what the key may do (enforced by every REST route and the gateway).
  const permissions = h("select", { "aria-label": "Permissions" },
    Object.entries(PERMISSIONS).map(([value, label]) => h("option", { value }, label)));
  const form = h("form", { class: "row wrap" }, name, permissions, h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Create key"));
  const load = async () => {
    mount(list, loading());
    try {
      const keys = await api.get("/v1/api-keys", { signal: ctx.signal });
      mount(list, keys.length
        ? dataTable({
            label: "API keys", testid: "api-keys-table", rows: keys,
            columns: [
              { key: "name", label: "Name", render: (k) => h("span", {}, k.name, k.current ? h("span", { class: "badge info" }, " this session") : null) },
              { key: "preview", label: "Key", render: (k) => h("code", {}, k.preview) },
              { key: "key_permissions", label: "Permissions", render: (k) => PERMISSIONS[k.key_permissions] || k.key_permissions },
              { key: "created_at", label: "Created", render: (k) => fmtTime(k.created_at) },
              { key: "actions", label: "", render: (k) => k.configured
                ? h("span", { class: "faint", title: "Set by HELIOGRAPH_API_KEY" }, "server key")
                : h("button", { type: "button", class: "danger", "aria-label": `Revoke ${k.name}`, onclick: () => revoke(k) }, icon("trash", 15), "Revoke") },
            ],
          })
        : empty("No API keys", "Create one to send requests through the proxy."));
    } catch (error) {
      if (error.name !== "AbortError") mount(list, errorState(error, load));
    }
  };
  const revoke = async (key) => {
    const warning = key.current ? " You signed in with this key: you will be signed out." : "";
    if (!window.confirm(`Revoke "${key.name}"? Requests using it fail at once.${warning}`)) return;
    try {
      await api.del(`/v1/api-keys/${key.id}`);
      toast(`Revoked ${key.name}`);
      if (key.current) window.location.assign("/signin");
      else load();
    } catch (error) { toast(error.message, "err"); }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api.post("/v1/api-keys", { name: name.value.trim(), key_permissions: permissions.value });
      name.value = "";
      mount(reveal, h("div", { class: "secret", role: "status", "data-testid": "new-api-key" },
        h("span", { class: "grow" }, "Copy your new key now; it is not shown again: ", h("code", {}, created.apiKey)),
        h("button", { type: "button", onclick: () => copyText(created.apiKey) }, icon("copy", 15), "Copy")));
      load();
    } catch (error) { toast(error.message, "err"); }
  });
  mount(root, section("Heliograph API keys",
    "Keys authenticate proxied requests (Helicone-Auth) and the REST API (Authorization: Bearer). Keys are stored hashed.",
    form, reveal, h("div", { style: { marginTop: "12px" } }, list)));
  await load();
}

export async function providerKeys(root, ctx) {
  const list = h("div");
  const provider = h("select", { "aria-label": "Provider", required: true });
  const key = h("input", { type: "password", placeholder: "Provider API key", "aria-label": "Provider API key", required: true, autocomplete: "off" });
  const name = h("input", { placeholder: "Label (optional)", "aria-label": "Label" });
  const form = h("form", { class: "form-grid" }, provider, key, name, h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Add key"));
  api.get("/v1/models", { signal: ctx.signal }).then((models) => {
    const names = [...new Set(models.flatMap ? models.flatMap((m) => m.providers || []) : [])].sort();
    mount(provider, names.map((n) => h("option", { value: n }, n)));
  }, () => mount(provider, ["openai", "anthropic", "google"].map((n) => h("option", { value: n }, n))));
  const load = async () => {
    mount(list, loading());
    try {
      const keys = await api.get("/v1/provider-keys", { signal: ctx.signal });
      mount(list, keys.length
        ? dataTable({
            label: "Provider keys", rows: keys,
            columns: [
              { key: "provider", label: "Provider" },
              { key: "name", label: "Label", render: (k) => k.name || h("span", { class: "faint" }, "—") },
              { key: "preview", label: "Key", render: (k) => h("code", {}, k.preview) },
              { key: "key_permissions", label: "Permissions", render: (k) => PERMISSIONS[k.key_permissions] || k.key_permissions },
              { key: "created_at", label: "Added", render: (k) => fmtTime(k.created_at) },
              { key: "actions", label: "", render: (k) => h("button", { type: "button", class: "danger", "aria-label": `Delete ${k.provider} key`, onclick: () => remove(k) }, icon("trash", 15), "Delete") },
            ],
          })
        : empty("No provider keys", "The gateway uses the server's provider keys until you add your own."));
    } catch (error) {
      if (error.name !== "AbortError") mount(list, errorState(error, load));
    }
  };
  const remove = async (k) => {
    if (!window.confirm(`Delete the ${k.provider} key ${k.preview}?`)) return;
    try { await api.del(`/v1/provider-keys/${k.id}`); toast("Deleted"); load(); } catch (error) { toast(error.message, "err"); }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.post("/v1/provider-keys", { provider: provider.value, key: key.value, name: name.value });
      key.value = ""; name.value = "";
      toast("Provider key added");
      load();
    } catch (error) { toast(error.message, "err"); }
  });
  mount(root, section("Provider keys",
    "Your organization's own keys for the AI gateway (/v1/chat/completions), encrypted at rest and tried before the server's.",
    form, h("div", { style: { marginTop: "12px" } }, list)));
  await load();
}
