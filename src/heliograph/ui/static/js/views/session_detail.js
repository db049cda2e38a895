// One session: its summary, the tree of its Helicone-Session-Paths and a timeline waterfall;
// picking a step shows that request's conversation.
import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber, fmtTime, parseTime, statusKind, truncate } from "../format.js";
import { icon } from "../icons.js";
import { renderMessages, requestMessages, responseMessages } from "../components/messages.js";
import { errorState, loading } from "../components/states.js";
import { duration } from "./sessions.js";

export const title = "Session";

function flatten(node, out = []) {
  node.requests.forEach((request) => out.push(request));
  node.children.forEach((child) => flatten(child, out));
  return out;
}

const SHOWN = 3;

/** A step's last few input messages, and a button that says how many come before them. */
function latestMessages(messages) {
  const box = h("div", { class: "stack", style: { gap: "8px" } });
  const earlier = messages.length - SHOWN;
  if (earlier <= 0) return mount(box, renderMessages(messages));
  const more = h("button", { type: "button", class: "ghost" }, `${earlier} earlier message${earlier === 1 ? "" : "s"}`);
  more.addEventListener("click", () => mount(box, renderMessages(messages)));
  return mount(box, more, renderMessages(messages.slice(-SHOWN)));
}

function stat(label, value) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

export async function render(ctx, ui) {
  const [sessionId] = ctx.params;
  ui.setTitle("Session", h("a", { href: "/sessions", class: "button ghost" }, icon("back", 16), "Sessions"));
  mount(ui.main, loading("Loading session"));
  let data;
  try {
    data = await api.get(`/v1/session/${encodeURIComponent(sessionId)}`, { signal: ctx.signal });
  } catch (error) {
    if (error.name !== "AbortError") mount(ui.main, errorState(error));
    return;
  }
  const { session, tree } = data;
  const requests = flatten(tree).sort((a, b) => parseTime(a.created_at) - parseTime(b.created_at));
  const start = Math.min(...requests.map((r) => parseTime(r.created_at).getTime()));
  const end = Math.max(...requests.map((r) => parseTime(r.created_at).getTime() + (Number(r.latency) || 0)));
  const span = Math.max(1, end - start);

  const selected = { id: null };
  const detail = h("section", { class: "card", "aria-label": "Selected step", "data-testid": "session-step" },
    h("p", { class: "muted" }, "Pick a step in the tree or the timeline to see its conversation."));
  const marks = [];
  const select = async (request) => {
    selected.id = request.request_id;
    marks.forEach(([id, el]) => el.classList.toggle("selected", id === request.request_id));
    mount(detail, loading("Loading step"));
    try {
      const row = await api.get(`/v1/request/${request.request_id}`, { signal: ctx.signal });
      if (selected.id !== request.request_id) return;
      const input = requestMessages(row.request_body);
      const output = responseMessages(row.response_body);
      mount(detail,
        h("div", { class: "card-head" }, h("h2", {}, request.path || "/"),
          h("a", { href: `/requests/${request.request_id}?${new URLSearchParams({ from: window.location.pathname })}`, class: "button" }, "Open request")),
        h("p", { class: "muted" }, `${row.model} · ${fmtMs(row.delay_ms)} · ${fmtCost(row.cost)} · status ${row.response_status}`),
        input ? latestMessages(input) : null,
        output ? h("div", { style: { marginTop: "10px" } }, renderMessages(output)) : null);
    } catch (error) {
      if (error.name !== "AbortError") mount(detail, errorState(error));
    }
  };

  const nodeView = (node) => {
    const label = node.name || sessionId;
    const counts = h("span", { class: "faint" }, `${node.total_requests} req · ${fmtCost(node.total_cost)}`);
    if (!node.requests.length && !node.children.length) {
      return h("li", {}, h("div", { class: "node" }, icon("chevronRight", 14), h("strong", {}, label), counts));
    }
    const toggle = h("button", { type: "button", class: "toggle", "aria-expanded": "true" }, icon("chevronDown", 14), h("strong", {}, label));
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.replaceChild(icon(open ? "chevronDown" : "chevronRight", 14), toggle.firstChild);
      branch.hidden = !open;
    });
    const branch = h("ul", {},
      node.requests.map((request) => {
        const el = h("div", { class: "node request", role: "button", tabindex: "0", "data-testid": "tree-request",
          onclick: () => select(request), onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(request); } } },
          h("span", { class: ["badge", statusKind(request.status)] }, String(request.status)),
          h("span", {}, request.model), h("span", { class: "faint" }, `${fmtMs(request.latency)} · ${fmtCost(request.cost)}`));
        marks.push([request.request_id, el]);
        return h("li", {}, el);
      }),
      node.children.map(nodeView));
    return h("li", {}, h("div", { class: "node" }, toggle, counts), branch);
  };

  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => fmtMs(span * f));
  const waterfall = h("div", { class: "waterfall", "data-testid": "waterfall" },
    h("div", { class: "wf-axis" }, h("div", {}, "Step"), h("div", {}, ticks.map((t) => h("span", {}, t)))),
    requests.map((request) => {
      const offset = parseTime(request.created_at).getTime() - start;
      const bar = h("div", { class: ["wf-bar", statusKind(request.status) === "ok" ? "" : "err"] });
      bar.style.left = `${(offset / span) * 100}%`;
      bar.style.width = `${Math.max(0.5, ((Number(request.latency) || 0) / span) * 100)}%`;
      const row = h("div", { class: "wf-row", role: "button", tabindex: "0", title: `${request.path} · ${request.model} · ${fmtMs(request.latency)}`,
        onclick: () => select(request), onkeydown: (e) => { if (e.key === "Enter") select(request); } },
        h("div", { class: "wf-label" }, truncate(request.path || "/", 40), h("span", { class: "faint" }, ` ${request.model}`)),
        h("div", { class: "wf-track" }, bar));
      marks.push([request.request_id, row]);
      return row;
    }));

  ui.setTitle(session.session_name || "Session", h("a", { href: "/sessions", class: "button ghost" }, icon("back", 16), "Sessions"));
  mount(ui.main, h("div", { class: "stack", "data-testid": "session-detail" },
    h("p", { class: "muted", style: { margin: 0 } }, h("code", {}, sessionId), ` · started ${fmtTime(session.created_at)}`,
      data.truncated ? h("span", { class: "badge warn" }, "showing the first 10,000 requests") : null),
    h("div", { class: "stats" },
      stat("Requests", fmtNumber(session.total_requests)),
      stat("Cost", fmtCost(session.total_cost)),
      stat("Tokens", fmtNumber(session.total_tokens)),
      stat("Duration", duration(session)),
      stat("Avg latency", fmtMs(session.avg_latency))),
    h("div", { class: "grid cols-2" },
      h("section", { class: "card", "aria-label": "Session tree" }, h("h2", {}, "Tree"), h("div", { class: "tree", "data-testid": "session-tree" }, h("ul", {}, nodeView(tree)))),
      h("section", { class: "card", "aria-label": "Timeline" }, h("h2", {}, "Timeline"), waterfall)),
    detail));
  if (requests.length) select(requests[0]);
}
