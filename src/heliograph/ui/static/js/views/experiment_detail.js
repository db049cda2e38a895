// One experiment: its versions (with a summary of each one's outputs, promotion, an inline
// edit into a new version), its rows (typed in or from a dataset), evaluators, the cost
// estimate and run controls, live progress while it runs, and the comparison table.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { errorState, loading } from "../components/states.js";
import { evaluatorsCard } from "./experiment_evaluators.js";
import { editRowForm, rowsCard } from "./experiment_rows.js";
import { runCard } from "./experiment_run.js";
import { resultsCard } from "./experiment_table.js";
import { versionsCard } from "./experiment_versions.js";
import { statusBadge } from "./experiments.js";

export const title = "Experiment";

const POLL_MS = 1000;
// After a run, outputs are done before their calls are logged and scored: poll this many
// more times (again after each change the user makes).
const LOG_WAIT_POLLS = 30;

/** Whether a page of results holds a done output whose logged call, or a score of an
 *  attached evaluator, has not arrived yet. */
function awaitingLogs(rows, scoreNames) {
  const incomplete = (cell) => cell.status === "done"
    && (!cell.call || scoreNames.some((name) => !(name in (cell.call.scores || {}))));
  return rows.some((row) => Object.values(row.outputs).some(incomplete));
}

async function loadExperiment(id, signal) {
  const [experiment, versions, evaluators] = await Promise.all([
    api.get(`/v2/experiment/${id}`, { signal }),
    api.get(`/v2/experiment/${id}/prompt-versions`, { signal }),
    api.get(`/v2/experiment/${id}/evaluators`, { signal }),
  ]);
  // The prompt's versions: which environment each serves, and those not compared yet.
  const promptVersions = await api.post("/v1/prompt-2025/query/versions", { promptId: experiment.prompt_id }, { signal });
  return { experiment, versions, evaluators, promptVersions };
}

function heading(screen) {
  const { experiment } = screen.data;
  return h("div", { class: "row wrap", "data-testid": "experiment-head" },
    statusBadge(screen.progress?.status || experiment.status),
    h("span", { class: "muted", "data-testid": "row-count" }, `${experiment.row_count} rows`),
    h("span", { class: "muted" }, "inputs"),
    experiment.input_keys.length ? experiment.input_keys.map((key) => h("code", {}, key)) : h("span", { class: "faint" }, "none"),
    h("span", { class: "grow" }),
    h("a", { href: `/prompts/${encodeURIComponent(experiment.prompt_id)}` }, "Open the prompt"),
    h("span", { class: "muted" }, `created ${fmtTime(experiment.created_at)}`));
}

export async function render(ctx, ui) {
  const [id] = ctx.params;
  const back = h("a", { href: "/experiments", class: "button ghost" }, icon("back", 16), "Experiments");
  const slots = {
    head: h("div"), run: h("div"), versions: h("div"), form: h("div"), rows: h("div"), evaluators: h("div"), rowForm: h("div"), table: h("div"),
  };
  let timer = null;
  let logPolls = 0;
  let extraPolls = 0;
  let lastDrawn = null;
  let generation = 0;
  const page = h("div", { class: "stack experiment", "data-testid": "experiment-detail" },
    slots.head, slots.versions, slots.form, h("div", { class: "grid cols-2" }, slots.rows, slots.evaluators), slots.run, slots.rowForm, slots.table);
  ctx.onLeave(() => clearTimeout(timer));
  const screen = {
    id, ctx, data: null, progress: null, results: [], page: 0, pageSize: 50, run: null, versionsPanel: null,
    /** Everything again: after a change to the experiment's versions, rows or evaluators. */
    async reload() {
      try {
        screen.data = await loadExperiment(id, ctx.signal);
      } catch (error) {
        if (error.name !== "AbortError") mount(ui.main, errorState(error, screen.reload));
        return;
      }
      ui.setTitle(screen.data.experiment.name, back);
      lastDrawn = null;
      logPolls = 0;
      screen.run = runCard(screen);
      screen.versionsPanel = versionsCard(screen, slots.form);
      mount(slots.run, screen.run.el);
      mount(slots.versions, screen.versionsPanel.el);
      mount(slots.rows, rowsCard(screen));
      mount(slots.evaluators, evaluatorsCard(screen));
      if (!page.isConnected) mount(ui.main, page); // first load, or after an error
      await screen.refresh();
    },
    /** The run's progress, the summary and the table (what a running experiment changes). */
    async refresh() {
      clearTimeout(timer);
      const mine = ++generation;
      const offset = screen.page * screen.pageSize;
      try {
        [screen.progress, screen.results] = await Promise.all([
          api.get(`/v2/experiment/${id}/progress`, { signal: ctx.signal }),
          api.get(`/v2/experiment/${id}/results?offset=${offset}&limit=${screen.pageSize + 1}`, { signal: ctx.signal }),
        ]);
      } catch (error) {
        if (error.name !== "AbortError" && mine === generation) mount(slots.table, errorState(error, screen.refresh));
        return;
      }
      if (mine !== generation) return; // a newer refresh draws
      const drawn = JSON.stringify([screen.page, screen.progress, screen.results]);
      if (drawn !== lastDrawn) {
        lastDrawn = drawn;
        mount(slots.head, heading(screen));
        screen.run.update(screen.progress);
        screen.versionsPanel.update();
        mount(slots.table, resultsCard(screen));
      }
      const running = screen.progress.status === "running";
      logPolls = running ? 0 : logPolls + 1;
      const scoreNames = screen.data.evaluators.map((e) => e.score_name);
      const waiting = awaitingLogs(screen.results, scoreNames) && logPolls <= LOG_WAIT_POLLS;
      if (running || waiting || extraPolls-- > 0) timer = setTimeout(screen.refresh, POLL_MS);
    },
    editRow(row) {
      mount(slots.rowForm, editRowForm(screen, row, (saved) => { mount(slots.rowForm); if (saved) screen.reload(); }));
      slots.rowForm.scrollIntoView({ block: "nearest" });
    },
    /** Poll `polls` more times: for work the progress does not count (scoring). */
    follow(polls) {
      extraPolls = polls;
    },
  };
  ui.actions.append(h("button", { type: "button", class: "danger", "data-testid": "delete-experiment", onclick: async () => {
    if (!window.confirm("Delete this experiment with its rows and outputs? Its calls stay logged, its versions stay in the prompt.")) return;
    try {
      await api.del(`/v2/experiment/${id}`);
      navigate("/experiments");
    } catch (error) { toast(error.message, "err"); }
  } }, icon("trash", 15), "Delete"));
  ui.setTitle("Experiment", back);
  mount(ui.main, loading("Loading experiment"));
  await screen.reload();
}
