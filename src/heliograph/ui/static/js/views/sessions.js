// Sessions: every Helicone-Session-Id with its size, cost and time span; search and paging.
import { api } from "../api.js";
import { debounce, h, mount } from "../dom.js";
import { fmtAgo, fmtCost, fmtMs, fmtNumber, fmtTime, parseTime } from "../format.js";
import { icon } from "../icons.js";
import { render as rerender, updateQuery } from "../router.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable, pager } from "../components/table.js";
import { rangePicker, readRange } from "../components/timerange.js";

export const title = "Sessions";

/** From the first request to the last one sent (Helicone's rule), on the list and the session alike. */
export function duration(row) {
  const start = parseTime(row.created_at);
  const end = parseTime(row.latest_request_created_at);
  return start && end ? fmtMs(end - start) : "—";
}

export async function render(ctx, ui) {
  const range = readRange(ctx.query, "30d");
  let search = ctx.query.get("q") || "";
  let page = Math.max(0, Number(ctx.query.get("page") || 1) - 1);
  const size = 50;

  ui.actions.append(rangePicker(range, (values) => { updateQuery({ ...values, page: null }); rerender(); }, { fallback: "30d" }));
  const input = h("input", { type: "search", placeholder: "Search session IDs and names", "aria-label": "Search sessions", value: search });
  const slot = h("div", { class: "card flush" });
  mount(ui.main, h("div", { class: "toolbar" }, h("label", { class: "search" }, icon("search", 16), input)), slot);

  const load = async () => {
    mount(slot, loading("Loading sessions"));
    const end = range.end || new Date();
    const start = range.start || new Date(0);
    let rows;
    try {
      rows = await api.post("/v1/session/query", {
        search, timeFilter: { startTimeUnixMs: start.getTime(), endTimeUnixMs: end.getTime() },
        timezoneDifference: new Date().getTimezoneOffset(), filter: "all", offset: page * size, limit: size + 1,
      }, { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    const hasNext = rows.length > size;
    rows = rows.slice(0, size);
    if (!rows.length) {
      mount(slot, empty(search || page ? "No sessions match" : "No sessions yet",
        "Group the requests of one agent run or conversation with the Helicone-Session-Id header (and Helicone-Session-Path / -Name for the tree).",
        h("pre", { class: "code hint" }, "Helicone-Session-Id: 4f1c…\nHelicone-Session-Path: /plan/search\nHelicone-Session-Name: Trip planner")));
      return;
    }
    mount(slot,
      dataTable({
        label: "Sessions", testid: "sessions-table",
        rows,
        rowHref: (r) => `/sessions/${encodeURIComponent(r.session_id)}`,
        columns: [
          { key: "session_id", label: "Session", render: (r) => r.session_id },
          { key: "session_name", label: "Name", render: (r) => r.session_name || h("span", { class: "faint" }, "—") },
          { key: "created_at", label: "Started", render: (r) => h("span", { title: fmtTime(r.created_at) }, fmtAgo(r.created_at)) },
          { key: "duration", label: "Duration", num: true, render: duration },
          { key: "total_requests", label: "Requests", num: true, render: (r) => fmtNumber(r.total_requests) },
          { key: "total_cost", label: "Cost", num: true, render: (r) => fmtCost(r.total_cost) },
          { key: "total_tokens", label: "Tokens", num: true, render: (r) => fmtNumber(r.total_tokens) },
          { key: "avg_latency", label: "Avg latency", num: true, render: (r) => fmtMs(r.avg_latency) },
          { key: "users", label: "Users", render: (r) => (r.user_ids || []).join(", ") || h("span", { class: "faint" }, "—") },
        ],
      }),
      pager({ page, size, shown: rows.length, hasNext, onPage: (next) => { page = next; updateQuery({ page: next ? String(next + 1) : null }); load(); } }));
  };
  input.addEventListener("input", debounce(() => { search = input.value; page = 0; updateQuery({ q: search || null, page: null }); load(); }, 350));
  await load();
}
