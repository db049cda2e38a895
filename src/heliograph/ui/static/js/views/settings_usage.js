// Settings: the response cache (hits, savings, clear) and rate-limit usage.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtCost, fmtNumber, fmtPercent } from "../format.js";
import { icon } from "../icons.js";
import { timeChart } from "../components/chart.js";
import { errorState, loading } from "../components/states.js";

function stat(label, value, sub) {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null);
}

export async function cache(root, ctx) {
  const stats = h("div");
  const load = async () => {
    mount(stats, loading());
    try {
      const m = await api.get("/v1/cache/metrics?hours=720", { signal: ctx.signal });
      mount(stats, h("div", { class: "stats", "data-testid": "cache-stats" },
        stat("Cache hits", fmtNumber(m.hits), `${fmtPercent(m.hit_rate)} of cacheable requests`),
        stat("Saved", fmtCost(m.saved_cost_usd), `${fmtNumber(m.saved_prompt_tokens + m.saved_completion_tokens)} tokens`),
        stat("Cacheable requests", fmtNumber(m.cache_enabled_requests), `of ${fmtNumber(m.requests)} in 30 days`)));
    } catch (error) {
      if (error.name !== "AbortError") mount(stats, errorState(error, load));
    }
  };
  const clear = h("button", { type: "button", class: "danger", "data-testid": "cache-clear" }, icon("trash", 15), "Clear cache");
  clear.addEventListener("click", async () => {
    if (!window.confirm("Forget every cached response of this organization?")) return;
    try {
      const result = await api.del("/v1/cache");
      toast(`Cleared ${fmtNumber(result.cleared)} cached responses`);
      load();
    } catch (error) { toast(error.message, "err"); }
  });
  mount(root,
    h("section", { class: "card", "aria-label": "Cache" },
      h("div", { class: "card-head" }, h("h2", {}, "Response cache (last 30 days)"), clear),
      h("p", { class: "muted" }, "Send Helicone-Cache-Enabled: true to answer repeated requests from the cache. Clearing forces fresh answers."),
      stats));
  await load();
}

export async function rateLimits(root, ctx) {
  const slot = h("div");
  mount(root,
    h("section", { class: "card", "aria-label": "Rate limits" }, h("h2", {}, "Rate-limited requests (last 7 days)"),
      h("p", { class: "muted" }, "Policies come with each request in the Helicone-RateLimit-Policy header, e.g. ",
        h("code", {}, "1000;w=3600;u=request;s=user"), ". Requests over a limit get status 429 and are counted here."),
      slot));
  mount(slot, loading());
  const end = new Date();
  const timeFilter = { start: new Date(end.getTime() - 7 * 86400e3).toISOString(), end: end.toISOString() };
  try {
    const [overview, series, users] = await Promise.all([
      api.post("/v1/metrics/overview", { filter: "all", timeFilter }, { signal: ctx.signal }),
      api.post("/v1/metrics/over-time", { filter: "all", timeFilter, increment: "hour", timezoneDifference: new Date().getTimezoneOffset() }, { signal: ctx.signal }),
      api.post("/v1/metrics/breakdown", { filter: "all", timeFilter, groupBy: "user", sortBy: "rate_limited_count", limit: 10 }, { signal: ctx.signal }),
    ]);
    const limited = users.groups.filter((g) => g.rate_limited_count > 0);
    mount(slot,
      h("div", { class: "stats", "data-testid": "rate-limit-stats" },
        stat("Rate-limited requests", fmtNumber(overview.rate_limited_count), `of ${fmtNumber(overview.request_count)} requests`)),
      h("div", { style: { marginTop: "12px" } }, timeChart({ times: series.buckets.map((b) => new Date(b.time)), kind: "bar", format: fmtNumber,
        label: "Rate-limited requests per hour", series: [{ name: "Rate-limited", values: series.buckets.map((b) => b.rate_limited_count) }] })),
      limited.length
        ? h("div", { style: { marginTop: "12px" } }, h("h3", {}, "Most limited users"),
            h("dl", { class: "kv" }, limited.map((g) => [h("dt", {}, g.key || "(no user)"), h("dd", {}, fmtNumber(g.rate_limited_count))])))
        : null);
  } catch (error) {
    if (error.name !== "AbortError") mount(slot, errorState(error));
  }
}
