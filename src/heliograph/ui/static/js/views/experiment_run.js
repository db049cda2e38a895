// Running an experiment: the cost estimate per version (choose which versions run), the
// model (each version's own, or one for all), rate limit policy, concurrency and cache, Run
// and Stop, and the live progress of the run.
import { api } from "../api.js";
import { debounce, h, mount, toast } from "../dom.js";
import { fmtCost, fmtNumber } from "../format.js";
import { icon } from "../icons.js";
import { errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";
import { versionName } from "./experiment_versions.js";

const MAX_CONCURRENCY = 32;

function estimateTable(estimates, versions, chosen, onChange) {
  const byId = new Map(versions.map((v) => [v.id, v]));
  const total = h("p", { class: "muted", "data-testid": "estimate-total" });
  const drawTotal = () => {
    const picked = estimates.filter((e) => chosen.has(e.promptVersionId));
    const calls = picked.reduce((sum, e) => sum + e.calls, 0);
    const cost = picked.reduce((sum, e) => sum + e.cost, 0);
    mount(total, "At most ", h("strong", {}, fmtCost(cost)), ` for ${fmtNumber(calls)} calls of the chosen versions over every row. `
      + "A run makes only the calls whose row has no output of the version yet.");
  };
  const table = dataTable({
    label: "Cost estimate", testid: "estimate-table", rows: estimates,
    columns: [
      { key: "run", label: "Run", render: (e) => h("input", { type: "checkbox", checked: chosen.has(e.promptVersionId),
        "aria-label": `Run ${byId.has(e.promptVersionId) ? versionName(byId.get(e.promptVersionId)) : e.promptVersionId}`,
        onchange: (event) => { if (event.target.checked) chosen.add(e.promptVersionId); else chosen.delete(e.promptVersionId); drawTotal(); onChange(); } }) },
      { key: "version", label: "Version", render: (e) => (byId.has(e.promptVersionId) ? versionName(byId.get(e.promptVersionId)) : e.promptVersionId) },
      { key: "model", label: "Model", className: "clip", render: (e) => e.model },
      { key: "calls", label: "Calls", num: true, render: (e) => fmtNumber(e.calls) },
      { key: "prompt", label: "Prompt tokens", num: true, render: (e) => fmtNumber(e.promptTokens) },
      { key: "completion", label: "Completion tokens (at most)", num: true, render: (e) => fmtNumber(e.completionTokens) },
      { key: "cost", label: "Estimated cost", num: true, render: (e) => fmtCost(e.cost) },
    ],
  });
  drawTotal();
  return [table, total];
}

function progressView(progress) {
  const finished = progress.done + progress.failed;
  return h("div", { class: "stack tight", "data-testid": "run-progress", "data-status": progress.status },
    h("progress", { max: Math.max(progress.total, 1), value: finished, "aria-label": "Run progress" }),
    h("div", { class: "row wrap" },
      h("span", { class: ["badge", progress.status === "running" ? "info" : ""] }, progress.status),
      h("span", { "data-testid": "progress-counts" }, `${fmtNumber(progress.done)} done, ${fmtNumber(progress.failed)} failed, `
        + `${fmtNumber(progress.pending)} pending of ${fmtNumber(progress.total)}`),
      h("span", { class: "muted" }, `${fmtCost(progress.cost)} spent`)));
}

/** The run card: {el, update(progress)}; the estimate is asked for once per card. */
export function runCard(screen) {
  const { versions } = screen.data;
  const chosen = new Set(versions.map((v) => v.id));
  const estimateSlot = h("div");
  const progressSlot = h("div");
  const concurrency = h("input", { type: "number", min: 1, max: MAX_CONCURRENCY, value: 4, "aria-label": "Concurrency", class: "narrow" });
  const cache = h("input", { type: "checkbox", "aria-label": "Use the cache" });
  const model = h("input", { "aria-label": "Model", placeholder: "each version's own", maxlength: 256, class: "medium" });
  const policy = h("input", { "aria-label": "Rate limit policy", placeholder: "100;w=60", maxlength: 256, class: "medium" });
  const run = h("button", { type: "button", class: "primary", "data-testid": "run-experiment" }, icon("play", 15), "Run");
  const stop = h("button", { type: "button", class: "danger", "data-testid": "stop-experiment", disabled: true }, "Stop");
  const canRun = () => { run.disabled = !chosen.size || screen.progress?.status === "running"; };
  run.addEventListener("click", async () => {
    const value = Number(concurrency.value);
    if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
      toast(`Concurrency is a whole number from 1 to ${MAX_CONCURRENCY}`, "err");
      return;
    }
    const body = { concurrency: value, cache: cache.checked };
    if (model.value.trim()) body.model = model.value.trim();
    if (policy.value.trim()) body.rateLimitPolicy = policy.value.trim();
    if (chosen.size < versions.length) body.promptVersionIds = [...chosen];
    run.disabled = true;
    let queued;
    try {
      ({ queued } = await api.post(`/v2/experiment/${screen.id}/run`, body));
    } catch (error) { toast(error.message, "err"); }
    await screen.refresh();
    if (queued === undefined) return;
    // Cells a stopped run left pending run again without being queued anew.
    const pending = screen.progress ? screen.progress.pending : 0;
    if (queued) toast(`Queued ${queued} calls`);
    else if (pending) toast(`Resumed ${pending} pending calls`);
    else toast("Nothing to run: every row has an output of the chosen versions");
  });
  stop.addEventListener("click", async () => {
    try {
      await api.post(`/v2/experiment/${screen.id}/stop`);
      toast("Stopped: calls in flight finish, the next run goes on from there");
    } catch (error) { toast(error.message, "err"); }
    await screen.refresh();
  });
  let asked = 0;
  const estimate = async () => {
    const mine = ++asked;
    mount(estimateSlot, loading("Estimating"));
    const body = model.value.trim() ? { model: model.value.trim() } : {};
    try {
      const estimates = await api.post(`/v2/experiment/${screen.id}/estimate`, body, { signal: screen.ctx.signal });
      if (mine === asked) mount(estimateSlot, estimateTable(estimates, versions, chosen, canRun));
    } catch (error) {
      if (error.name !== "AbortError" && mine === asked) mount(estimateSlot, errorState(error));
    }
  };
  model.addEventListener("input", debounce(estimate, 400));
  estimate();
  const el = h("section", { class: "card stack", "aria-label": "Run", "data-testid": "run-card" },
    h("h2", {}, "Run"),
    estimateSlot,
    h("div", { class: "row wrap" },
      h("label", { class: "row", title: "A model the gateway takes (gpt-4o, claude-3-5-sonnet-20241022/anthropic) over every version's own" }, "Model", model),
      h("label", { class: "row", title: "Helicone-RateLimit-Policy for the run's calls: a call it holds back waits its turn" }, "Rate limit", policy)),
    h("div", { class: "row wrap" },
      h("label", { class: "row" }, "Concurrency", concurrency),
      h("label", { class: "toggle" }, cache, "Answer repeated calls from the cache"),
      h("span", { class: "grow" }), run, stop),
    progressSlot);
  return {
    el,
    update(progress) {
      mount(progressSlot, progress.total ? progressView(progress) : h("p", { class: "muted" }, "Not run yet."));
      stop.disabled = progress.status !== "running";
      canRun();
    },
  };
}
