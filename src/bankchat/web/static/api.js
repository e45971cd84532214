// Talking to the platform's REST API: JSON in and out, the CSRF header on unsafe requests,
// and problem+json refusals turned into ApiError with the server's stable `code`.

const BASE = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "UNKNOWN";
    this.problem = problem;
  }
}

export function rememberCsrf(token) {
  csrfToken = token;
}

function csrfFromCookie() {
  const match = document.cookie.match(/(?:^|;\s*)bankchat_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) {
    // The cookie is the freshest copy (a new login elsewhere in this browser replaces it).
    const token = csrfFromCookie() || csrfToken;
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { code: "NETWORK", detail: "network error" });
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    throw new ApiError(response.status, data || { code: `HTTP_${response.status}` });
  }
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);
