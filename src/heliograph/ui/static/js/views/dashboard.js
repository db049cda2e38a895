// Dashboard: totals, charts over time and the top models, users and property values for a
// time range (in the URL), from the /v1/metrics endpoints.
import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { fmtCompact, fmtCost, fmtMs, fmtNumber, fmtPercent } from "../format.js";
import { icon } from "../icons.js";
import { render as rerender, updateQuery } from "../router.js";
import { barList, timeChart } from "../components/chart.js";
import { filterChips, filtersAst, encodeFilters, parseFilters } from "../components/filters.js";
import { errorState, firstRequestHint, loading } from "../components/states.js";
import { RANGES, rangePicker, readRange } from "../components/timerange.js";

export const title = "Dashboard";

function stat(label, value, sub, testid) {
  return h("div", { class: "stat", "data-testid": testid },
    h("div", { class: "label" }, label), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null);
}

function card(heading, body, extra) {
  return h("section", { class: "card", "aria-label": heading }, h("div", { class: "card-head" }, h("h2", {}, heading), extra || null), body);
}

/** The window asked for: one end ("now" read once) and, for "Last ...", the span before it. */
function window_(range) {
  const end = range.end || new Date();
  const span = RANGES.find(([key]) => key === range.key)?.[2];
  const start = span ? new Date(end.getTime() - span) : range.start || new Date(end.getTime() - 30 * 86400e3);
  return { start: start.toISOString(), end: end.toISOString() };
}

export async function render(ctx, ui) {
  const range = readRange(ctx.query, "24h");
  const filters = parseFilters(ctx.query);
  const match = ctx.query.get("match") === "any" ? "any" : "all";
  const filter = filtersAst(filters, match);
  const timeFilter = window_(range);
  const property = ctx.query.get("property");

  ui.actions.append(
    rangePicker(range, (values) => { updateQuery(values); rerender(); }, { allTime: false }),
    h("button", { type: "button", class: "icon", "aria-label": "Refresh", title: "Refresh", onclick: () => rerender() }, icon("refresh", 16)),
  );
  mount(ui.main, loading("Loading metrics"));

  const body = { filter, timeFilter };
  const top = (groupBy, sortBy = "request_count", limit = 6) =>
    api.post("/v1/metrics/breakdown", { ...body, groupBy, sortBy, limit }, { signal: ctx.signal });
  let overview, series, models, users, keys;
  try {
    [overview, series, models, users, keys] = await Promise.all([
      api.post("/v1/metrics/overview", body, { signal: ctx.signal }),
      api.post("/v1/metrics/over-time", { ...body, timezoneDifference: new Date().getTimezoneOffset() }, { signal: ctx.signal }),
      top("model"),
      top("user", "total_cost"),
      api.post("/v1/property/query", {}, { signal: ctx.signal }).catch(() => []),
    ]);
  } catch (error) {
    if (error.name === "AbortError") return;
    mount(ui.main, errorState(error, () => rerender()));
    return;
  }
  const propertyKeys = keys.map((k) => k.property);
  const chosen = propertyKeys.includes(property) ? property : propertyKeys[0];

  if (overview.request_count === 0 && !filters.length) {
    const anyAtAll = await api.post("/v1/request/query-clickhouse", { filter: "all", limit: 1 }, { signal: ctx.signal }).catch(() => []);
    if (!anyAtAll.length) {
      mount(ui.main, firstRequestHint("Welcome to Heliograph"));
      return;
    }
  }

  const times = series.buckets.map((b) => new Date(b.time));
  const pick = (key) => series.buckets.map((b) => b[key]);
  const chips = filterChips(filters, match,
    (index) => { updateQuery({ f: encodeFilters(filters.filter((_, i) => i !== index)) }); rerender(); },
    () => { updateQuery({ f: [], match: null }); rerender(); });
  const requestsLink = (extra) => {
    const params = new URLSearchParams();
    if (range.key !== "all") params.set("range", range.key);
    if (range.key === "custom") { if (range.start) params.set("from", range.start.toISOString()); if (range.end) params.set("to", range.end.toISOString()); }
    encodeFilters(filters.concat(extra)).forEach((f) => params.append("f", f));
    return `/requests?${params}`;
  };

  const propertySlot = h("div");
  const propertySelect = propertyKeys.length
    ? h("select", { "aria-label": "Property", onchange: (e) => { updateQuery({ property: e.target.value }); drawProperty(e.target.value); } },
        propertyKeys.map((key) => h("option", { value: key, selected: key === chosen }, key)))
    : null;
  const drawProperty = async (key) => {
    if (!key) { mount(propertySlot, h("p", { class: "muted" }, "No custom properties yet. Add a Helicone-Property-<Name> header to your requests.")); return; }
    mount(propertySlot, loading());
    try {
      const groups = (await top({ property: key }, "total_cost")).groups;
      mount(propertySlot, groups.length
        ? barList(groups.map((g) => ({ label: g.key, value: g.total_cost, sub: `${fmtNumber(g.request_count)} req` })), {
            format: fmtCost, href: (item) => requestsLink([{ field: `prop:${key}`, op: "equals", value: item.label }]) })
        : h("p", { class: "muted" }, "No requests with this property in the range."));
    } catch (error) {
      if (error.name !== "AbortError") mount(propertySlot, errorState(error));
    }
  };

  mount(ui.main, h("div", { class: "stack", "data-testid": "dashboard" },
    chips,
    h("div", { class: "stats" },
      stat("Requests", fmtNumber(overview.request_count), null, "stat-requests"),
      stat("Errors", fmtNumber(overview.error_count), `${fmtPercent(overview.error_rate)} of requests`, "stat-errors"),
      stat("Cost", fmtCost(overview.total_cost), null, "stat-cost"),
      stat("Tokens", fmtCompact(overview.total_tokens), `${fmtCompact(overview.prompt_tokens)} in · ${fmtCompact(overview.completion_tokens)} out`),
      stat("Latency p50", fmtMs(overview.latency_p50), `p90 ${fmtMs(overview.latency_p90)} · p99 ${fmtMs(overview.latency_p99)}`),
      stat("Time to first token", fmtMs(overview.ttft_p50), "p50 of streams"),
      stat("Cache hits", fmtNumber(overview.cache_hits), `${fmtPercent(overview.cache_hit_rate)} · saved ${fmtCost(overview.cache_savings)}`),
      // rate_limited_count counts refused requests, not users: say so.
      stat("Users", fmtNumber(overview.distinct_users), overview.rate_limited_count
        ? `${fmtNumber(overview.rate_limited_count)} ${overview.rate_limited_count === 1 ? "request" : "requests"} rate-limited` : null)),
    h("div", { class: "grid cols-2" },
      card("Requests", timeChart({ times, kind: "bar", label: "Requests over time", format: fmtCompact,
        series: [{ name: "Requests", values: pick("request_count") }, { name: "Errors", values: pick("error_count") }] })),
      card("Cost", timeChart({ times, kind: "area", label: "Cost over time", format: fmtCost, series: [{ name: "Cost", values: pick("total_cost") }] })),
      card("Latency", timeChart({ times, label: "Latency percentiles over time", format: fmtMs, emptyText: "No requests in this range",
        series: [{ name: "p50", values: pick("latency_p50") }, { name: "p90", values: pick("latency_p90") }, { name: "p99", values: pick("latency_p99") }] })),
      card("Tokens", timeChart({ times, kind: "area", label: "Tokens over time", format: fmtCompact,
        series: [{ name: "Prompt", values: pick("prompt_tokens") }, { name: "Completion", values: pick("completion_tokens") }] })),
      card("Time to first token", timeChart({ times, label: "Time to first token over time", format: fmtMs, emptyText: "No streamed requests in this range",
        series: [{ name: "p50", values: pick("ttft_p50") }, { name: "p90", values: pick("ttft_p90") }] })),
      card("Cache savings", timeChart({ times, kind: "area", label: "Cache savings over time", format: fmtCost,
        series: [{ name: "Saved", values: pick("cache_savings") }] }))),
    h("div", { class: "grid cols-3" },
      card("Top models", models.groups.length
        ? barList(models.groups.map((g) => ({ label: g.key, value: g.request_count, sub: fmtCost(g.total_cost) })), {
            format: (v) => `${fmtNumber(v)} req`, href: (item) => requestsLink([{ field: "model", op: "equals", value: item.label }]) })
        : h("p", { class: "muted" }, "No requests in this range.")),
      card("Top users by cost", users.groups.filter((g) => g.key).length
        ? barList(users.groups.filter((g) => g.key).map((g) => ({ label: g.key, value: g.total_cost, sub: `${fmtNumber(g.request_count)} req` })), {
            format: fmtCost, href: (item) => `/users/${encodeURIComponent(item.label)}` })
        : h("p", { class: "muted" }, "No user IDs yet: send a Helicone-User-Id header.")),
      card("Top property values", propertySlot, propertySelect))));
  drawProperty(chosen);
}
