// Prompts: the organization's saved prompts (Prompt-2025), with search, a tag filter and
// paging; a form to create one.
import { api } from "../api.js";
import { debounce, h, mount, toast } from "../dom.js";
import { fmtAgo, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { navigate, updateQuery } from "../router.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable, pager } from "../components/table.js";

export const title = "Prompts";

const PAGE_SIZE = 25;

export function tagBadges(tags) {
  return (tags || []).length
    ? h("span", { class: "row wrap tags" }, tags.map((tag) => h("span", { class: "badge" }, tag)))
    : h("span", { class: "faint" }, "—");
}

function createHint() {
  const base = window.location.origin;
  return h("pre", { class: "code hint" }, [
    `curl -X POST ${base}/v1/prompt-2025 \\`,
    '  -H "Authorization: Bearer $HELIOGRAPH_API_KEY" -H "Content-Type: application/json" \\',
    `  -d '{"name": "Support agent", "promptBody": {"model": "gpt-4o-mini", "messages": [`,
    `        {"role": "system", "content": "You help customers of {{hc:company:string}}."}]}}'`,
  ].join("\n"));
}

function newPromptForm(onDone) {
  const name = h("input", { "aria-label": "Prompt name", placeholder: "Support agent", required: true, maxlength: 255 });
  const model = h("input", { "aria-label": "Model", value: "gpt-4o-mini", required: true, maxlength: 256 });
  const system = h("textarea", { "aria-label": "System message", rows: 3,
    placeholder: "You are a helpful assistant for {{hc:company:string}}." });
  const form = h("form", { class: "card stack", "aria-label": "New prompt", "data-testid": "new-prompt" },
    h("h2", {}, "New prompt"),
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, "Name", name),
      h("label", { class: "field" }, "Model", model)),
    h("label", { class: "field" }, "System message", system),
    h("p", { class: "muted" }, "Variables are written ", h("code", {}, "{{hc:name:type}}"),
      " (types string, number, boolean); the first version is 0.0 and serves production."),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Create prompt"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(null) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const messages = system.value.trim() ? [{ role: "system", content: system.value }] : [];
    try {
      const created = await api.post("/v1/prompt-2025", {
        name: name.value.trim(), tags: [], promptBody: { model: model.value.trim(), messages },
      });
      onDone(created.id);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

function tagFilter(state, reload) {
  const picker = h("select", { "aria-label": "Filter by tag", "data-testid": "tag-filter" });
  const chips = h("span", { class: "chips", "data-testid": "tag-chips" });
  const draw = (known) => {
    mount(picker, h("option", { value: "" }, known.length ? "Filter by tag…" : "No tags yet"),
      known.filter((tag) => !state.tags.includes(tag)).map((tag) => h("option", { value: tag }, tag)));
    mount(chips, state.tags.map((tag) => h("span", { class: "chip" }, tag,
      h("button", { type: "button", "aria-label": `Remove tag filter ${tag}`,
        onclick: () => { state.tags = state.tags.filter((t) => t !== tag); reload(); draw(known); } }, icon("x", 13)))));
  };
  let known = [];
  picker.addEventListener("change", () => {
    if (picker.value) state.tags = [...state.tags, picker.value];
    reload();
    draw(known);
  });
  api.get("/v1/prompt-2025/tags").then((tags) => { known = tags; draw(known); }, () => draw([]));
  draw(known);
  return [picker, chips];
}

export async function render(ctx, ui) {
  const state = { search: ctx.query.get("q") || "", tags: ctx.query.getAll("tag"), page: Math.max(0, Number(ctx.query.get("page") || 1) - 1) };
  const slot = h("div", { class: "card flush" });
  const formSlot = h("div");
  ui.actions.append(h("button", { type: "button", class: "primary", "data-testid": "new-prompt-button",
    onclick: () => mount(formSlot, newPromptForm((id) => { mount(formSlot); if (id) navigate(`/prompts/${encodeURIComponent(id)}`); })) },
  icon("plus", 15), "New prompt"));
  const input = h("input", { type: "search", placeholder: "Search prompt names", "aria-label": "Search prompts", value: state.search });

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    mount(slot, loading("Loading prompts"));
    const query = { search: state.search, tagsFilter: state.tags };
    let rows, next;
    try {
      // Is there a next page? Its first prompt: with pageSize 1, `page` is an offset.
      [rows, next] = await Promise.all([
        api.post("/v1/prompt-2025/query", { ...query, page: state.page, pageSize: PAGE_SIZE }, { signal: ctx.signal }),
        api.post("/v1/prompt-2025/query", { ...query, page: (state.page + 1) * PAGE_SIZE, pageSize: 1 }, { signal: ctx.signal }),
      ]);
    } catch (error) {
      if (error.name !== "AbortError" && mine === generation) mount(slot, errorState(error, load));
      return;
    }
    if (mine !== generation) return; // a newer search or page is on its way
    const hasNext = next.length > 0;
    const filtered = state.search || state.tags.length || state.page;
    if (!rows.length) {
      mount(slot, filtered
        ? empty("No prompts match", "Try another name or fewer tags.")
        : empty("No prompts yet", "Save a prompt here (New prompt) or through the REST API, then call it from the gateway with prompt_id and inputs.", createHint()));
      return;
    }
    mount(slot,
      dataTable({
        label: "Prompts", testid: "prompts-table", rows,
        rowHref: (p) => `/prompts/${encodeURIComponent(p.id)}`,
        columns: [
          { key: "name", label: "Name", className: "wrap", render: (p) => p.name },
          { key: "id", label: "Id", render: (p) => h("code", {}, p.id) },
          { key: "tags", label: "Tags", className: "wrap", render: (p) => tagBadges(p.tags) },
          { key: "created_at", label: "Created", render: (p) => h("span", { title: fmtTime(p.created_at) }, fmtAgo(p.created_at)) },
        ],
      }),
      pager({ page: state.page, size: PAGE_SIZE, shown: rows.length, hasNext,
        onPage: (next) => { state.page = next; updateQuery({ page: next ? String(next + 1) : null }); load(); } }));
  };
  const reload = () => {
    state.page = 0;
    updateQuery({ q: state.search || null, tag: state.tags, page: null });
    load();
  };
  input.addEventListener("input", debounce(() => { state.search = input.value; reload(); }, 350));
  mount(ui.main, formSlot,
    h("div", { class: "toolbar" }, h("label", { class: "search" }, icon("search", 16), input), ...tagFilter(state, reload)),
    slot);
  await load();
}
