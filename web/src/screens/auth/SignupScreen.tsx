import { useState } from "react";
import { Link, useLocation } from "wouter";
import { api, data } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { Button } from "../../ui/Button";
import { ErrorMessage } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";
import { AuthCard } from "./AuthCard";

/**
 * Sign-up answers the same 202 for a new and a registered email (so nobody learns who has an
 * account); the new account signs in at once, and the mailed link confirms the address later.
 */
export default function SignupScreen() {
  const [, navigate] = useLocation();
  const [fields, setFields] = useState({ username: "", email: "", password: "", display_name: "" });
  const form = useSubmit(async () => {
    const body = { ...fields, display_name: fields.display_name.trim() || undefined };
    const accepted = await data(await api.POST("/v1/auth/signup", { body }));
    navigate(`/login?signed_up=${encodeURIComponent(accepted.email)}`);
  });
  const bind = (name: keyof typeof fields) => ({
    name,
    value: fields[name],
    onChange: (e: { target: { value: string } }) => setFields((f) => ({ ...f, [name]: e.target.value })),
    error: form.fieldError(name),
  });
  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Have an account?{" "}
          <Link href="/login" className="font-semibold text-blue-700 underline">
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={form.submit} className="space-y-4" noValidate>
        <TextField label="Email" type="email" autoComplete="email" required {...bind("email")} />
        <TextField
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          required
          hint="Letters, numbers, dots and underscores."
          {...bind("username")}
        />
        <TextField label="Name (optional)" autoComplete="name" {...bind("display_name")} />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters."
          {...bind("password")}
        />
        <ErrorMessage error={form.formError} />
        <Button type="submit" busy={form.busy} className="w-full">
          Sign up
        </Button>
      </form>
    </AuthCard>
  );
}
