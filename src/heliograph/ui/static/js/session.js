// Who is signed in (from GET /v1/auth/session), shared by the shell and the screens.
import { api, setCsrfToken } from "./api.js";

let current = null;

export function session() {
  return current;
}

export async function loadSession() {
  try {
    current = await api.get("/v1/auth/session");
    setCsrfToken(current.csrfToken);
  } catch (error) {
    if (error.status !== 401) throw error;
    current = null;
  }
  return current;
}

export function setSession(value) {
  current = value;
  setCsrfToken(value ? value.csrfToken : null);
}

export async function signOut() {
  try {
    await api.post("/v1/auth/sign-out");
  } finally {
    setSession(null);
  }
}
