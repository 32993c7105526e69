import { expect } from "vitest";
import { api } from "./api";

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

let userCounter = 0;

/** A unique, valid username for this test file. */
export function uniqueUsername(prefix = "user"): string {
  userCounter++;
  return `${prefix}_${userCounter}_${Math.random().toString(36).slice(2, 8)}`.slice(0, 30);
}

interface SessionBody {
  user: { id: string; username: string; email: string };
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

/**
 * Signs a new account up through the API, then signs in (sign-up answers 202 "check your email"
 * with no session, README "Accounts"), and returns its credentials. The email stays unverified.
 */
export async function createUser(overrides: { username?: string; email?: string; password?: string } = {}) {
  const username = overrides.username ?? uniqueUsername();
  const email = overrides.email ?? `${username}@example.com`;
  const password = overrides.password ?? "correct horse battery";
  const res = await api("POST", "/v1/auth/signup", { body: { username, email, password } });
  expect(res.status, await res.clone().text()).toBe(202);
  // By email: login limits key on what was sent, so this sign-in does not count against the
  // username's login attempts that test/auth/session.test.ts counts.
  const signedIn = await api("POST", "/v1/auth/login", { body: { login: email, password } });
  expect(signedIn.status, await signedIn.clone().text()).toBe(200);
  const body = (await signedIn.json()) as SessionBody;
  const user: TestUser = {
    id: body.user.id,
    username: body.user.username,
    email: body.user.email,
    password,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
  };
  return user;
}

export type { SessionBody };
