// What the prompt screens read: a prompt, its versions and their bodies (Prompt-2025 REST
// API), and per version the requests that used it (HQL over the logged requests).
import { api } from "../api.js";
import { h } from "../dom.js";

// Prompt ids are ours (6 letters and digits) or Helicone's; only such an id goes into SQL.
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function versionLabel(version) {
  return `${version.major_version}.${version.minor_version}`;
}

/** Newer by number first: negative when `a` is the newer one. */
export function byNumber(a, b) {
  return b.major_version - a.major_version || b.minor_version - a.minor_version;
}

export function environmentBadges(version) {
  return (version.environments || []).map((name) =>
    h("span", { class: ["badge", name === "production" ? "ok" : "info"], "data-environment": name }, name));
}

/** Every environment of the prompt: [{name, version}], production first, then by name. */
export function environmentsOf(versions) {
  const out = [];
  for (const version of versions) {
    for (const name of version.environments || []) out.push({ name, version });
  }
  return out.sort((a, b) => (b.name === "production") - (a.name === "production") || a.name.localeCompare(b.name));
}

export async function loadPrompt(promptId, signal) {
  const [prompt, versions] = await Promise.all([
    api.get(`/v1/prompt-2025/id/${encodeURIComponent(promptId)}`, { signal }),
    api.post("/v1/prompt-2025/query/versions", { promptId }, { signal }),
  ]);
  return { prompt, versions: versions.slice().sort(byNumber) };
}

/** Requests per version of the prompt: Map(version id -> {requests, cost, latency, errors}). */
export async function loadUsage(promptId, signal) {
  if (!SAFE_ID.test(promptId)) return new Map();
  const sql = [
    "SELECT prompt_version, count() AS requests, sum(cost) / 1000000000 AS cost,",
    "avg(latency) AS latency, countIf(status < 200 OR status >= 300) AS errors",
    `FROM request_response_rmt WHERE prompt_id = '${promptId}' GROUP BY prompt_version`,
  ].join(" ");
  const result = await api.post("/v1/helicone-sql/execute", { sql, limit: 1000 }, { signal });
  return new Map(result.rows.map((row) => [row.prompt_version, {
    requests: Number(row.requests),
    cost: Number(row.cost),
    latency: row.latency === null ? null : Number(row.latency),
    errors: Number(row.errors),
  }]));
}

/** A cache of version bodies for one screen (a version never changes). */
export function bodyCache(signal) {
  const bodies = new Map();
  return (versionId) => {
    if (!bodies.has(versionId)) {
      const loaded = api.post("/v2/prompt-2025/query/version", { promptVersionId: versionId }, { signal })
        .then((version) => version.prompt_body);
      loaded.catch(() => bodies.delete(versionId));
      bodies.set(versionId, loaded);
    }
    return bodies.get(versionId);
  };
}
