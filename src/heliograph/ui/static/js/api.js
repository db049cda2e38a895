// The REST API client: same-origin fetches with the session cookie, the CSRF token on every
// state-changing call, and Helicone's {"data", "error"} envelope unwrapped.

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
  /** The route does not exist on this server (an API another release adds). */
  get missingEndpoint() {
    return this.status === 404 && /^not found$/i.test(this.message);
  }
}

async function send(method, path, body, { signal, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(`Cannot reach the server (${error.message})`, 0);
  }
  if (raw && response.ok) return response;
  let payload = null;
  const text = await response.text();
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok || (payload && payload.error)) {
    const message =
      (payload && typeof payload.error === "string" && payload.error) ||
      (payload && payload.error && typeof payload.error.message === "string" && payload.error.message) ||
      (payload && payload.error && JSON.stringify(payload.error)) ||
      (payload && payload.detail && String(payload.detail)) ||
      `${response.status} ${response.statusText}`;
    if (response.status === 401 && !path.startsWith("/v1/auth/")) {
      window.dispatchEvent(new CustomEvent("heliograph:signed-out"));
    }
    throw new ApiError(message, response.status);
  }
  if (payload && typeof payload === "object" && "data" in payload) return payload.data;
  return payload;
}

export const api = {
  get: (path, options) => send("GET", path, undefined, options),
  post: (path, body, options) => send("POST", path, body ?? {}, options),
  put: (path, body, options) => send("PUT", path, body ?? {}, options),
  patch: (path, body, options) => send("PATCH", path, body ?? {}, options),
  del: (path, options) => send("DELETE", path, undefined, options),
  raw: (method, path, body, options) => send(method, path, body, { ...options, raw: true }),
};
