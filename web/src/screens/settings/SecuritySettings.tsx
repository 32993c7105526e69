import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data, type Schemas } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { ApiProblem } from "../../api/problem";
import { updateMe, useSession } from "../../api/session";
import { ago } from "../../lib/time";
import { moment } from "../../settings/account";
import { Card, Done, Section } from "../../settings/Section";
import { Button } from "../../ui/Button";
import { ErrorMessage, Spinner } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";

type SessionInfo = Schemas["SessionInfo"];
const SESSIONS = ["me", "sessions"] as const;

function lastActive(iso: string): string {
  const when = ago(iso);
  return when === "now" ? "Active now" : `Last active ${when}`;
}

/** A wrong password answers 401 with no field path; its words belong under the password field. */
function passwordWords(error: unknown, field: (path: string) => string | undefined, path: string) {
  if (error instanceof ApiProblem && error.status === 401) return error.message;
  return field(path);
}

/** /settings/security: where you are signed in, your password and your email. */
export default function SecuritySettings() {
  return (
    <Section title="Password and security">
      <Sessions />
      <ChangePassword />
      <Email />
    </Section>
  );
}

function Sessions() {
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: SESSIONS,
    queryFn: async () => data(await api.GET("/v1/me/sessions")),
  });
  const [failed, setFailed] = useState<{ id: string; error: unknown } | null>(null);
  const endOne = useMutation({
    mutationFn: async (session: SessionInfo) =>
      data(await api.DELETE("/v1/me/sessions/{id}", { params: { path: { id: session.id } } })),
    onMutate: () => setFailed(null),
    onError: (error, session) => setFailed({ id: session.id, error }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: SESSIONS }),
  });
  const endOthers = useMutation({
    mutationFn: async () => data(await api.POST("/v1/me/sessions/revoke-others")),
    onSettled: () => queryClient.invalidateQueries({ queryKey: SESSIONS }),
  });
  const items = sessions.data?.items ?? [];
  const others = items.filter((s) => !s.current).length;
  return (
    <Card title="Where you're signed in">
      {sessions.isPending ? <Spinner label="Loading your sessions" /> : null}
      <ErrorMessage error={sessions.error} />
      <ul aria-label="Sessions" className="divide-y divide-neutral-200">
        {items.map((session) => (
          <li key={session.id} className="py-3" aria-label={session.current ? "This device" : session.user_agent}>
            <div className="flex items-start gap-3">
              <DeviceIcon />
              <div className="min-w-0 flex-1">
                <p className="font-medium text-neutral-900">
                  {session.user_agent || "Unknown device"}
                  {session.current ? (
                    <span className="ml-2 rounded-full bg-green-100 px-2 py-0.5 text-xs font-semibold text-green-900">
                      This device
                    </span>
                  ) : null}
                </p>
                <p className="text-sm text-neutral-600">
                  {lastActive(session.last_used_at)} · Signed in {moment(session.created_at)}
                </p>
              </div>
              {session.current ? null : (
                <Button
                  variant="secondary"
                  busy={endOne.isPending && endOne.variables?.id === session.id}
                  aria-label={`Sign out ${session.user_agent || "this session"}, last active ${moment(session.last_used_at)}`}
                  onClick={() => endOne.mutate(session)}
                >
                  Sign out
                </Button>
              )}
            </div>
            {failed?.id === session.id ? <ErrorMessage error={failed.error} className="mt-2" /> : null}
          </li>
        ))}
      </ul>
      {others > 0 ? (
        <Button variant="secondary" busy={endOthers.isPending} onClick={() => endOthers.mutate()}>
          Sign out of all other sessions
        </Button>
      ) : sessions.isSuccess ? (
        <p className="text-sm text-neutral-600">You're not signed in anywhere else.</p>
      ) : null}
      <ErrorMessage error={endOthers.error} />
      {endOthers.isSuccess ? <Done>Every other session is signed out.</Done> : null}
    </Card>
  );
}

function DeviceIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      className="mt-0.5 h-6 w-6 shrink-0 text-neutral-600"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      aria-hidden="true"
    >
      <path d="M4 5h16v10H4zM2 19h20M9 15v4m6-4v4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function ChangePassword() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(async () => {
    setDone(false);
    await data(await api.PUT("/v1/me/password", { body: { current_password: current, new_password: next } }));
    setCurrent("");
    setNext("");
    setDone(true);
    await queryClient.invalidateQueries({ queryKey: SESSIONS });
  });
  const currentWords = passwordWords(form.error, form.fieldError, "current_password");
  const nextWords = form.fieldError("new_password");
  return (
    <Card title="Change password">
      <form className="space-y-4" noValidate onSubmit={(e) => void form.submit(e)}>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={currentWords}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={nextWords}
          hint="At least 8 characters."
        />
        {currentWords || nextWords ? null : <ErrorMessage error={form.formError} />}
        {done ? <Done>Your password is changed. Your other sessions were signed out.</Done> : null}
        <Button type="submit" busy={form.busy}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

function Email() {
  const { user } = useSession();
  // The address may have been verified (or changed) through a mailed link since sign-in.
  useQuery({
    queryKey: ["me", "account"],
    queryFn: async () => {
      const me = await data(await api.GET("/v1/me"));
      updateMe(me);
      return me;
    },
  });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useSubmit(async () => {
    setSentTo(null);
    const address = email.trim();
    await data(await api.PATCH("/v1/me/email", { body: { email: address, password } }));
    setSentTo(address);
    setEmail("");
    setPassword("");
  });
  const resend = useMutation({
    mutationFn: async () => data(await api.POST("/v1/me/email/verification")),
  });
  if (!user) return null;
  const passwordError = passwordWords(form.error, form.fieldError, "password");
  const emailError = form.fieldError("email");
  return (
    <Card title="Email">
      <div className="space-y-2">
        <p className="text-neutral-900">
          <span className="font-medium">{user.email}</span>{" "}
          {user.email_verified ? (
            <span className="ml-1 rounded-full bg-green-100 px-2 py-0.5 text-xs font-semibold text-green-900">
              Verified
            </span>
          ) : (
            <span className="ml-1 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">
              Not verified
            </span>
          )}
        </p>
        {user.email_verified ? null : (
          <div className="space-y-2">
            <p className="text-sm text-neutral-600">
              Follow the link we mailed you to confirm this address. It lets you reset your password if you forget it.
            </p>
            <Button variant="secondary" busy={resend.isPending} onClick={() => resend.mutate()}>
              Resend link
            </Button>
            <ErrorMessage error={resend.error} />
            {resend.isSuccess ? <Done>We sent a new link to {user.email}. Earlier links no longer work.</Done> : null}
          </div>
        )}
      </div>
      <form className="space-y-4 border-t border-neutral-200 pt-4" noValidate onSubmit={(e) => void form.submit(e)}>
        <h3 className="text-sm font-semibold text-neutral-900">Change email</h3>
        <TextField
          label="New email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={emailError}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
        />
        {passwordError || emailError ? null : <ErrorMessage error={form.formError} />}
        {sentTo ? (
          <Done>
            We mailed a link to {sentTo}. Your email changes once you open it; until then you keep using {user.email}.
          </Done>
        ) : null}
        <Button type="submit" busy={form.busy}>
          Change email
        </Button>
      </form>
    </Card>
  );
}
