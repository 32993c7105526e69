import { useSyncExternalStore } from "react";
import { noteBookmark } from "./bookmark";
import type { components } from "./schema";

export type Me = components["schemas"]["Me"];
type Session = components["schemas"]["Session"];

/**
 * The signed-in session, in one place. The access token lives in memory only; the refresh token
 * in localStorage, so a reload (or another tab) can start again without a password. The server
 * rotates refresh tokens and treats a reused one as theft (it revokes the whole family), so a
 * refresh must never run twice with the same token: see `refreshSession`.
 */
const REFRESH_KEY = "edgegram.refresh_token";
/** Refresh this long before the access token expires, so a request never leaves with a dead one. */
const EARLY_MS = 30_000;

interface State {
  user: Me | null;
  accessToken: string | null;
  expiresAt: number;
  /** False until the first restore attempt (from a stored refresh token) has finished. */
  ready: boolean;
}

let state: State = { user: null, accessToken: null, expiresAt: 0, ready: false };
const listeners = new Set<() => void>();

function set(next: Partial<State>) {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

export function useSession(): State {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => state,
  );
}

export const currentSession = (): State => state;

/** Stores a session the server answered (login, refresh). */
export function adoptSession(session: Session): void {
  localStorage.setItem(REFRESH_KEY, session.refresh_token);
  set({
    user: session.user,
    accessToken: session.access_token,
    expiresAt: Date.now() + session.expires_in * 1000,
    ready: true,
  });
}

/** Replaces the signed-in user's record (after a profile edit), keeping the tokens. */
export function updateMe(user: Me): void {
  set({ user });
}

/** Forgets the session locally (after logout, or when the server ended it). */
export function clearSession(): void {
  localStorage.removeItem(REFRESH_KEY);
  set({ user: null, accessToken: null, expiresAt: 0, ready: true });
}

export const storedRefreshToken = (): string | null => localStorage.getItem(REFRESH_KEY);

let inflight: Promise<string | null> | null = null;

/**
 * Gets a new access token with the stored refresh token. Single-flight: every caller during a
 * refresh shares the one request (parallel 401s do not each spend the token). Across tabs a Web
 * Lock serialises refreshes, and each reads the stored token only once it holds the lock, so a tab
 * uses the token another tab just rotated instead of the one it had. `staleToken` is the access
 * token the caller saw fail: when a newer one is already here, no refresh is needed.
 */
export function refreshSession(staleToken: string | null = null): Promise<string | null> {
  if (state.accessToken && state.accessToken !== staleToken && Date.now() < state.expiresAt - EARLY_MS) {
    return Promise.resolve(state.accessToken);
  }
  inflight ??= withLock(refreshOnce).finally(() => {
    inflight = null;
  });
  return inflight;
}

async function withLock<T>(task: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) return navigator.locks.request("edgegram-refresh", task);
  return task();
}

async function refreshOnce(): Promise<string | null> {
  const refreshToken = storedRefreshToken();
  if (!refreshToken) {
    clearSession();
    return null;
  }
  let response: Response;
  try {
    response = await fetch("/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    noteBookmark(response);
  } catch {
    // Offline: keep the stored token for the next try, but no usable access token now.
    set({ ready: true });
    return null;
  }
  if (!response.ok) {
    // Another tab may have rotated the token while this request was in flight without a lock.
    if (storedRefreshToken() !== refreshToken) return refreshOnce();
    clearSession();
    return null;
  }
  const session = (await response.json()) as Session;
  adoptSession(session);
  return session.access_token;
}

/** An access token that is valid for at least EARLY_MS more, refreshing first when needed. */
export async function validAccessToken(): Promise<string | null> {
  if (state.accessToken && Date.now() < state.expiresAt - EARLY_MS) return state.accessToken;
  if (!storedRefreshToken()) return null;
  return refreshSession(state.accessToken);
}

/** At start: a stored refresh token becomes a session, or the app starts signed out. */
export async function restoreSession(): Promise<void> {
  if (!storedRefreshToken()) {
    set({ ready: true });
    return;
  }
  await refreshSession();
  set({ ready: true });
}

// Another tab signed out (or in): follow it.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== REFRESH_KEY) return;
    if (event.newValue === null) clearSession();
  });
}
