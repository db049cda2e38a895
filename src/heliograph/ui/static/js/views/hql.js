// HQL: SQL over your own requests (the server scopes every query to your organization),
// with a schema browser, completion, a results table, CSV download and saved queries.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtNumber } from "../format.js";
import { icon } from "../icons.js";
import { updateQuery } from "../router.js";
import { sqlEditor } from "../components/sql_editor.js";
import { empty, errorState, loading } from "../components/states.js";

export const title = "HQL";
const MAX_SHOWN = 1000;
export const DEFAULT_SQL = `SELECT model, count() AS requests, sum(cost) / 1000000000 AS cost_usd
FROM request_response_rmt
WHERE request_created_at > now() - INTERVAL 7 DAY
GROUP BY model
ORDER BY requests DESC
LIMIT 20`;

function cell(value) {
  if (value === null || value === undefined) return h("span", { class: "faint" }, "null");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function resultsTable(rows) {
  const columns = rows.length ? Object.keys(rows[0]) : [];
  return h("div", { class: "table-wrap", style: { maxHeight: "60vh" } },
    h("table", { class: "data", "aria-label": "Query results", "data-testid": "hql-results" },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.slice(0, MAX_SHOWN).map((row) => h("tr", {}, columns.map((c) => h("td", { class: "preview" }, cell(row[c]))))))));
}

async function downloadCsv(sql) {
  const response = await api.raw("POST", "/v1/helicone-sql/download", { sql });
  const type = response.headers.get("content-type") || "";
  let blob;
  if (type.includes("json")) {
    const payload = await response.json();
    const url = payload.data;
    if (typeof url !== "string") throw new Error("The server did not return a download link");
    const file = await fetch(url, { credentials: "same-origin" });
    if (!file.ok) throw new Error(`Download failed: ${file.status}`);
    blob = await file.blob();
  } else {
    blob = await response.blob();
  }
  const link = h("a", { href: URL.createObjectURL(blob), download: "hql-results.csv" });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export async function render(ctx, ui) {
  let schema = [];
  const columns = () => schema.flatMap((table) => table.columns);
  const initial = ctx.query.get("sql") || DEFAULT_SQL;
  const results = h("section", { class: "card flush", "aria-label": "Results" },
    h("p", { class: "muted", style: { padding: "16px", margin: 0 } }, "Run a query to see results. Ctrl/⌘+Enter runs, Ctrl/⌘+S saves."));
  const status = h("span", { class: "muted", role: "status" });
  const run = async () => {
    const sql = editor.value.trim();
    if (!sql) return;
    updateQuery({ sql: sql === DEFAULT_SQL ? null : sql });
    mount(results, loading("Running query"));
    status.textContent = "";
    try {
      // One row more than shown: whether the result was cut, without counting all of it.
      const data = await api.post("/v1/helicone-sql/execute", { sql, limit: MAX_SHOWN + 1 }, { signal: ctx.signal });
      const rows = data.rows || [];
      const cut = rows.length > MAX_SHOWN;
      const count = cut ? `${fmtNumber(MAX_SHOWN)}+ rows` : `${fmtNumber(rows.length)} ${rows.length === 1 ? "row" : "rows"}`;
      status.textContent = `${count} · ${fmtNumber(data.elapsedMilliseconds)} ms`;
      mount(results,
        cut ? h("p", { class: "notice info", style: { margin: "12px" }, "data-testid": "hql-capped" },
          `Showing the first ${fmtNumber(MAX_SHOWN)} rows: the query returns more. The CSV button downloads all of them (up to 300,000).`) : null,
        rows.length ? resultsTable(rows) : empty("No rows", "The query ran and returned nothing."));
    } catch (error) {
      if (error.name !== "AbortError") mount(results, errorState(error));
    }
  };
  const saved = h("div", { class: "schema" });
  const loadSaved = async () => {
    try {
      const queries = await api.get("/v1/helicone-sql/saved-queries", { signal: ctx.signal });
      mount(saved, queries.length
        ? h("ul", { "data-testid": "saved-queries" }, queries.map((q) => h("li", { class: "row" },
            h("button", { type: "button", class: "grow", title: q.sql, onclick: () => { editor.value = q.sql; editor.focus(); } }, h("span", {}, q.name)),
            h("button", { type: "button", class: "ghost icon", "aria-label": `Delete saved query ${q.name}`, onclick: () => removeSaved(q) }, icon("x", 13)))))
        : h("p", { class: "faint" }, "None yet: Ctrl/⌘+S saves the editor's query."));
    } catch (error) {
      if (error.name !== "AbortError") mount(saved, h("p", { class: "faint" }, error.missingEndpoint ? "Saved queries are not available on this server." : error.message));
    }
  };
  const removeSaved = async (q) => {
    if (!window.confirm(`Delete the saved query "${q.name}"?`)) return;
    try { await api.del(`/v1/helicone-sql/saved-query/${q.id}`); loadSaved(); } catch (error) { toast(error.message, "err"); }
  };
  const save = async () => {
    const name = window.prompt("Name this query");
    if (!name) return;
    try { await api.post("/v1/helicone-sql/saved-query", { name, sql: editor.value }); toast("Query saved"); loadSaved(); } catch (error) { toast(error.message, "err"); }
  };
  const editor = sqlEditor({ value: initial, columns, onRun: run, onSave: save });
  const schemaBox = h("div", { class: "schema", "data-testid": "hql-schema" }, loading("Loading schema"));
  const download = h("button", { type: "button", "data-testid": "hql-download" }, icon("download", 15), "CSV");
  download.addEventListener("click", async () => {
    download.disabled = true;
    try { await downloadCsv(editor.value.trim()); } catch (error) { toast(error.message, "err"); } finally { download.disabled = false; }
  });
  mount(ui.main, h("div", { class: "hql" },
    h("aside", { class: "card stack", "aria-label": "Schema and saved queries" },
      h("div", {}, h("h3", {}, "Schema"), schemaBox),
      h("div", {}, h("h3", {}, "Saved queries"), saved)),
    h("div", { class: "stack" },
      editor.el,
      h("div", { class: "row wrap" },
        h("button", { type: "button", class: "primary", onclick: run, "data-testid": "hql-run" }, icon("play", 15), "Run"),
        h("button", { type: "button", onclick: save }, "Save"), download, status),
      results)));

  try {
    schema = await api.get("/v1/helicone-sql/schema", { signal: ctx.signal });
    mount(schemaBox, schema.map((table) => h("details", { open: true },
      h("summary", {}, table.table_name),
      h("ul", {}, table.columns.map((column) => h("li", {},
        h("button", { type: "button", title: `Insert ${column.name}`, onclick: () => editor.insert(column.name) },
          h("span", {}, column.name), h("span", { class: "type" }, column.type))))))));
  } catch (error) {
    if (error.name !== "AbortError") mount(schemaBox, errorState(error));
  }
  loadSaved();
}
