// Settings: one section per sub-path (/settings/api-keys, /settings/webhooks, ...).
import { h, mount } from "../dom.js";
import { navigate } from "../router.js";

export const title = "Settings";

const SECTIONS = [
  ["api-keys", "API keys", () => import("./settings_keys.js").then((m) => m.apiKeys)],
  ["provider-keys", "Provider keys", () => import("./settings_keys.js").then((m) => m.providerKeys)],
  ["webhooks", "Webhooks", () => import("./settings_webhooks.js").then((m) => m.webhooks)],
  ["alerts", "Alerts", () => import("./settings_alerts.js").then((m) => m.alerts)],
  ["cache", "Cache", () => import("./settings_usage.js").then((m) => m.cache)],
  ["rate-limits", "Rate limits", () => import("./settings_usage.js").then((m) => m.rateLimits)],
  ["members", "Members", () => import("./settings_members.js").then((m) => m.members)],
];

export async function render(ctx, ui) {
  const name = ctx.params[0];
  const section = SECTIONS.find(([key]) => key === name);
  if (!section) {
    navigate("/settings/api-keys", { replace: true });
    return;
  }
  ui.setTitle(`Settings · ${section[1]}`);
  const body = h("div", { class: "stack", "data-testid": `settings-${section[0]}` });
  mount(ui.main, h("div", { class: "settings" },
    h("nav", { class: "subnav", "aria-label": "Settings sections" },
      SECTIONS.map(([key, label]) => h("a", { href: `/settings/${key}`, "aria-current": key === name ? "page" : undefined }, label))),
    body));
  const draw = await section[2]();
  if (!ctx.signal.aborted) await draw(body, ctx);
}
