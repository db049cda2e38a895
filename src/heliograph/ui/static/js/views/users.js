// Users: requests, tokens and cost per Helicone-User-Id, sortable, with a search.
import { api } from "../api.js";
import { debounce, h, mount } from "../dom.js";
import { fmtAgo, fmtCost, fmtNumber, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { render as rerender, updateQuery } from "../router.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable, encodeSort, nextSort, pager, parseSort } from "../components/table.js";
import { rangePicker, readRange } from "../components/timerange.js";

export const title = "Users";

export function timeFilterSeconds(range) {
  if (!range.start && !range.end) return undefined;
  const end = range.end || new Date();
  const start = range.start || new Date(0);
  return { startTimeUnixSeconds: Math.floor(start.getTime() / 1000), endTimeUnixSeconds: Math.ceil(end.getTime() / 1000) };
}

export async function render(ctx, ui) {
  const range = readRange(ctx.query, "30d");
  let search = ctx.query.get("q") || "";
  let sort = parseSort(ctx.query.get("sort"), { key: "cost", dir: "desc" });
  let page = Math.max(0, Number(ctx.query.get("page") || 1) - 1);
  const size = 50;
  ui.actions.append(rangePicker(range, (values) => { updateQuery({ ...values, page: null }); rerender(); }, { fallback: "30d" }));
  const input = h("input", { type: "search", placeholder: "Search user IDs", "aria-label": "Search users", value: search });
  const count = h("span", { class: "muted" });
  const slot = h("div", { class: "card flush" });
  mount(ui.main, h("div", { class: "toolbar" }, h("label", { class: "search" }, icon("search", 16), input), count), slot);

  const load = async () => {
    mount(slot, loading("Loading users"));
    let data;
    try {
      data = await api.post("/v1/user/metrics/query", {
        filter: search ? { request_response_rmt: { user_id: { contains: search } } } : "all",
        offset: page * size, limit: size, sort: { [sort.key]: sort.dir },
        timeFilter: timeFilterSeconds(range), timeZoneDifferenceMinutes: new Date().getTimezoneOffset(),
      }, { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    count.textContent = `${fmtNumber(data.count)} users`;
    if (!data.users.length) {
      mount(slot, data.hasUsers || search
        ? empty("No users match", "Try another search or a wider time range.")
        : empty("No users yet", "Tag requests with the Helicone-User-Id header to see usage and cost per user.",
            h("pre", { class: "code hint" }, "Helicone-User-Id: alice@example.com")));
      return;
    }
    mount(slot,
      dataTable({
        label: "Users", testid: "users-table", rows: data.users, sort,
        onSort: (key) => { sort = nextSort(sort, key); page = 0; updateQuery({ sort: encodeSort(sort), page: null }); load(); },
        rowHref: (r) => `/users/${encodeURIComponent(r.user_id)}`,
        columns: [
          { key: "user_id", label: "User", sortKey: "user_id" },
          { key: "total_requests", label: "Requests", num: true, sortKey: "total_requests", render: (r) => fmtNumber(r.total_requests) },
          { key: "cost", label: "Cost", num: true, sortKey: "cost", render: (r) => fmtCost(r.cost) },
          { key: "tokens", label: "Tokens / request", num: true, sortKey: "average_tokens_per_request", render: (r) => fmtNumber(r.average_tokens_per_request) },
          { key: "prompt", label: "Prompt tokens", num: true, sortKey: "total_prompt_tokens", render: (r) => fmtNumber(r.total_prompt_tokens) },
          { key: "completion", label: "Completion tokens", num: true, sortKey: "total_completion_tokens", render: (r) => fmtNumber(r.total_completion_tokens) },
          { key: "active_for", label: "Active days", num: true, sortKey: "active_for", render: (r) => fmtNumber(r.active_for) },
          { key: "first_active", label: "First seen", sortKey: "first_active", render: (r) => h("span", { title: fmtTime(r.first_active) }, fmtAgo(r.first_active)) },
          { key: "last_active", label: "Last seen", sortKey: "last_active", render: (r) => h("span", { title: fmtTime(r.last_active) }, fmtAgo(r.last_active)) },
        ],
      }),
      pager({ page, size, shown: data.users.length, hasNext: (page + 1) * size < data.count,
        onPage: (next) => { page = next; updateQuery({ page: next ? String(next + 1) : null }); load(); } }));
  };
  input.addEventListener("input", debounce(() => { search = input.value; page = 0; updateQuery({ q: search || null, page: null }); load(); }, 350));
  await load();
}
