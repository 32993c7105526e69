/**
 * The session this browser last opened as host. The API lists followed accounts' sessions, not
 * your own, and answers a second `POST /v1/live` with 409 without naming the open one, so the app
 * remembers it to offer "back to your live" instead of a dead end.
 */
const KEY = "edgegram.live.hosting";

export function rememberHosting(id: string): void {
  try {
    localStorage.setItem(KEY, id);
  } catch {
    // Storage full or disabled: the session still works, only the shortcut back to it is lost.
  }
}

export function hostingId(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function forgetHosting(id: string): void {
  try {
    if (localStorage.getItem(KEY) === id) localStorage.removeItem(KEY);
  } catch {
    // As above.
  }
}
