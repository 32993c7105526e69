import { useState } from "react";
import { Link, useSearchParams } from "wouter";
import { api, data } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { Button } from "../../ui/Button";
import { ErrorMessage } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";
import { AuthCard } from "./AuthCard";

/** Without a token: ask for the reset mail. With one (the mailed link): choose the new password. */
export default function ResetPasswordScreen() {
  const [params] = useSearchParams();
  const token = params.get("token");
  return token ? <ChooseNew token={token} /> : <AskForMail />;
}

function AskForMail() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const form = useSubmit(async () => {
    await data(await api.POST("/v1/auth/password-reset", { body: { email } }));
    setSent(true);
  });
  return (
    <AuthCard
      title="Reset your password"
      footer={
        <Link href="/login" className="text-blue-700 underline">
          Back to sign in
        </Link>
      }
    >
      {sent ? (
        <p role="status">
          If {email} has an account, a link to choose a new password is on its way. It works for 30 minutes.
        </p>
      ) : (
        <form onSubmit={form.submit} className="space-y-4" noValidate>
          <TextField
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={form.fieldError("email")}
          />
          <ErrorMessage error={form.formError} />
          <Button type="submit" busy={form.busy} className="w-full">
            Send the link
          </Button>
        </form>
      )}
    </AuthCard>
  );
}

function ChooseNew({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(async () => {
    await data(await api.POST("/v1/auth/password-reset/confirm", { body: { token, new_password: password } }));
    setDone(true);
  });
  return (
    <AuthCard title="Choose a new password">
      {done ? (
        <p role="status">
          Your password is changed and every session was signed out.{" "}
          <Link href="/login" className="font-semibold text-blue-700 underline">
            Sign in
          </Link>
        </p>
      ) : (
        <form onSubmit={form.submit} className="space-y-4" noValidate>
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 8 characters."
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={form.fieldError("new_password")}
          />
          <ErrorMessage error={form.formError} />
          <Button type="submit" busy={form.busy} className="w-full">
            Save the password
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
