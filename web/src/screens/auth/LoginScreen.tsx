import { useState } from "react";
import { Link, Redirect, useSearchParams } from "wouter";
import { api, data } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { adoptSession, useSession } from "../../api/session";
import { Button } from "../../ui/Button";
import { ErrorMessage } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";
import { AuthCard } from "./AuthCard";

/** Only paths of this app: `next` comes from the address bar, so it must not send anyone away. */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginScreen() {
  const { user } = useSession();
  const [params] = useSearchParams();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const form = useSubmit(async () =>
    adoptSession(await data(await api.POST("/v1/auth/login", { body: { login, password } }))),
  );
  if (user) return <Redirect to={safeNext(params.get("next"))} replace />;
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New here?{" "}
          <Link href="/signup" className="font-semibold text-blue-700 underline">
            Create an account
          </Link>
        </>
      }
    >
      <form onSubmit={form.submit} className="space-y-4" noValidate>
        {params.get("signed_up") ? (
          <p role="status" className="rounded-lg bg-green-50 px-3 py-2 text-sm text-green-900">
            Your account is ready. We sent a link to {params.get("signed_up")} to confirm your email; you can sign in
            now.
          </p>
        ) : null}
        <TextField
          label="Username or email"
          name="login"
          autoComplete="username"
          autoCapitalize="none"
          required
          value={login}
          onChange={(e) => setLogin(e.target.value)}
          error={form.fieldError("login")}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.fieldError("password")}
        />
        <ErrorMessage error={form.formError} />
        <Button type="submit" busy={form.busy} className="w-full">
          Sign in
        </Button>
        <p className="text-center text-sm">
          <Link href="/reset-password" className="text-blue-700 underline">
            Forgot your password?
          </Link>
        </p>
      </form>
    </AuthCard>
  );
}
