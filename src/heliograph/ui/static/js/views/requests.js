// Requests: search, filter builder, time range, property columns and a live tail; all of it
// kept in the URL so a view can be shared.
import { api } from "../api.js";
import { debounce, dismissible, h, mount } from "../dom.js";
import { icon } from "../icons.js";
import { updateQuery } from "../router.js";
import { combine, encodeFilters, filterChips, filterPanel, filtersAst, parseFilters } from "../components/filters.js";
import { addToDatasetButton } from "../components/add_to_dataset.js";
import { RequestList, responseShown } from "../components/request_list.js";
import { encodeSort, parseSort } from "../components/table.js";
import { rangeLeaves, rangePicker, readRange } from "../components/timerange.js";

export const title = "Requests";
const COLUMNS_KEY = "heliograph.propertyColumns";
const RESPONSE_KEY = "heliograph.responseColumn";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function searchAst(text) {
  const q = text.trim();
  if (!q) return null;
  if (UUID.test(q)) return { request_response_rmt: { request_id: { equals: q.toLowerCase() } } };
  const fields = ["request_body", "response_body", "user_id", "model"];
  return combine(fields.map((field) => ({ request_response_rmt: { [field]: { contains: q } } })), "or");
}

function savedColumns(keys) {
  try {
    const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) || "null");
    if (Array.isArray(saved)) return saved.filter((key) => keys.includes(key));
  } catch { /* fall through to the default */ }
  return keys.slice(0, 4);
}

export async function render(ctx, ui) {
  const query = ctx.query;
  const state = {
    q: query.get("q") || "",
    filters: parseFilters(query),
    match: query.get("match") === "any" ? "any" : "all",
    range: readRange(query, "all"),
    live: query.get("live") === "1",
  };
  sessionStorage.setItem("heliograph.lastRequests", window.location.pathname + window.location.search);
  const remember = () => sessionStorage.setItem("heliograph.lastRequests", window.location.pathname + window.location.search);

  let propertyKeys = [];
  const currentFilter = () => combine([...rangeLeaves(state.range), searchAst(state.q), filtersAst(state.filters, state.match)]);
  const curate = addToDatasetButton({ selected: () => list.selected, filter: currentFilter });
  const list = new RequestList({
    filter: currentFilter,
    onSelect: () => curate.refresh(),
    hasFilters: () => Boolean(state.q || state.filters.length || state.range.key !== "all"),
    state: {
      sort: parseSort(query.get("sort"), null),
      page: Math.max(0, Number(query.get("page") || 1) - 1),
      size: [25, 50, 100].includes(Number(query.get("size"))) ? Number(query.get("size")) : 50,
    },
    signal: ctx.signal,
    onState: (changes) => {
      const out = {};
      if ("sort" in changes) out.sort = encodeSort(changes.sort);
      if ("page" in changes) out.page = changes.page ? String(changes.page + 1) : null;
      if ("size" in changes) out.size = changes.size === 50 ? null : String(changes.size);
      updateQuery(out);
      remember();
    },
  });

  const savedResponse = localStorage.getItem(RESPONSE_KEY);
  list.showResponse = savedResponse === null ? null : savedResponse === "1";

  const reload = () => { list.state.page = 0; updateQuery({ page: null }); remember(); list.load(); };

  // --- top bar: range and live tail
  const liveButton = h("button", { type: "button", "aria-pressed": String(state.live), "data-testid": "live-toggle", title: "Show new requests as they arrive" }, icon("live", 16), "Live");
  liveButton.addEventListener("click", () => {
    state.live = !state.live;
    liveButton.setAttribute("aria-pressed", String(state.live));
    updateQuery({ live: state.live ? "1" : null });
    list.setLive(state.live);
  });
  ui.actions.append(
    rangePicker(state.range, (values) => { updateQuery(values); state.range = readRange(new URLSearchParams(window.location.search), "all"); reload(); }, { fallback: "all" }),
    liveButton,
    h("button", { type: "button", class: "icon", "aria-label": "Refresh", title: "Refresh", onclick: () => list.load() }, icon("refresh", 16)),
  );

  // --- toolbar: search, filters, columns
  const search = h("input", { type: "search", placeholder: "Search bodies, users, models or a request ID", "aria-label": "Search requests", value: state.q, "data-testid": "request-search" });
  search.addEventListener("input", debounce(() => { state.q = search.value; updateQuery({ q: state.q || null }); reload(); }, 350));
  const filterButton = h("button", { type: "button", "aria-expanded": "false", "data-testid": "filters-button" }, icon("filter", 16), "Filters");
  const columnsBox = h("div", { class: "popover" });
  const columnsButton = h("button", { type: "button", "aria-haspopup": "true", "aria-expanded": "false" }, icon("columns", 16), "Columns");
  columnsBox.append(columnsButton);
  const panelSlot = h("div");
  const chipsSlot = h("div");

  const applyFilters = (filters, match) => {
    state.filters = filters;
    state.match = match;
    updateQuery({ f: encodeFilters(filters), match: match === "any" ? "any" : null });
    drawChips();
    closePanel();
    reload();
  };
  const onEscape = (event) => { if (event.key === "Escape") { closePanel(); filterButton.focus(); } };
  const closePanel = () => {
    panelSlot.replaceChildren();
    filterButton.setAttribute("aria-expanded", "false");
    document.removeEventListener("keydown", onEscape);
  };
  const drawChips = () => {
    mount(chipsSlot, filterChips(state.filters, state.match,
      (index) => applyFilters(state.filters.filter((_, i) => i !== index), state.match),
      () => applyFilters([], "all")));
    filterButton.replaceChildren(icon("filter", 16), state.filters.length ? `Filters (${state.filters.length})` : "Filters");
  };
  filterButton.addEventListener("click", () => {
    if (panelSlot.firstChild) { closePanel(); return; }
    filterButton.setAttribute("aria-expanded", "true");
    mount(panelSlot, filterPanel({ filters: state.filters, match: state.match, propertyKeys, onApply: applyFilters, onCancel: closePanel }));
    panelSlot.querySelector("select")?.focus();
    document.addEventListener("keydown", onEscape);
  });

  let closeColumns = null;
  columnsButton.addEventListener("click", () => {
    const open = columnsBox.querySelector(".popover-panel");
    if (open) { open.remove(); closeColumns?.(); columnsButton.setAttribute("aria-expanded", "false"); return; }
    const response = h("input", { type: "checkbox", checked: responseShown(list.showResponse) });
    response.addEventListener("change", () => {
      list.showResponse = response.checked;
      localStorage.setItem(RESPONSE_KEY, response.checked ? "1" : "0");
      list.draw();
    });
    const panel = h("div", { class: "popover-panel", role: "group", "aria-label": "Columns" },
      h("label", {}, response, "Response"),
      h("h3", {}, "Property columns"),
      propertyKeys.length ? propertyKeys.map((key) => {
        const box = h("input", { type: "checkbox", checked: list.properties.includes(key) });
        box.addEventListener("change", () => {
          list.properties = propertyKeys.filter((k) => (k === key ? box.checked : list.properties.includes(k)));
          localStorage.setItem(COLUMNS_KEY, JSON.stringify(list.properties));
          list.draw();
        });
        return h("label", {}, box, key);
      }) : h("p", { class: "muted" }, "No custom properties yet. Send a Helicone-Property-<Name> header to add one."));
    columnsBox.append(panel);
    columnsButton.setAttribute("aria-expanded", "true");
    closeColumns = dismissible(columnsBox, () => { panel.remove(); closeColumns?.(); columnsButton.setAttribute("aria-expanded", "false"); });
  });
  ctx.onLeave(() => { closeColumns?.(); document.removeEventListener("keydown", onEscape); });

  mount(ui.main,
    h("div", { class: "toolbar" }, h("label", { class: "search" }, icon("search", 16), search), filterButton, columnsBox, curate.button),
    panelSlot, curate.slot, chipsSlot, list.el);
  drawChips();

  const keys = api.post("/v1/property/query", {}, { signal: ctx.signal }).then((found) => {
    propertyKeys = found.map((k) => k.property);
    list.properties = savedColumns(propertyKeys);
    if (list.rows.length) list.draw();
  }, () => {});
  await Promise.all([list.load(), keys]);
  list.setLive(state.live);
}
