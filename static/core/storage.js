/**
 * localStorage that never throws (private mode, storage full, a browser that
 * refuses it): what cannot be kept is simply not remembered — callers keep a copy
 * in memory where it matters.
 */

export function remembered(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

/** Store `value` under `key`; `null` removes it. */
export function remember(key, value) {
  try {
    if (value === null) {
      localStorage.removeItem(key);
    } else {
      localStorage.setItem(key, value);
    }
  } catch {
    // not kept: see the module comment
  }
}
