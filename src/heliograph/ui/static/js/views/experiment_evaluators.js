// An experiment's evaluators: those attached (each scores every output made from then on),
// attach another of the organization's, detach one, and score the outputs made before.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";

const SCORING_POLLS = 15; // the table is polled this many seconds while scores come in

export function evaluatorsCard(screen) {
  const attached = screen.data.evaluators;
  const base = `/v2/experiment/${screen.id}/evaluators`;
  const act = async (call, message) => {
    try {
      await call();
      toast(message);
      screen.reload();
    } catch (error) { toast(error.message, "err"); }
  };
  const select = h("select", { "aria-label": "Evaluator", "data-testid": "evaluator-picker" }, h("option", { value: "" }, "Loading evaluators…"));
  const attach = h("form", { class: "row wrap" }, select, h("button", { type: "submit" }, icon("plus", 15), "Attach"));
  attach.addEventListener("submit", (event) => {
    event.preventDefault();
    if (select.value) act(() => api.post(base, { evaluatorId: select.value }), "Evaluator attached: new outputs are scored");
  });
  const ids = new Set(attached.map((e) => e.id));
  api.post("/v1/evaluator/query", {}, { signal: screen.ctx.signal }).then((all) => {
    const others = all.filter((e) => !ids.has(e.id));
    mount(select, h("option", { value: "" }, others.length ? "Choose an evaluator…" : "No other evaluators"),
      others.map((e) => h("option", { value: e.id }, `${e.name} (${e.scoring_type})`)));
  }, (error) => { if (error.name !== "AbortError") mount(select, h("option", { value: "" }, "Evaluators unavailable")); });
  return h("section", { class: "card stack", "aria-label": "Evaluators", "data-testid": "evaluators-card" },
    h("h2", {}, "Evaluators"),
    attached.length
      ? h("span", { class: "chips" }, attached.map((e) => h("span", { class: "chip", "data-evaluator": e.id },
        h("a", { href: `/evaluators/${encodeURIComponent(e.id)}`, title: `Scores as ${e.score_name}` }, e.name),
        h("button", { type: "button", "aria-label": `Detach ${e.name}`,
          onclick: () => act(() => api.del(`${base}/${e.id}`), `Detached ${e.name}`) }, icon("x", 13)))))
      : h("p", { class: "muted" }, "None attached: outputs are not scored. Evaluators (an LLM as a judge, Python) are made on the ",
        h("a", { href: "/evaluators" }, "Evaluators"), " screen."),
    attach,
    attached.length
      ? h("div", { class: "row" }, h("button", { type: "button", "data-testid": "score-outputs",
        onclick: () => { screen.follow(SCORING_POLLS); act(() => api.post(`${base}/run`), "Scoring the outputs without a score, in the background"); } }, "Score earlier outputs"))
      : null);
}
