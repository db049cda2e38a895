// One request: chat-style messages, raw JSON bodies, timing, cost, editable properties,
// feedback thumbs and scores.
import { api } from "../api.js";
import { copyText, h, mount, toast } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber, fmtTime, statusKind } from "../format.js";
import { icon } from "../icons.js";
import { jsonView } from "../components/json.js";
import { renderMessages, requestMessages, responseMessages } from "../components/messages.js";
import { errorState, loading } from "../components/states.js";
import { moderationBadge, threatBadge } from "../components/request_list.js";

export const title = "Request";
const FEEDBACK = "helicone-score-feedback";
const SESSION_ID = "Helicone-Session-Id";

function stat(label, value, sub) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null);
}

function bodyTabs(row) {
  const input = requestMessages(row.request_body);
  const output = responseMessages(row.response_body);
  const tabs = [
    ["Messages", () => (input || output
      ? h("div", { class: "stack" },
          input ? renderMessages(input) : h("p", { class: "muted" }, "The request body is not a chat we can draw; see Request JSON."),
          output ? h("div", { class: "stack", style: { gap: "8px" } }, h("h3", {}, "Response"), renderMessages(output)) : h("p", { class: "muted" }, "No response body."))
      : h("p", { class: "muted" }, "Neither body is a chat we can draw; see the JSON tabs."))],
    ["Request JSON", () => jsonView(row.request_body, "Request body")],
    ["Response JSON", () => jsonView(row.response_body, "Response body")],
  ];
  const panel = h("div", { role: "tabpanel" });
  const bar = h("div", { class: "tabs", role: "tablist", "aria-label": "Request body views" });
  const select = (index) => {
    [...bar.children].forEach((button, i) => button.setAttribute("aria-selected", String(i === index)));
    mount(panel, tabs[index][1]());
  };
  tabs.forEach(([label], index) => bar.append(h("button", { type: "button", role: "tab", onclick: () => select(index) }, label)));
  select(0);
  return h("section", { class: "card", "aria-label": "Bodies" }, bar, panel);
}

function propertiesCard(row, id, refresh) {
  const properties = row.properties || row.request_properties || {};
  const entries = Object.entries(properties).sort(([a], [b]) => a.localeCompare(b));
  const save = async (key, value) => {
    await api.put(`/v1/request/${id}/property`, { key, value });
    toast(`Saved ${key}`);
    refresh();
  };
  const rowFor = ([key, value]) => {
    const cell = h("td", { class: "wrap" });
    const show = () => {
      const link = key === SESSION_ID ? h("a", { href: `/sessions/${encodeURIComponent(value)}` }, value) : value;
      mount(cell, h("span", { class: "row" }, h("span", { class: "grow", "data-testid": `property-value-${key}` }, link),
        key.startsWith("Helicone-") ? null : h("button", { type: "button", class: "ghost icon", "aria-label": `Edit ${key}`, onclick: edit }, icon("edit", 15))));
    };
    const edit = () => {
      const input = h("input", { value, "aria-label": `Value of ${key}`, "data-testid": "property-edit-input" });
      const form = h("form", { class: "row" }, input,
        h("button", { type: "submit", class: "primary" }, "Save"),
        h("button", { type: "button", class: "ghost", onclick: show }, "Cancel"));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try { await save(key, input.value); } catch (error) { toast(error.message, "err"); }
      });
      mount(cell, form);
      input.focus();
      input.select();
    };
    show();
    return h("tr", {}, h("th", { scope: "row", class: "mono" }, key), cell);
  };
  const keyInput = h("input", { placeholder: "Name", "aria-label": "New property name", required: true });
  const valueInput = h("input", { placeholder: "Value", "aria-label": "New property value", required: true });
  const add = h("form", { class: "row wrap", "data-testid": "add-property" }, keyInput, valueInput, h("button", { type: "submit" }, icon("plus", 15), "Add"));
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await save(keyInput.value.trim(), valueInput.value); } catch (error) { toast(error.message, "err"); }
  });
  return h("section", { class: "card", "aria-label": "Properties" },
    h("h2", {}, "Properties"),
    entries.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "data props", "data-testid": "properties-table" }, h("tbody", {}, entries.map(rowFor))))
      : h("p", { class: "muted" }, "No properties. Add one below, or send Helicone-Property-<Name> headers."),
    h("div", { style: { marginTop: "12px" } }, add));
}

function feedbackCard(row, id, refresh) {
  const scores = row.scores || {};
  const rating = FEEDBACK in scores ? Boolean(Number(scores[FEEDBACK])) : row.feedback_rating;
  const rate = async (value) => {
    try {
      await api.post(`/v1/request/${id}/feedback`, { rating: value });
      toast(value ? "Marked helpful" : "Marked not helpful");
      refresh();
    } catch (error) { toast(error.message, "err"); }
  };
  const thumbs = h("div", { class: "feedback", role: "group", "aria-label": "Feedback" },
    h("button", { type: "button", "aria-pressed": String(rating === true), "aria-label": "Positive feedback", "data-testid": "feedback-up", onclick: () => rate(true) }, icon("thumbUp", 16), "Good"),
    h("button", { type: "button", "aria-pressed": String(rating === false), "aria-label": "Negative feedback", "data-testid": "feedback-down", onclick: () => rate(false) }, icon("thumbDown", 16), "Bad"));
  const others = Object.entries(scores).filter(([name]) => name !== FEEDBACK);
  const name = h("input", { placeholder: "Score name", "aria-label": "Score name", required: true });
  const value = h("input", { type: "number", step: "any", placeholder: "Number", "aria-label": "Score value", required: true });
  const form = h("form", { class: "row wrap" }, name, value, h("button", { type: "submit" }, "Add score"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.post(`/v1/request/${id}/score`, { scores: { [name.value.trim()]: Number(value.value) } });
      toast(`Scored ${name.value.trim()}`);
      refresh();
    } catch (error) { toast(error.message, "err"); }
  });
  return h("section", { class: "card", "aria-label": "Feedback and scores" },
    h("h2", {}, "Feedback"), thumbs,
    h("h2", { style: { marginTop: "16px" } }, "Scores"),
    others.length
      ? h("dl", { class: "kv", "data-testid": "scores" }, others.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]))
      : h("p", { class: "muted" }, "No scores yet."),
    h("div", { style: { marginTop: "10px" } }, form));
}

function detailsCard(row) {
  const item = (label, value) => [h("dt", {}, label), h("dd", {}, value ?? "—")];
  return h("section", { class: "card", "aria-label": "Details" },
    h("h2", {}, "Details"),
    h("dl", { class: "kv" },
      item("Request ID", h("span", { class: "row" }, h("code", {}, row.request_id),
        h("button", { type: "button", class: "ghost icon", "aria-label": "Copy request ID", onclick: () => copyText(row.request_id) }, icon("copy", 14)))),
      item("Created", fmtTime(row.request_created_at)),
      item("Responded", fmtTime(row.response_created_at)),
      item("Provider", row.provider),
      item("Model", row.model || row.request_model),
      item("Path", row.target_url ? h("code", {}, row.target_url) : "—"),
      item("User", row.request_user_id ? h("a", { href: `/users/${encodeURIComponent(row.request_user_id)}` }, row.request_user_id) : "—"),
      item("Cache", row.cache_reference_id && !/^0{8}-/.test(row.cache_reference_id) ? h("span", { class: "badge info" }, "hit") : row.cache_enabled ? "miss" : "off"),
      item("Country", row.country_code || "—"),
      row.moderation ? item("Moderation", moderationBadge(row) || row.moderation) : null,
      row.threat != null ? item("LLM security", threatBadge(row) || "passed") : null));
}

/** Back to where the request was opened: its session (`?from=/sessions/...`), else the list. */
function backLink(ctx) {
  const from = ctx.query.get("from") || "";
  if (/^\/sessions\/[^/]+$/.test(from)) {
    return h("a", { href: from, class: "button ghost", "aria-label": "Back to session" }, icon("back", 16), "Session");
  }
  const list = sessionStorage.getItem("heliograph.lastRequests") || "/requests";
  return h("a", { href: list, class: "button ghost", "aria-label": "Back to requests" }, icon("back", 16), "Requests");
}

function notFound(id) {
  return h("div", { class: "state", role: "alert" },
    h("h2", {}, "Request not found"),
    h("p", { class: "muted" }, "No request ", h("code", {}, id), " in this organization: the link may be mistyped, or the request logged by another organization."),
    h("a", { href: "/requests", class: "button" }, "All requests"));
}

export async function render(ctx, ui) {
  const [id] = ctx.params;
  ui.setTitle("Request", backLink(ctx));
  mount(ui.main, loading("Loading request"));
  const load = async (quiet = false) => {
    let row;
    try {
      row = await api.get(`/v1/request/${encodeURIComponent(id)}`, { signal: ctx.signal });
    } catch (error) {
      if (error.name === "AbortError" || quiet) return;
      mount(ui.main, error.status === 404 && !error.missingEndpoint ? notFound(id) : errorState(error, () => load()));
      return;
    }
    const status = row.response_status;
    const refresh = () => setTimeout(() => load(true), 400);
    mount(ui.main, h("div", { class: "stack", "data-testid": "request-detail" },
      h("div", { class: "row wrap" },
        h("span", { class: ["badge", statusKind(status)], "data-testid": "request-status" }, `Status ${status}`),
        h("strong", {}, row.model || row.request_model || "unknown model"),
        h("span", { class: "muted" }, fmtTime(row.request_created_at))),
      h("div", { class: "stats" },
        stat("Latency", fmtMs(row.delay_ms)),
        stat("Time to first token", fmtMs(row.time_to_first_token)),
        stat("Cost", fmtCost(row.cost)),
        stat("Tokens", fmtNumber(row.total_tokens), `${fmtNumber(row.prompt_tokens)} in · ${fmtNumber(row.completion_tokens)} out`)),
      h("div", { class: "detail" },
        bodyTabs(row),
        h("div", { class: "stack" }, detailsCard(row), propertiesCard(row, row.request_id, refresh), feedbackCard(row, row.request_id, refresh)))));
  };
  await load();
}
