// Properties: every custom property key; for the chosen one, requests, cost, latency and
// tokens per value (costliest first), each value a link to its requests.
import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber } from "../format.js";
import { render as rerender, updateQuery } from "../router.js";
import { barList } from "../components/chart.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";
import { rangePicker, readRange } from "../components/timerange.js";

export const title = "Properties";

export async function render(ctx, ui) {
  const range = readRange(ctx.query, "30d");
  ui.actions.append(rangePicker(range, (values) => { updateQuery(values); rerender(); }, { fallback: "30d" }));
  mount(ui.main, loading("Loading properties"));
  let keys;
  try {
    keys = await api.post("/v1/property/query", {}, { signal: ctx.signal });
  } catch (error) {
    if (error.name !== "AbortError") mount(ui.main, errorState(error, () => rerender()));
    return;
  }
  if (!keys.length) {
    mount(ui.main, empty("No custom properties yet",
      "Tag requests with Helicone-Property-<Name> headers to break cost, volume and latency down by feature, environment or customer.",
      h("pre", { class: "code hint" }, "Helicone-Property-Environment: production\nHelicone-Property-Feature: support-chat")));
    return;
  }
  let chosen = keys.some((k) => k.property === ctx.query.get("key")) ? ctx.query.get("key") : keys[0].property;
  const list = h("nav", { class: "subnav", "aria-label": "Property keys" });
  const slot = h("div", { class: "stack" });
  const drawList = () => mount(list, keys.map((k) =>
    h("a", { href: `/properties?key=${encodeURIComponent(k.property)}`, "aria-current": k.property === chosen ? "page" : undefined,
      onclick: (event) => { event.preventDefault(); event.stopPropagation(); chosen = k.property; updateQuery({ key: chosen }); drawList(); load(); } },
      h("span", { class: "row" }, h("span", { class: "grow" }, k.property), h("span", { class: "faint" }, fmtNumber(k.count))))));

  const load = async () => {
    mount(slot, loading());
    const timeFilter = {};
    if (range.start) timeFilter.start = range.start.toISOString();
    if (range.end) timeFilter.end = range.end.toISOString();
    let rows;
    try {
      rows = await api.post(`/v1/property/${encodeURIComponent(chosen)}/top-costs`, { timeFilter, limit: 100 }, { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    const link = (value) => `/requests?${new URLSearchParams({ f: `prop:${chosen}|equals|${value}` })}`;
    if (!rows.length) {
      mount(slot, h("div", { class: "card" }, empty(`No requests with ${chosen} in this range`, "Pick a wider time range.")));
      return;
    }
    mount(slot,
      h("section", { class: "card", "aria-label": `Cost by ${chosen}` }, h("h2", {}, `Cost by ${chosen}`),
        barList(rows.slice(0, 10).map((r) => ({ label: r.value, value: r.cost, sub: `${fmtNumber(r.requests)} req` })), { format: fmtCost, href: (item) => link(item.label) })),
      h("section", { class: "card flush", "aria-label": `Values of ${chosen}` },
        dataTable({
          label: `Values of ${chosen}`, testid: "property-values", rows,
          rowHref: (r) => link(r.value),
          columns: [
            { key: "value", label: "Value", render: (r) => r.value },
            { key: "requests", label: "Requests", num: true, render: (r) => fmtNumber(r.requests) },
            { key: "cost", label: "Cost", num: true, render: (r) => fmtCost(r.cost) },
            { key: "average_latency", label: "Avg latency", num: true, render: (r) => fmtMs(r.average_latency) },
            { key: "total_tokens", label: "Tokens", num: true, render: (r) => fmtNumber(r.total_tokens) },
          ],
        })));
  };
  mount(ui.main, h("div", { class: "settings", "data-testid": "properties" }, h("div", { class: "card" }, h("h3", {}, "Keys"), list), slot));
  drawList();
  await load();
}
