// Sign-in: with an e-mail and password, or with a Heliograph API key.
import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { logo } from "../icons.js";
import { navigate } from "../router.js";
import { session, setSession } from "../session.js";

export const bare = true;
export const title = "Sign in";

function nextUrl(ctx) {
  const next = ctx.query.get("next") || "/dashboard";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/signin") ? next : "/dashboard";
}

export function render(ctx, { main }) {
  document.title = "Sign in · Heliograph";
  if (session()) {
    navigate(nextUrl(ctx), { replace: true });
    return;
  }
  let mode = ctx.query.get("with") === "key" ? "key" : "password";
  const card = h("div", { class: "card" });
  mount(main, h("main", { class: "signin" }, card));

  const draw = () => {
    const error = h("div", { role: "alert", "aria-live": "assertive" });
    const fields =
      mode === "password"
        ? [
            h("label", { class: "field" }, "E-mail",
              h("input", { name: "email", type: "email", autocomplete: "username", required: true, autofocus: true })),
            h("label", { class: "field" }, "Password",
              h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
          ]
        : [
            h("label", { class: "field" }, "Heliograph API key",
              h("input", { name: "apiKey", type: "password", autocomplete: "off", placeholder: "sk-helicone-…", required: true, autofocus: true })),
          ];
    const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
    const form = h("form", { "aria-label": "Sign in" }, error, ...fields, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form).entries());
      submit.disabled = true;
      submit.textContent = "Signing in…";
      try {
        setSession(await api.post("/v1/auth/sign-in", data));
        navigate(nextUrl(ctx), { replace: true });
      } catch (failure) {
        mount(error, h("div", { class: "form-error" }, failure.message));
        submit.disabled = false;
        submit.textContent = "Sign in";
        form.querySelector(mode === "password" ? "input[name=password]" : "input")?.select();
      }
    });
    const tabs = h("div", { class: "tabs", role: "tablist" },
      h("button", { type: "button", role: "tab", "aria-selected": String(mode === "password"), onclick: () => { mode = "password"; draw(); } }, "E-mail"),
      h("button", { type: "button", role: "tab", "aria-selected": String(mode === "key"), onclick: () => { mode = "key"; draw(); } }, "API key"));
    mount(card,
      h("div", { class: "brand" }, logo(28), "Heliograph"),
      h("p", { class: "muted", style: { textAlign: "center", marginTop: "0" } }, "Sign in to see your organization's requests."),
      tabs, form,
      h("p", { class: "faint", style: { fontSize: "12px", marginBottom: "0" } },
        "Users are created with ", h("code", {}, "heliograph users create"), "; keys with ", h("code", {}, "heliograph keys create"), "."));
  };
  draw();
}
