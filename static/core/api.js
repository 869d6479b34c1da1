/**
 * ExamHall shared front-end helpers (static/core/api.js).
 *
 * Imported by every page module; holds no state of its own.
 *
 * - `createApiClient()` wraps `fetch` for the JSON API under /api/: it sends
 *   `Accept-Language` (the page's <html lang>), the bearer token of an attempt
 *   and/or the CSRF token, applies a timeout, and turns every failure into an
 *   `ApiError` carrying the server's `{code, message, details}`. A network
 *   failure or a timeout is an ApiError with `status === 0`.
 * - `readJsonScript(id)` reads a `<script type="application/json">` block
 *   (the page's translated strings, see the templates' `#i18n`).
 * - `format(template, values)` fills `{name}` placeholders of a translated
 *   string.
 * - `csrfToken()` returns the CSRF token from the page's form or the cookie.
 *
 * User-visible text is never written here: callers pass their own translated
 * fallback messages (`messages.network`, `messages.server`).
 */

const DEFAULT_TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor({ status, code, message, details = {} }) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }

  /** No answer from the server at all (offline, DNS, timeout, aborted). */
  get isNetwork() {
    return this.status === 0;
  }

  /** Worth trying again later without changing anything. */
  get isTransient() {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

export function readJsonScript(id) {
  const element = document.getElementById(id);
  if (!element) {
    return {};
  }
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

export function format(template, values = {}) {
  return String(template ?? '').replace(/\{(\w+)\}/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
  );
}

export function csrfToken() {
  const input = document.querySelector('input[name="csrfmiddlewaretoken"]');
  if (input && input.value) {
    return input.value;
  }
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

function joinUrl(base, path) {
  return `${base.replace(/\/+$/, '')}/${String(path).replace(/^\/+/, '')}`;
}

async function parseBody(response) {
  const text = await response.text();
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * @param {object} options
 * @param {string} [options.base]  API root, e.g. "/api/"
 * @param {string} [options.token] attempt token for `Authorization: Bearer`
 * @param {boolean} [options.csrf] send `X-CSRFToken` on unsafe methods
 * @param {{network?: string, server?: string}} [options.messages] translated fallbacks
 * @param {number} [options.timeoutMs]
 */
export function createApiClient({
  base = '/api/',
  token = '',
  csrf = false,
  messages = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
} = {}) {
  async function request(method, path, body) {
    const headers = {
      Accept: 'application/json',
      'Accept-Language': document.documentElement.lang || '',
    };
    const form = typeof FormData !== 'undefined' && body instanceof FormData;
    if (body !== undefined && !form) {
      headers['Content-Type'] = 'application/json'; // a FormData sets its own (multipart)
    }
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (csrf && method !== 'GET') {
      headers['X-CSRFToken'] = csrfToken();
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(joinUrl(base, path), {
        method,
        headers,
        body: body === undefined || form ? body : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
        signal: controller.signal,
      });
    } catch {
      throw new ApiError({ status: 0, code: 'network_error', message: messages.network || '' });
    } finally {
      clearTimeout(timer);
    }
    let data;
    try {
      data = await parseBody(response);
    } catch {
      // The connection broke while the body was being read.
      throw new ApiError({ status: 0, code: 'network_error', message: messages.network || '' });
    }
    if (response.ok) {
      return data;
    }
    const error = data && typeof data === 'object' ? data.error : null;
    if (error && typeof error === 'object' && error.code) {
      throw new ApiError({
        status: response.status,
        code: error.code,
        message: error.message || messages.server || '',
        details: error.details || {},
      });
    }
    throw new ApiError({
      status: response.status,
      code: `http_${response.status}`,
      message: messages.server || '',
    });
  }

  return {
    request,
    get: (path) => request('GET', path),
    post: (path, body = {}) => request('POST', path, body),
  };
}
