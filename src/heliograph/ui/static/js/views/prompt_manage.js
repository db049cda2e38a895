// A prompt's own settings on its page: rename, delete, tags, and its environments (promote a
// version into one, or roll one back to an older version).
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { byNumber, environmentsOf, versionLabel } from "./prompt_data.js";

const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function renameButton(prompt, done) {
  return h("button", { type: "button", "data-testid": "rename-prompt", onclick: async () => {
    const name = window.prompt("New name", prompt.name);
    if (name === null || !name.trim() || name === prompt.name) return;
    try {
      await api.post(`/v1/prompt-2025/id/${encodeURIComponent(prompt.id)}/rename`, { name: name.trim() });
      toast("Renamed");
      done();
    } catch (error) { toast(error.message, "err"); }
  } }, icon("edit", 15), "Rename");
}

export function deleteButton(prompt) {
  return h("button", { type: "button", class: "danger", "data-testid": "delete-prompt", onclick: async () => {
    if (!window.confirm(`Delete "${prompt.name}" with every version? Gateway calls naming it fail from now on.`)) return;
    try {
      await api.del(`/v1/prompt-2025/${encodeURIComponent(prompt.id)}`);
      toast(`Deleted ${prompt.name}`);
      navigate("/prompts");
    } catch (error) { toast(error.message, "err"); }
  } }, icon("trash", 15), "Delete");
}

/** The prompt's tags as chips; adding or removing one saves them all (PATCH). */
export function tagEditor(prompt) {
  let tags = [...prompt.tags];
  const chips = h("span", { class: "chips" });
  const input = h("input", { "aria-label": "Add a tag", placeholder: "Add a tag", maxlength: 100, class: "tag-input" });
  const save = async (next) => {
    try {
      tags = await api.patch(`/v1/prompt-2025/id/${encodeURIComponent(prompt.id)}/tags`, { tags: next });
      draw();
    } catch (error) { toast(error.message, "err"); }
  };
  const draw = () => mount(chips, tags.map((tag) => h("span", { class: "chip", "data-tag": tag }, tag,
    h("button", { type: "button", "aria-label": `Remove tag ${tag}`, onclick: () => save(tags.filter((t) => t !== tag)) }, icon("x", 13)))));
  const form = h("form", { class: "row wrap", "data-testid": "prompt-tags" }, h("span", { class: "muted" }, "Tags"), chips, input);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = input.value.trim();
    input.value = "";
    if (tag && !tags.includes(tag)) save([...tags, tag]);
  });
  draw();
  return form;
}

function versionOptions(versions, selectedId) {
  return versions.map((v) => h("option", { value: v.id, selected: v.id === selectedId },
    `${versionLabel(v)} · ${(v.commit_message || "").slice(0, 60)}`));
}

async function setEnvironment(prompt, version, environment, done) {
  try {
    await api.post("/v1/prompt-2025/update/environment", { promptId: prompt.id, promptVersionId: version.id, environment });
    toast(`${environment} now serves ${versionLabel(version)}`);
    done();
  } catch (error) { toast(error.message, "err"); }
}

function environmentRow(prompt, versions, env, done) {
  const select = h("select", { "aria-label": `Version for ${env.name}` }, versionOptions(versions, env.version.id));
  const button = h("button", { type: "button", "data-testid": `set-${env.name}` });
  const chosen = () => versions.find((v) => v.id === select.value);
  const draw = () => {
    const order = byNumber(chosen(), env.version);
    button.disabled = order === 0;
    mount(button, order < 0 ? "Promote" : order > 0 ? "Roll back" : "Serving");
  };
  select.addEventListener("change", draw);
  button.addEventListener("click", () => setEnvironment(prompt, chosen(), env.name, done));
  draw();
  return h("tr", { "data-environment-row": env.name },
    h("td", {}, h("span", { class: ["badge", env.name === "production" ? "ok" : "info"] }, env.name)),
    h("td", {}, h("strong", {}, versionLabel(env.version))),
    h("td", {}, h("span", { class: "row" }, select, button)));
}

/** Environments and the version each serves; promote, roll back, or add an environment. */
export function environmentsCard(prompt, versions, done) {
  const environments = environmentsOf(versions);
  const name = h("input", { "aria-label": "New environment name", placeholder: "staging", maxlength: 64 });
  const version = h("select", { "aria-label": "Version for the new environment" }, versionOptions(versions, versions[0]?.id));
  const add = h("form", { class: "row wrap" }, name, version, h("button", { type: "submit" }, icon("plus", 15), "Add environment"));
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!ENVIRONMENT.test(name.value.trim())) {
      toast("An environment name is letters, digits, -, _ and ., starting with a letter or digit", "err");
      return;
    }
    setEnvironment(prompt, versions.find((v) => v.id === version.value), name.value.trim(), done);
  });
  return h("section", { class: "card", "aria-label": "Environments", "data-testid": "environments" },
    h("h2", {}, "Environments"),
    environments.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Environment"), h("th", { scope: "col" }, "Serves"), h("th", { scope: "col" }, "Change"))),
          h("tbody", {}, environments.map((env) => environmentRow(prompt, versions, env, done)))))
      : h("p", { class: "muted" }, "No environment serves a version of this prompt: gateway calls without version_id fail."),
    h("div", { style: { marginTop: "12px" } }, add));
}
