// One user: usage and cost over the time range, and their requests (the requests table,
// fixed to this user).
import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber } from "../format.js";
import { icon } from "../icons.js";
import { render as rerender, updateQuery } from "../router.js";
import { timeChart } from "../components/chart.js";
import { combine } from "../components/filters.js";
import { RequestList } from "../components/request_list.js";
import { errorState, loading } from "../components/states.js";
import { rangeLeaves, rangePicker, readRange } from "../components/timerange.js";

export const title = "User";

function stat(label, value, sub) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null);
}

export async function render(ctx, ui) {
  const [userId] = ctx.params;
  const range = readRange(ctx.query, "30d");
  ui.setTitle(userId, h("a", { href: "/users", class: "button ghost" }, icon("back", 16), "Users"));
  ui.actions.append(rangePicker(range, (values) => { updateQuery(values); rerender(); }, { allTime: false, fallback: "30d" }));
  const userLeaf = { request_response_rmt: { user_id: { equals: userId } } };
  const filter = combine([userLeaf]);
  const end = range.end || new Date();
  const start = range.start || new Date(end.getTime() - 30 * 86400e3);
  const timeFilter = { start: start.toISOString(), end: end.toISOString() };
  mount(ui.main, loading("Loading user"));
  let overview, series;
  try {
    [overview, series] = await Promise.all([
      api.post("/v1/metrics/overview", { filter, timeFilter }, { signal: ctx.signal }),
      api.post("/v1/metrics/over-time", { filter, timeFilter, timezoneDifference: new Date().getTimezoneOffset() }, { signal: ctx.signal }),
    ]);
  } catch (error) {
    if (error.name !== "AbortError") mount(ui.main, errorState(error, () => rerender()));
    return;
  }
  const list = new RequestList({
    filter: () => combine([userLeaf, ...rangeLeaves({ start, end: range.end })]),
    state: { size: 25 },
    signal: ctx.signal,
    hasFilters: () => true,
    hintWhenEmpty: false,
  });
  const times = series.buckets.map((b) => new Date(b.time));
  const params = new URLSearchParams({ f: `user_id|equals|${userId}` });
  mount(ui.main, h("div", { class: "stack", "data-testid": "user-detail" },
    h("div", { class: "stats" },
      stat("Requests", fmtNumber(overview.request_count)),
      stat("Cost", fmtCost(overview.total_cost)),
      stat("Tokens", fmtNumber(overview.total_tokens)),
      stat("Errors", fmtNumber(overview.error_count)),
      stat("Latency p50", fmtMs(overview.latency_p50))),
    h("section", { class: "card", "aria-label": "Cost over time" }, h("h2", {}, "Cost over time"),
      timeChart({ times, kind: "area", format: fmtCost, label: "Cost over time", series: [{ name: "Cost", values: series.buckets.map((b) => b.total_cost) }] })),
    h("div", { class: "card-head" }, h("h2", {}, "Requests"), h("a", { href: `/requests?${params}`, class: "button" }, "Open in Requests")),
    list.el));
  await list.load();
}
