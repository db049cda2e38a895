// One evaluator: its definition, the stats of the scores it wrote (/v1/evaluator/{id}/stats),
// its most recent scores, a test run on a logged request, and online evaluation (attach to
// live traffic with a sample rate and property filters, detach); delete.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtAgo, fmtNumber, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { barList } from "../components/chart.js";
import { onlinePanel } from "../components/evaluator_online.js";
import { testPanel } from "../components/evaluator_test.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";
import { kindLabel } from "./evaluators.js";

export const title = "Evaluator";
const RECENT = 10;
const TRENDS = { up: "Rising", down: "Falling", stable: "Steady" };

function stat(label, value, testid) {
  return h("div", { class: "stat", "data-testid": testid },
    h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

function definition(evaluator) {
  const body = evaluator.scoring_type === "PYTHON"
    ? evaluator.code_template
    : JSON.stringify(evaluator.llm_template, null, 2);
  return h("section", { class: "card stack", "aria-label": "Definition" },
    h("p", {}, h("span", { class: "badge info" }, kindLabel(evaluator.scoring_type)),
      " writes the score ", h("code", { "data-testid": "score-name" }, evaluator.score_name)),
    h("pre", { class: "code" }, body));
}

function statsView(stats) {
  const number = (value) => fmtNumber(Math.round(value * 100) / 100);
  return h("div", { class: "stack" },
    h("div", { class: "stats" },
      stat("Average score", stats.totalUses ? number(stats.averageScore) : "—", "stat-average"),
      stat("Scored requests", fmtNumber(stats.totalUses), "stat-uses"),
      stat("Last 7 days", TRENDS[stats.recentTrend] || stats.recentTrend, "stat-trend")),
    stats.scoreDistribution.length
      ? h("div", { "data-testid": "score-distribution" }, h("h3", {}, "Distribution"),
          barList(stats.scoreDistribution.map((b) => ({ label: b.range, value: b.count })), { format: fmtNumber }))
      : null,
    stats.timeSeriesData.length
      ? h("div", { "data-testid": "score-series" }, h("h3", {}, "Daily average, last 30 days"),
          barList(stats.timeSeriesData.map((d) => ({ label: d.date, value: d.value })), { format: number }))
      : null);
}

function recentTable(rows, scoreName) {
  if (!rows.length) return empty("No scores yet", "Test it on a request, or attach it to live traffic.");
  return dataTable({
    label: "Recent scores", testid: "recent-scores", rows,
    rowHref: (r) => `/requests/${r.request_id}`,
    columns: [
      { key: "when", label: "Request", render: (r) => h("span", { title: fmtTime(r.request_created_at) }, fmtAgo(r.request_created_at)) },
      { key: "model", label: "Model", render: (r) => r.model || "—" },
      { key: "score", label: "Score", num: true, render: (r) => String(r.scores[scoreName]) },
    ],
  });
}

async function loadScores(evaluator, signal) {
  const filter = { request_response_rmt: { scores: { [evaluator.score_name]: { "not-equals": "null" } } } };
  return Promise.all([
    api.get(`/v1/evaluator/${evaluator.id}/stats`, { signal }),
    api.post("/v1/request/query-clickhouse", { filter, sort: { created_at: "desc" }, limit: RECENT, offset: 0 }, { signal }),
  ]);
}

export async function render(ctx, ui) {
  const evaluatorId = ctx.params[0];
  const slot = h("div", { class: "stack" });
  mount(ui.main, slot);
  mount(slot, loading("Loading the evaluator"));
  let evaluator;
  try {
    evaluator = await api.get(`/v1/evaluator/${evaluatorId}`, { signal: ctx.signal });
  } catch (error) {
    if (error.name === "AbortError") return;
    mount(slot, error.status === 404 ? empty("No such evaluator", "It was deleted, or belongs to another organization.") : errorState(error, () => render(ctx, ui)));
    return;
  }
  ui.setTitle(evaluator.name);
  ui.actions.append(h("button", { type: "button", class: "danger", "data-testid": "delete-evaluator", onclick: async () => {
    if (!window.confirm("Delete this evaluator and detach it? Scores it wrote stay.")) return;
    try {
      await api.del(`/v1/evaluator/${evaluator.id}`);
      navigate("/evaluators");
    } catch (error) { toast(error.message, "err"); }
  } }, icon("trash", 15), "Delete"));
  const scores = h("div", { class: "stack" });
  const loadStats = async () => {
    mount(scores, loading("Loading scores"));
    try {
      const [stats, recent] = await loadScores(evaluator, ctx.signal);
      mount(scores, statsView(stats), h("h3", {}, "Recent scores"), h("div", { class: "card flush" }, recentTable(recent, evaluator.score_name)));
    } catch (error) {
      if (error.name !== "AbortError") mount(scores, errorState(error, loadStats));
    }
  };
  mount(slot, definition(evaluator),
    h("section", { class: "card stack", "aria-label": "Scores" }, h("div", { class: "row" }, h("h2", { class: "grow" }, "Scores"),
      h("button", { type: "button", class: "ghost", "data-testid": "refresh-scores", onclick: loadStats }, icon("refresh", 15), "Refresh")), scores),
    testPanel(evaluator), onlinePanel(evaluator.id, ctx.signal));
  await loadStats();
}
