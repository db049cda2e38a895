// The requests table: one server-side page at a time (smooth at any table size), a column
// per chosen property, sortable headers and a live tail that prepends new requests.
import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { fmtAgo, fmtCost, fmtMs, fmtNumber, fmtTime, parseTime, statusKind, truncate } from "../format.js";
import { combine } from "./filters.js";
import { previewText, requestMessages, responseMessages } from "./messages.js";
import { errorState, firstRequestHint, empty, skeletonRows } from "./states.js";
import { dataTable, nextSort, pager } from "./table.js";

const LIVE_EVERY_MS = 3000;

export function apiSort(sort) {
  if (!sort) return { created_at: "desc" };
  if (sort.key.startsWith("prop:")) return { properties: { [sort.key.slice(5)]: sort.dir } };
  return { [sort.key]: sort.dir };
}

// Helicone-Moderations-Enabled's verdict (docs/security.md#moderation): calls flagged or
// refused without a verdict are marked red, calls sent without one amber.
const MODERATION = {
  flagged: ["err", "flagged", "Flagged by OpenAI's moderation endpoint; not sent"],
  error_blocked: ["err", "blocked", "Not sent: the moderation check gave no verdict"],
  error_allowed: ["warn", "unchecked", "Sent without a verdict: the moderation check failed"],
};

export function moderationBadge(row) {
  const mark = MODERATION[row.moderation];
  if (!mark) return null;
  const categories = (row.moderation_categories || []).join(", ");
  return h("span", { class: ["badge", mark[0]], title: categories ? `${mark[2]} (${categories})` : mark[2], "data-testid": "moderation-badge" }, mark[1]);
}

// Helicone-LLM-Security-Enabled's base tier (docs/security.md#llm-security): a call it
// refused as a prompt injection or jailbreak is marked red.
export function threatBadge(row) {
  if (row.threat !== true) return null;
  return h("span", { class: ["badge", "err"], title: "Refused: a prompt injection or jailbreak was detected (LLM security); not sent", "data-testid": "threat-badge" }, "threat");
}

// Below this width the Response column is off unless the user switched it on (Columns).
const NARROW = "(max-width: 1440px)";

function baseColumns(showResponse) {
  const response = responseShown(showResponse);
  return [
    { key: "created", label: "Created", sortKey: "created_at",
      render: (r) => h("span", { title: fmtTime(r.request_created_at) }, fmtAgo(r.request_created_at)) },
    { key: "status", label: "Status",
      render: (r) => h("span", { class: "row" }, h("span", { class: ["badge", statusKind(r.response_status)] }, String(r.response_status ?? "—")), moderationBadge(r), threatBadge(r)) },
    { key: "request", label: "Request", className: "preview",
      render: (r) => truncate(previewText(requestMessages(r.request_body)) || "", 80) || h("span", { class: "faint" }, "—") },
    response ? { key: "response", label: "Response", className: "preview",
      render: (r) => truncate(previewText(responseMessages(r.response_body)) || "", 80) || h("span", { class: "faint" }, "—") } : null,
    { key: "model", label: "Model", sortKey: "body_model", className: "clip", render: (r) => r.model || r.request_model || "—" },
    { key: "tokens", label: "Tokens", num: true, sortKey: "total_tokens", render: (r) => fmtNumber(r.total_tokens) },
    { key: "cost", label: "Cost", num: true, sortKey: "cost", render: (r) => fmtCost(r.cost) },
    { key: "latency", label: "Latency", num: true, sortKey: "latency", render: (r) => fmtMs(r.delay_ms) },
    { key: "user", label: "User", sortKey: "user_id", className: "clip", render: (r) => r.request_user_id || h("span", { class: "faint" }, "—") },
  ].filter(Boolean);
}

/** Whether the Response column shows: the user's choice, else by the window's width. */
export function responseShown(choice) {
  return choice ?? !window.matchMedia(NARROW).matches;
}

export class RequestList {
  /**
   * filter(): the filter AST (without paging); state: {sort, page, size};
   * onState(changes) tells the owner (to keep the URL in step).
   */
  constructor({ filter, state, properties = [], onState, signal, hasFilters = () => false, hintWhenEmpty = true, onSelect = null }) {
    this.hintWhenEmpty = hintWhenEmpty;
    this.onSelect = onSelect; // given: a checkbox per row, `selected` holds the checked ids
    this.selected = new Set();
    this.filter = filter;
    this.state = { page: 0, size: 50, sort: null, ...state };
    this.properties = properties;
    this.showResponse = null; // null: by the window's width; true or false: the user's choice
    this.onState = onState || (() => {});
    this.signal = signal;
    this.hasFilters = hasFilters;
    this.rows = [];
    this.hasNext = false;
    this.live = false;
    this.timer = null;
    this.el = h("div", { class: "card flush", "data-testid": "requests-card" });
    this.generation = 0;
    signal?.addEventListener("abort", () => this.setLive(false));
  }

  selectColumn() {
    const toggle = (id, on) => {
      if (on) this.selected.add(id); else this.selected.delete(id);
      this.onSelect(this.selected);
    };
    return { key: "select", label: "", plain: true,
      render: (r) => h("input", { type: "checkbox", "aria-label": `Select request ${r.request_id}`, checked: this.selected.has(r.request_id),
        onchange: (e) => toggle(r.request_id, e.target.checked) }) };
  }

  columns() {
    return (this.onSelect ? [this.selectColumn()] : []).concat(baseColumns(this.showResponse)).concat(this.properties.map((key) => ({
      key: `prop:${key}`, label: key, sortKey: `prop:${key}`, className: "clip",
      render: (r) => (r.properties || r.request_properties || {})[key] ?? h("span", { class: "faint" }, "—"),
    })));
  }

  async load() {
    const generation = ++this.generation;
    const { page, size, sort } = this.state;
    if (!this.rows.length) {
      mount(this.el, h("div", { class: "table-wrap" }, h("table", { class: "data", "aria-busy": "true" },
        h("tbody", {}, skeletonRows(this.columns().length)))));
    } else {
      // The old rows stay, dimmed, under a loading line until the new ones replace them.
      this.el.setAttribute("aria-busy", "true");
      if (!this.el.querySelector(".reloading")) this.el.prepend(h("div", { class: "reloading", role: "status" }, "Loading…"));
    }
    try {
      const rows = await api.post("/v1/request/query-clickhouse", {
        filter: this.filter(), sort: apiSort(sort), limit: size + 1, offset: page * size, includeInputs: true,
      }, { signal: this.signal });
      if (generation !== this.generation) return;
      this.hasNext = rows.length > size;
      this.rows = rows.slice(0, size);
      this.nothingLogged = false;
      if (!rows.length && page === 0 && this.hintWhenEmpty) {
        // Nothing matches: is that the filters, or has this organization logged nothing yet?
        const any = this.hasFilters()
          ? await api.post("/v1/request/query-clickhouse", { filter: "all", limit: 1, includeInputs: false }, { signal: this.signal })
          : [];
        if (generation !== this.generation) return;
        this.nothingLogged = any.length === 0;
      }
      this.draw();
    } catch (error) {
      if (error.name === "AbortError") return;
      mount(this.el, errorState(error, () => this.load()));
    } finally {
      if (generation === this.generation) {
        this.el.removeAttribute("aria-busy");
        this.el.querySelector(".reloading")?.remove();
      }
    }
  }

  draw(fresh = new Set()) {
    const { page, size, sort } = this.state;
    if (!this.rows.length) {
      if (this.nothingLogged) mount(this.el, firstRequestHint());
      else mount(this.el, empty("No requests match", "Try a wider time range or fewer filters."));
      return;
    }
    const table = dataTable({
      columns: this.columns(),
      rows: this.rows,
      sort: sort || { key: "created_at", dir: "desc" },
      label: "Requests",
      testid: "requests-table",
      rowHref: (r) => `/requests/${r.request_id}`,
      rowClass: (r) => (fresh.has(r.request_id) ? "fresh" : ""),
      onSort: (key) => {
        this.state.sort = nextSort(this.state.sort || { key: "created_at", dir: "desc" }, key);
        this.state.page = 0;
        this.onState({ sort: this.state.sort, page: 0 });
        this.load();
      },
    });
    mount(this.el, this.livePaused(), table, pager({
      page, size, shown: this.rows.length, hasNext: this.hasNext,
      onPage: (next) => { this.state.page = next; this.onState({ page: next }); this.load(); },
      onSize: (next) => { this.state.size = next; this.state.page = 0; this.onState({ size: next, page: 0 }); this.load(); },
    }));
  }

  /** Live tail: only meaningful on the first page, newest first. */
  setLive(on) {
    this.live = on;
    clearTimeout(this.timer);
    if (on) this.timer = setTimeout(() => this.poll(), LIVE_EVERY_MS);
    if (this.rows.length) this.draw();
  }

  /** Why Live adds nothing while the rows are sorted otherwise or paged, and the way back. */
  livePaused() {
    if (!this.live || this.tailing()) return null;
    const newest = () => {
      this.state.sort = null;
      this.state.page = 0;
      this.onState({ sort: null, page: 0 });
      this.load();
    };
    return h("div", { class: "notice info row", role: "note", style: { margin: "10px 12px" }, "data-testid": "live-paused" },
      h("span", { class: "grow" }, "Live adds new requests on the first page, newest first: it waits while the rows are sorted otherwise or paged."),
      h("button", { type: "button", onclick: newest }, "Show newest"));
  }

  tailing() {
    const sort = this.state.sort;
    return this.state.page === 0 && (!sort || (sort.key === "created_at" && sort.dir === "desc"));
  }

  async poll() {
    if (!this.live || this.signal?.aborted) return;
    try {
      if (!document.hidden && this.tailing()) {
        const newest = this.rows.length ? parseTime(this.rows[0].request_created_at) : null;
        const since = newest ? { request_response_rmt: { request_created_at: { gt: newest.toISOString() } } } : null;
        const rows = await api.post("/v1/request/query-clickhouse", {
          filter: combine([this.filter(), since]), sort: { created_at: "desc" }, limit: 100, offset: 0, includeInputs: true,
        }, { signal: this.signal });
        const known = new Set(this.rows.map((r) => r.request_id));
        const added = rows.filter((r) => !known.has(r.request_id));
        if (added.length) {
          this.rows = added.concat(this.rows);
          if (this.rows.length > this.state.size) {
            this.rows = this.rows.slice(0, this.state.size);
            this.hasNext = true;
          }
          this.draw(new Set(added.map((r) => r.request_id)));
        }
      }
    } catch (error) {
      if (error.name === "AbortError") return;
    }
    if (this.live) this.timer = setTimeout(() => this.poll(), LIVE_EVERY_MS);
  }
}
