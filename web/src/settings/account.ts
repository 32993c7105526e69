import type { QueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import { clearSession, storedRefreshToken } from "../api/session";

/**
 * Signs this browser out: the server ends the session the refresh token belongs to, then every
 * cached answer is dropped so the next person at this browser sees nothing of this account.
 * A failed logout call still signs out locally: the person asked to leave, and the token is gone.
 */
export async function signOut(queryClient: QueryClient): Promise<void> {
  const refreshToken = storedRefreshToken();
  if (refreshToken) {
    try {
      await api.POST("/v1/auth/logout", { body: { refresh_token: refreshToken } });
    } catch (error) {
      console.warn("logout did not reach the server", error);
    }
  }
  forgetAccount(queryClient);
}

/** Forgets the session and every cached answer (after sign-out or account deletion). */
export function forgetAccount(queryClient: QueryClient): void {
  clearSession();
  queryClient.clear();
}

const DAY = new Intl.DateTimeFormat("en", { dateStyle: "long" });
const MOMENT = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

/** "March 3, 2027". */
export const longDate = (iso: string): string => DAY.format(new Date(iso));
/** "Mar 3, 2027, 4:05 PM". */
export const moment = (iso: string): string => MOMENT.format(new Date(iso));
