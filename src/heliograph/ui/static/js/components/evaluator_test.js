// Trying an evaluator on a logged request: its bodies are read back (/v1/request/{id}) and
// sent to Helicone's test endpoints (/v1/evaluator/python/test, /v1/evaluator/llm/test),
// which run it once and store nothing (a judge's own call is logged, as any call).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";
import { loading } from "./states.js";

function text(body) {
  return typeof body === "string" ? body : JSON.stringify(body ?? null);
}

async function run(evaluator, requestId) {
  const logged = await api.get(`/v1/request/${encodeURIComponent(requestId)}`);
  const testInput = { inputBody: text(logged.request_body), outputBody: text(logged.response_body) };
  if (evaluator.scoring_type === "PYTHON") {
    const result = await api.post("/v1/evaluator/python/test", { code: evaluator.code_template, testInput });
    const scored = result.statusCode === 200;
    return { score: scored ? result.output : null, error: scored ? null : result.output, traces: result.traces };
  }
  const result = await api.post("/v1/evaluator/llm/test", {
    evaluatorConfig: { evaluator_scoring_type: evaluator.scoring_type, evaluator_llm_template: evaluator.llm_template },
    testInput, evaluatorName: evaluator.name,
  });
  return { score: result.score, error: result.error, traces: [] };
}

function outcome(result) {
  return h("div", { class: "stack", "data-testid": "test-result" },
    result.error === null
      ? h("p", {}, h("span", { class: "badge ok" }, "Score"), " ", h("strong", {}, String(result.score)))
      : h("p", {}, h("span", { class: "badge err" }, "No score"), " ", result.error),
    result.traces.length ? h("pre", { class: "code", "aria-label": "Printed" }, result.traces.join("\n")) : null);
}

/** The "Test on a request" card of an evaluator. */
export function testPanel(evaluator) {
  const requestId = h("input", { class: "grow", "aria-label": "Request id", placeholder: "a logged request's id", required: true, maxlength: 100 });
  const result = h("div");
  const form = h("form", { class: "row" }, requestId,
    h("button", { type: "submit", class: "primary" }, icon("play", 15), "Run"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    mount(result, loading("Running the evaluator"));
    try {
      mount(result, outcome(await run(evaluator, requestId.value.trim())));
    } catch (error) {
      mount(result);
      toast(error.message, "err");
    }
  });
  return h("section", { class: "card stack", "aria-label": "Test on a request", "data-testid": "test-evaluator" },
    h("h2", {}, "Test on a request"),
    h("p", { class: "muted" }, "Runs the evaluator once on a logged request; no score is written."),
    form, result);
}
