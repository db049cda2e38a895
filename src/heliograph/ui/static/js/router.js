// Client-side routing on real URLs: links and history navigate without a page load; each
// screen gets the path parameters, the query, an AbortSignal and an onLeave hook.

const routes = [];
let current = null;
let renderShell = null;

export function route(pattern, load) {
  routes.push({ pattern, load });
}

export function setShell(fn) {
  renderShell = fn;
}

export function query() {
  return new URLSearchParams(window.location.search);
}

/** Change the URL's query (for shareable state) without drawing the screen again. */
export function updateQuery(changes, { push = false } = {}) {
  const params = query();
  for (const [key, value] of Object.entries(changes)) {
    params.delete(key);
    if (Array.isArray(value)) value.forEach((item) => params.append(key, item));
    else if (value !== null && value !== undefined && value !== "") params.set(key, value);
  }
  const search = params.toString();
  const url = window.location.pathname + (search ? `?${search}` : "");
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

export async function render() {
  if (current) {
    current.controller.abort();
    current.leave.forEach((fn) => fn());
  }
  const path = window.location.pathname.replace(/\/+$/, "") || "/";
  const match = routes.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  const controller = new AbortController();
  const leave = [];
  current = { controller, leave };
  const ctx = {
    path,
    params: match ? match.m.slice(1).map(decodeURIComponent) : [],
    query: query(),
    signal: controller.signal,
    onLeave: (fn) => leave.push(fn),
  };
  if (!match) {
    navigate("/dashboard", { replace: true });
    return;
  }
  const module = await match.r.load();
  if (controller.signal.aborted) return;
  renderShell(module, ctx);
}

function isPlainClick(event) {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

export function start() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || !isPlainClick(event) || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.startsWith("/v1/") || url.pathname.startsWith("/docs")) return;
    event.preventDefault();
    if (url.pathname + url.search !== window.location.pathname + window.location.search) {
      navigate(url.pathname + url.search);
    }
  });
  window.addEventListener("popstate", render);
  render();
}
