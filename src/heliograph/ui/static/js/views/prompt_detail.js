// One prompt: its tags and environments, its versions (number, commit message, environments,
// requests), and the chosen version's body, diff, requests and playground.
import { h, mount } from "../dom.js";
import { fmtAgo, fmtCost, fmtMs, fmtNumber, fmtPercent, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { updateQuery } from "../router.js";
import { errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";
import { bodyCache, environmentBadges, loadPrompt, loadUsage, versionLabel } from "./prompt_data.js";
import { deleteButton, environmentsCard, renameButton, tagEditor } from "./prompt_manage.js";
import { playgroundTab } from "./prompt_playground.js";
import { bodyTab, deleteVersionButton, diffTab, drawInto, requestsTab } from "./prompt_version_tabs.js";

export const title = "Prompt";

const TABS = [["body", "Body"], ["diff", "Diff"], ["requests", "Requests"], ["playground", "Playground"]];

function usageCells(usage) {
  const of = (v) => usage.get(v.id);
  return [
    { key: "requests", label: "Requests", num: true, render: (v) => fmtNumber(of(v)?.requests ?? 0) },
    { key: "cost", label: "Cost", num: true, render: (v) => (of(v) ? fmtCost(of(v).cost) : "—") },
    { key: "latency", label: "Avg latency", num: true, render: (v) => fmtMs(of(v)?.latency) },
    { key: "errors", label: "Error rate", num: true, render: (v) => (of(v)?.requests ? fmtPercent(of(v).errors / of(v).requests) : "—") },
  ];
}

function versionsTable(versions, usage, selected, choose) {
  const table = dataTable({
    label: "Versions", testid: "versions-table", rows: versions,
    rowClass: (v) => (v.id === selected ? "selected" : ""),
    columns: [
      { key: "version", label: "Version", render: (v) => h("button", { type: "button", class: "link", "data-version": versionLabel(v),
        "aria-pressed": v.id === selected ? "true" : "false", onclick: () => choose(v.id) }, versionLabel(v)) },
      { key: "commit", label: "Commit message", className: "wrap", render: (v) => v.commit_message || h("span", { class: "faint" }, "—") },
      { key: "environments", label: "Environments", render: (v) => h("span", { class: "row wrap" }, environmentBadges(v)) },
      { key: "model", label: "Model", className: "clip", render: (v) => v.model },
      { key: "created", label: "Created", render: (v) => h("span", { title: fmtTime(v.created_at) }, fmtAgo(v.created_at)) },
      ...usageCells(usage),
    ],
  });
  return h("section", { class: "card flush", "aria-label": "Versions" }, h("h2", { class: "card-pad" }, `Versions (${versions.length})`), table);
}

async function loadPage(promptId, signal) {
  const { prompt, versions } = await loadPrompt(promptId, signal);
  // The usage columns are extra: a prompt page still draws when HQL refuses (rate limit).
  const usage = await loadUsage(prompt.id, signal).catch((error) => {
    if (error.name === "AbortError") throw error;
    return new Map();
  });
  return { prompt, versions, usage };
}

function tabBar(state, onTab) {
  return h("div", { class: "tabs", role: "tablist" }, TABS.map(([key, label]) => h("button", {
    type: "button", role: "tab", "aria-selected": key === state.tab ? "true" : "false", "data-tab": key,
    onclick: () => onTab(key),
  }, label)));
}

/** The chosen version's card: heading, tabs, and the chosen tab drawn into it. */
function drawPanel(panel, screen) {
  const { page, state, body, ctx } = screen;
  const version = page.versions.find((v) => v.id === state.version) || page.versions[0];
  if (!version) {
    mount(panel, h("p", { class: "muted" }, "This prompt has no versions left."));
    return;
  }
  state.version = version.id;
  const content = h("div");
  const onTab = (key) => { state.tab = key; updateQuery({ tab: key === "body" ? null : key }); drawPanel(panel, screen); };
  mount(panel,
    h("div", { class: "card-head" }, h("h2", {}, `Version ${versionLabel(version)}`),
      h("span", { class: "row" }, environmentBadges(version), deleteVersionButton(page.prompt, version, screen.refresh))),
    h("p", { class: "muted" }, version.commit_message), tabBar(state, onTab), content);
  const loaders = {
    body: () => bodyTab(version, body),
    diff: () => diffTab(version, page.versions, body, state.against,
      (id) => { state.against = id; updateQuery({ against: id }); drawPanel(panel, screen); }),
    // Counted anew: runs made since the page was drawn count too.
    requests: async () => {
      page.usage = await loadUsage(page.prompt.id, ctx.signal);
      return requestsTab(version, page.usage, ctx.signal);
    },
    playground: () => playgroundTab({ prompt: page.prompt, version, versions: page.versions, body, onVersion: screen.choose,
      onSaved: (id) => { state.version = id; updateQuery({ version: id }); screen.refresh(); } }),
  };
  drawInto(content, "Loading version", loaders[state.tab] || loaders.body, ctx.signal);
}

function drawPage(ui, screen, back) {
  const { prompt, versions, usage } = screen.page;
  ui.setTitle(prompt.name, back);
  const panel = h("section", { class: "card", "aria-label": "Version", "data-testid": "version-panel" });
  mount(ui.main, h("div", { class: "stack", "data-testid": "prompt-detail" },
    h("div", { class: "row wrap" }, h("code", {}, prompt.id), h("span", { class: "muted" }, `created ${fmtTime(prompt.created_at)}`),
      h("span", { class: "grow" }), renameButton(prompt, screen.refresh), deleteButton(prompt)),
    tagEditor(prompt),
    environmentsCard(prompt, versions, screen.refresh),
    versionsTable(versions, usage, screen.state.version || versions[0]?.id, screen.choose),
    panel));
  drawPanel(panel, screen);
}

export async function render(ctx, ui) {
  const [promptId] = ctx.params;
  const back = h("a", { href: "/prompts", class: "button ghost" }, icon("back", 16), "Prompts");
  const screen = {
    ctx,
    page: null,
    body: bodyCache(ctx.signal),
    state: { version: ctx.query.get("version"), tab: ctx.query.get("tab") || "body", against: ctx.query.get("against") },
    choose(id) {
      Object.assign(screen.state, { version: id, against: null });
      updateQuery({ version: id, against: null });
      drawPage(ui, screen, back);
    },
    async refresh() {
      try {
        screen.page = await loadPage(promptId, ctx.signal);
      } catch (error) {
        if (error.name !== "AbortError") mount(ui.main, errorState(error, screen.refresh));
        return;
      }
      drawPage(ui, screen, back);
    },
  };
  ui.setTitle("Prompt", back);
  mount(ui.main, loading("Loading prompt"));
  await screen.refresh();
}
