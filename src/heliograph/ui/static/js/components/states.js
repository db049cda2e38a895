// The designed states every screen shares: loading, empty (with a first-request hint), error.
import { copyText, h } from "../dom.js";
import { icon } from "../icons.js";

export function loading(label = "Loading") {
  return h("div", { class: "state", role: "status" }, h("div", { class: "spinner", "aria-hidden": "true" }), h("span", {}, `${label}…`));
}

export function skeletonRows(columns, rows = 8) {
  return Array.from({ length: rows }, () =>
    h("tr", { "aria-hidden": "true" }, Array.from({ length: columns }, () => h("td", {}, h("div", { class: "skeleton" })))),
  );
}

export function empty(title, body, ...extra) {
  return h("div", { class: "state" }, h("h2", {}, title), body ? h("p", { class: "muted" }, body) : null, ...extra);
}

/** An error with the server's message; `retry` adds a Try again button. */
export function errorState(error, retry) {
  const message = error && error.message ? error.message : String(error);
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("h2", {}, error && error.missingEndpoint ? "Not available on this server" : "Something went wrong"),
    h("div", { class: "message" }, message),
    error && error.missingEndpoint
      ? h("p", { class: "muted" }, "This screen needs an API endpoint this Heliograph server does not have yet.")
      : null,
    retry ? h("button", { type: "button", onclick: retry }, icon("refresh", 16), "Try again") : null,
  );
}

export function curlExample() {
  const base = window.location.origin;
  return [
    `curl ${base}/openai/v1/chat/completions \\`,
    `  -H "Authorization: Bearer $OPENAI_API_KEY" \\`,
    `  -H "Helicone-Auth: Bearer $HELIOGRAPH_API_KEY" \\`,
    `  -H "Helicone-Property-Environment: dev" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}'`,
  ].join("\n");
}

/** Empty state for "no requests logged yet": how to send the first one. */
export function firstRequestHint(title = "No requests yet") {
  const base = window.location.origin;
  const curl = curlExample();
  const python = [
    "from openai import OpenAI",
    "",
    "client = OpenAI(",
    `    base_url="${base}/openai/v1",`,
    '    default_headers={"Helicone-Auth": "Bearer <HELIOGRAPH_API_KEY>"},',
    ")",
    "client.chat.completions.create(",
    '    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]',
    ")",
  ].join("\n");
  return h(
    "div",
    { class: "state" },
    h("h2", {}, title),
    h("p", { class: "muted" }, "Send a request through this server and it shows up here within seconds. Point your client's base URL at ",
      h("code", {}, `${base}/openai/v1`), " (or ", h("code", {}, `${base}/anthropic`), ") and add your Heliograph key."),
    h(
      "div",
      { class: "hint stack" },
      h("div", { class: "row" }, h("strong", { class: "grow" }, "curl"),
        h("button", { type: "button", class: "ghost", onclick: () => copyText(curl) }, icon("copy", 15), "Copy")),
      h("pre", { class: "code" }, curl),
      h("div", { class: "row" }, h("strong", { class: "grow" }, "Python (OpenAI SDK)"),
        h("button", { type: "button", class: "ghost", onclick: () => copyText(python) }, icon("copy", 15), "Copy")),
      h("pre", { class: "code" }, python),
      h("p", { class: "muted" }, "No key at hand? Create one under ", h("a", { href: "/settings/api-keys" }, "Settings → API keys"), "."),
    ),
  );
}
