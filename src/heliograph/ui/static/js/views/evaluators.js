// Evaluators: the organization's evaluators (Helicone's /v1/evaluator), newest first, and a
// form to create one: an LLM as a judge (a scoring type, a model and the judge's prompt) or
// Python code defining evaluate(request, response).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { fmtAgo, fmtTime } from "../format.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { empty, errorState, loading } from "../components/states.js";
import { dataTable } from "../components/table.js";

export const title = "Evaluators";

const KINDS = { "LLM-BOOLEAN": "Judge: yes/no", "LLM-CHOICE": "Judge: choice", "LLM-RANGE": "Judge: range", PYTHON: "Python" };
const JUDGE_PROMPT = "Rate how helpful the answer is from 1 to 10.\n\nQuestion: {{inputBody}}\nAnswer: {{outputBody}}";
const PYTHON_CODE = "def evaluate(request, response):\n    # request and response are the logged bodies (parsed JSON)\n    return len(str(response)) < 2000\n";

/** Helicone's llm_template: a chat completion body whose one user message is the prompt. */
export function judgeTemplate(model, prompt) {
  return { model, messages: [{ role: "user", content: prompt }] };
}

export function kindLabel(scoringType) {
  return KINDS[scoringType] || scoringType;
}

function newEvaluatorForm(onDone) {
  const name = h("input", { "aria-label": "Evaluator name", placeholder: "Helpfulness", required: true, maxlength: 255 });
  const scoring = h("select", { "aria-label": "Scoring type" },
    Object.entries(KINDS).map(([value, label]) => h("option", { value }, label)));
  scoring.value = "LLM-RANGE";
  const model = h("input", { "aria-label": "Judge model", value: "gpt-4o-mini", maxlength: 256 });
  const prompt = h("textarea", { "aria-label": "Judge prompt", rows: 6, class: "code" });
  prompt.value = JUDGE_PROMPT;
  const code = h("textarea", { "aria-label": "Python code", rows: 8, class: "code" });
  code.value = PYTHON_CODE;
  const judgeFields = h("div", { class: "stack" }, h("label", { class: "field" }, "Judge model", model),
    h("label", { class: "field" }, "Judge prompt ({{inputBody}} and {{outputBody}} are the call judged)", prompt));
  const pythonFields = h("label", { class: "field" }, "Code", code);
  const showKind = () => {
    const python = scoring.value === "PYTHON";
    judgeFields.hidden = python;
    pythonFields.hidden = !python;
  };
  scoring.addEventListener("change", showKind);
  showKind();
  const form = h("form", { class: "card stack", "aria-label": "New evaluator", "data-testid": "new-evaluator" },
    h("h2", {}, "New evaluator"),
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, "Name", name),
      h("label", { class: "field" }, "Scoring type", scoring)),
    judgeFields, pythonFields,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, icon("plus", 15), "Create evaluator"),
      h("button", { type: "button", class: "ghost", onclick: () => onDone(null) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), scoring_type: scoring.value };
    if (scoring.value === "PYTHON") body.code_template = code.value;
    else body.llm_template = judgeTemplate(model.value.trim(), prompt.value);
    try {
      const created = await api.post("/v1/evaluator", body);
      onDone(created.id);
    } catch (error) { toast(error.message, "err"); }
  });
  return form;
}

export async function render(ctx, ui) {
  const slot = h("div", { class: "card flush" });
  const formSlot = h("div");
  ui.actions.append(h("button", { type: "button", class: "primary", "data-testid": "new-evaluator-button",
    onclick: () => mount(formSlot, newEvaluatorForm((id) => { mount(formSlot); if (id) navigate(`/evaluators/${id}`); })) },
  icon("plus", 15), "New evaluator"));
  mount(ui.main, formSlot, slot);
  const load = async () => {
    mount(slot, loading("Loading evaluators"));
    let evaluators;
    try {
      evaluators = await api.post("/v1/evaluator/query", {}, { signal: ctx.signal });
    } catch (error) {
      if (error.name !== "AbortError") mount(slot, errorState(error, load));
      return;
    }
    if (!evaluators.length) {
      mount(slot, empty("No evaluators yet", "An evaluator scores logged calls: an LLM as a judge, or Python code. Create one, try it on a request, then attach it to live traffic."));
      return;
    }
    mount(slot, dataTable({
      label: "Evaluators", testid: "evaluators-table", rows: evaluators,
      rowHref: (e) => `/evaluators/${e.id}`,
      columns: [
        { key: "name", label: "Name", className: "wrap", render: (e) => e.name },
        { key: "kind", label: "Kind", render: (e) => h("span", { class: "badge info" }, kindLabel(e.scoring_type)) },
        { key: "score", label: "Score name", render: (e) => h("code", {}, e.score_name) },
        { key: "created", label: "Created", render: (e) => h("span", { title: fmtTime(e.created_at) }, fmtAgo(e.created_at)) },
      ],
    }));
  };
  await load();
}
