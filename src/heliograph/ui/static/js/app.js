// Start-up: theme, session, the shell (sidebar, top bar) and the screen routes.
import { h, mount } from "./dom.js";
import { icon, logo } from "./icons.js";
import { navigate, route, setShell, start } from "./router.js";
import { loadSession, session, signOut } from "./session.js";
import { applyTheme, currentTheme, toggleTheme } from "./theme.js";
import { errorState } from "./components/states.js";

applyTheme();

const NAV = [
  ["Dashboard", "/dashboard", "dashboard"],
  ["Requests", "/requests", "requests"],
  ["Sessions", "/sessions", "sessions"],
  ["Users", "/users", "users"],
  ["Properties", "/properties", "properties"],
  ["Prompts", "/prompts", "prompts"],
  ["Datasets", "/datasets", "datasets"],
  ["Evaluators", "/evaluators", "evaluators"],
  ["Experiments", "/experiments", "experiments"],
  ["HQL", "/hql", "hql"],
  ["Settings", "/settings", "settings"],
];

route(/^\/signin$/, () => import("./views/signin.js"));
route(/^\/dashboard$/, () => import("./views/dashboard.js"));
route(/^\/requests$/, () => import("./views/requests.js"));
route(/^\/requests\/([^/]+)$/, () => import("./views/request_detail.js"));
route(/^\/sessions$/, () => import("./views/sessions.js"));
route(/^\/sessions\/(.+)$/, () => import("./views/session_detail.js"));
route(/^\/users$/, () => import("./views/users.js"));
route(/^\/users\/(.+)$/, () => import("./views/user_detail.js"));
route(/^\/properties$/, () => import("./views/properties.js"));
route(/^\/prompts$/, () => import("./views/prompts.js"));
route(/^\/datasets$/, () => import("./views/datasets.js"));
route(/^\/datasets\/([^/]+)$/, () => import("./views/dataset_detail.js"));
route(/^\/evaluators$/, () => import("./views/evaluators.js"));
route(/^\/evaluators\/([^/]+)$/, () => import("./views/evaluator_detail.js"));
route(/^\/prompts\/([^/]+)$/, () => import("./views/prompt_detail.js"));
route(/^\/experiments$/, () => import("./views/experiments.js"));
route(/^\/experiments\/([^/]+)$/, () => import("./views/experiment_detail.js"));
route(/^\/hql$/, () => import("./views/hql.js"));
route(/^\/settings(?:\/([a-z-]+))?$/, () => import("./views/settings.js"));

const root = document.getElementById("app");
let shell = null;

function themeButton() {
  const button = h("button", { type: "button", class: "ghost icon", "data-testid": "theme-toggle" });
  const draw = () => {
    const dark = currentTheme() === "dark";
    button.setAttribute("aria-label", dark ? "Switch to light theme" : "Switch to dark theme");
    button.title = button.getAttribute("aria-label");
    mount(button, icon(dark ? "sun" : "moon"));
  };
  button.addEventListener("click", () => { toggleTheme(); draw(); });
  draw();
  return button;
}

function buildShell() {
  const nav = h("nav", { class: "nav", "aria-label": "Main" },
    NAV.map(([label, href, name]) => h("a", { href, "data-nav": href }, icon(name), label)));
  const who = session();
  const sidebar = h(
    "aside",
    { class: "sidebar" },
    h("a", { class: "brand", href: "/dashboard" }, logo(), "Heliograph"),
    nav,
    h("div", { class: "sidebar-foot" },
      h("div", { class: "who", title: who?.email || "" }, who?.email || (who?.signedInWith === "api_key" ? "Signed in with an API key" : "Demo")),
      h("div", { class: "row" },
        themeButton(),
        h("button", {
          type: "button", class: "ghost grow", "data-testid": "sign-out",
          onclick: async () => { await signOut().catch(() => {}); navigate("/signin"); },
        }, icon("logout", 16), "Sign out"))),
  );
  const title = h("div", { class: "title" });
  const actions = h("div", { class: "actions" });
  const menu = h("button", { type: "button", class: "ghost icon menu-button", "aria-label": "Open navigation" }, icon("menu"));
  const content = h("main", { class: "content", id: "content", tabindex: "-1" });
  const frame = h("div", { class: "shell" }, sidebar,
    h("div", { class: "main" }, h("header", { class: "topbar" }, menu, title, actions), content));
  menu.addEventListener("click", () => frame.classList.add("nav-open"));
  frame.addEventListener("click", (event) => {
    if (frame.classList.contains("nav-open") && (event.target === frame || event.target.closest(".nav a"))) {
      frame.classList.remove("nav-open");
    }
  });
  return { frame, nav, title, actions, content };
}

function draw(module, ctx) {
  if (module.bare) {
    shell = null;
    root.replaceChildren();
    module.render(ctx, { main: root });
    return;
  }
  if (!session()) {
    navigate(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
    return;
  }
  if (!shell) {
    shell = buildShell();
    root.replaceChildren(shell.frame);
  }
  for (const link of shell.nav.querySelectorAll("a")) {
    const active = ctx.path === link.dataset.nav || ctx.path.startsWith(`${link.dataset.nav}/`);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  shell.frame.classList.remove("nav-open");
  shell.title.replaceChildren();
  shell.actions.replaceChildren();
  shell.content.replaceChildren();
  const ui = {
    main: shell.content,
    actions: shell.actions,
    setTitle(text, ...extra) {
      document.title = `${text} · Heliograph`;
      mount(shell.title, h("h1", {}, text), ...extra);
    },
  };
  ui.setTitle(module.title || "Heliograph");
  module.render(ctx, ui);
}

window.addEventListener("heliograph:signed-out", () => {
  if (window.location.pathname !== "/signin") {
    shell = null;
    navigate(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
  }
});

export function resetShell() {
  shell = null;
}

async function boot() {
  try {
    await loadSession();
  } catch (error) {
    mount(root, errorState(error, () => window.location.reload()));
    return;
  }
  setShell(draw);
  start();
}

boot();
