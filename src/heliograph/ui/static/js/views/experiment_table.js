// The comparison table: a row per experiment row (its inputs), a column per version, each
// cell the newest output: its answer, status or error, cost, latency, scores, and a link to
// the logged request.
import { api } from "../api.js";
import { h, toast } from "../dom.js";
import { fmtCost, fmtMs, fmtNumber } from "../format.js";
import { icon } from "../icons.js";
import { empty } from "../components/states.js";
import { dataTable, pager } from "../components/table.js";
import { scoreText, versionName } from "./experiment_versions.js";

const MAX_SHOWN_CHARS = 1200;

function inputsView(row) {
  const entries = Object.entries(row.inputs || {});
  return h("div", { class: "stack tight" },
    entries.length
      ? h("dl", { class: "kv" }, entries.map(([key, value]) => [h("dt", {}, key), h("dd", {}, typeof value === "string" ? value : JSON.stringify(value))]))
      : h("span", { class: "faint" }, "no inputs"),
    row.source_request ? h("a", { href: `/requests/${encodeURIComponent(row.source_request)}` }, "source request") : null);
}

function statusBadge(cell) {
  if (cell.status === "pending") return h("span", { class: "badge info" }, "pending");
  if (cell.status === "failed") return h("span", { class: "badge err" }, "failed");
  const code = cell.call ? cell.call.status : null;
  const ok = code === null || (code >= 200 && code < 300);
  return h("span", { class: ["badge", ok ? "ok" : "err"] }, code === null ? "done" : String(code));
}

/** One output: its answer (or error), then status, cost, latency, tokens, scores, request. */
export function outputCell(cell) {
  if (!cell) return h("span", { class: "faint", "data-testid": "output", "data-status": "none" }, "not run");
  const call = cell.call;
  const text = call ? call.output : "";
  const shown = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  let body;
  if (cell.status === "failed") body = h("div", { class: "form-error", "data-testid": "output-error" }, cell.error || "Failed");
  else if (call) body = h("div", { class: "output-text", "data-testid": "output-text", title: text.length > MAX_SHOWN_CHARS ? "Open the request for the whole answer" : null }, shown);
  else if (cell.status === "done") body = h("span", { class: "faint" }, "logging…");
  else body = h("span", { class: "faint" }, "waiting for its turn");
  return h("div", { class: "output", "data-testid": "output", "data-status": cell.status },
    body,
    h("div", { class: "row wrap output-meta" },
      statusBadge(cell),
      call ? h("span", { title: "Cost" }, fmtCost(call.cost)) : null,
      call ? h("span", { title: "Latency" }, fmtMs(call.latency_ms)) : null,
      call && call.completion_tokens !== null ? h("span", { class: "muted", title: "Prompt / completion tokens" },
        `${fmtNumber(call.prompt_tokens)} / ${fmtNumber(call.completion_tokens)} tok`) : null,
      call && call.cache_hit ? h("span", { class: "badge info" }, "cached") : null,
      call && cell.request_id ? h("a", { href: `/requests/${encodeURIComponent(cell.request_id)}`, "data-testid": "output-request" }, "request") : null),
    call ? scoreText(call.scores) : null);
}

async function removeRow(screen, row) {
  try {
    await api.raw("DELETE", `/v2/experiment/${screen.id}/rows`, { inputRecordIds: [row.id] });
    toast("Row removed");
    screen.reload();
  } catch (error) { toast(error.message, "err"); }
}

export function resultsCard(screen) {
  const { versions } = screen.data;
  const rows = screen.results.slice(0, screen.pageSize);
  const card = h("section", { class: "card flush", "aria-label": "Results", "data-testid": "results-card" },
    h("h2", { class: "card-pad" }, "Results"));
  if (!rows.length && !screen.page) {
    card.append(empty("No rows yet", "Add rows of inputs above, then run the versions over them."));
    return card;
  }
  const hasOriginal = rows.some((row) => row.original);
  const columns = [
    { key: "inputs", label: "Inputs", className: "wrap inputs", render: inputsView },
    ...(hasOriginal ? [{ key: "original", label: "Original", className: "wrap cell", render: (row) => (row.original ? outputCell(row.original) : "—") }] : []),
    ...versions.map((v) => ({ key: v.id, label: versionName(v), className: "wrap cell", headClass: "version-head",
      render: (row) => outputCell(row.outputs[v.id]) })),
    { key: "actions", label: "", render: (row) => h("span", { class: "row" },
      h("button", { type: "button", class: "ghost icon", "aria-label": "Edit row", onclick: () => screen.editRow(row) }, icon("edit", 15)),
      h("button", { type: "button", class: "ghost icon", "aria-label": "Remove row", onclick: () => removeRow(screen, row) }, icon("trash", 15))) },
  ];
  card.append(
    dataTable({ label: "Results", testid: "results-table", rows, columns }),
    pager({ page: screen.page, size: screen.pageSize, shown: rows.length, hasNext: screen.results.length > screen.pageSize,
      onPage: (next) => { screen.page = next; screen.refresh(); } }));
  return card;
}
