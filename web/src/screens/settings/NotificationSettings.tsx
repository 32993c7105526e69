import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, data, type Schemas } from "../../api/client";
import { currentSubscription, disablePush, enablePush, pushSupported } from "../../settings/push";
import { Card, Section } from "../../settings/Section";
import { Switch } from "../../settings/Switch";
import { ErrorMessage, Spinner } from "../../ui/Feedback";

type Settings = Schemas["NotificationSettings"];
type Patch = Schemas["NotificationSettingsPatch"];
type Level = Settings["like"];
type Kind = Exclude<keyof Settings, "strangers">;

const KEY = ["me", "notification-settings"] as const;

const KINDS: { kind: Kind; label: string }[] = [
  { kind: "like", label: "Likes on your posts" },
  { kind: "comment", label: "Comments on your posts" },
  { kind: "reply", label: "Replies to your comments" },
  { kind: "mention", label: "Mentions of you" },
  { kind: "follow", label: "New followers" },
  { kind: "follow_request", label: "Follow requests" },
  { kind: "follow_accepted", label: "Accepted follow requests" },
  { kind: "live_started", label: "Live videos starting" },
];

const LEVELS: { value: Level; label: string }[] = [
  { value: "all", label: "From everyone" },
  { value: "following", label: "From people I follow" },
  { value: "off", label: "Off" },
];

const STRANGERS: { value: Settings["strangers"]; label: string }[] = [
  { value: "accept", label: "Show them with the others" },
  { value: "filter", label: "Put them in a filtered list" },
  { value: "drop", label: "Don't show them" },
];

/** /settings/notifications: what you are told about, saved as soon as it changes. */
export default function NotificationSettings() {
  const queryClient = useQueryClient();
  const settings = useQuery({
    queryKey: KEY,
    queryFn: async () => data(await api.GET("/v1/me/notification-settings")),
  });
  const [failed, setFailed] = useState<{ key: keyof Settings; error: unknown } | null>(null);
  const save = useMutation({
    mutationFn: async (patch: Patch) => data(await api.PATCH("/v1/me/notification-settings", { body: patch })),
    onMutate: async (patch) => {
      setFailed(null);
      await queryClient.cancelQueries({ queryKey: KEY });
      const before = queryClient.getQueryData<Settings>(KEY);
      if (before) queryClient.setQueryData<Settings>(KEY, { ...before, ...patch });
      return { before };
    },
    onError: (error, patch, context) => {
      if (context?.before) queryClient.setQueryData(KEY, context.before);
      const key = Object.keys(patch)[0] as keyof Settings | undefined;
      if (key) setFailed({ key, error });
    },
    onSuccess: (fresh) => queryClient.setQueryData(KEY, fresh),
  });
  return (
    <Section
      title="Notifications"
      intro="Choose what Edgegram tells you about. Notices about your account's safety and the app itself are always on."
    >
      {settings.isPending ? <Spinner label="Loading your notification settings" /> : null}
      <ErrorMessage error={settings.error} />
      {settings.data ? (
        <>
          <Card title="Activity">
            <ul className="divide-y divide-neutral-200">
              {KINDS.map(({ kind, label }) => (
                <li key={kind} className="py-3">
                  <Choice
                    label={label}
                    value={settings.data[kind]}
                    options={LEVELS}
                    onChange={(value) => save.mutate({ [kind]: value })}
                  />
                  {failed?.key === kind ? <ErrorMessage error={failed.error} className="mt-2" /> : null}
                </li>
              ))}
            </ul>
          </Card>
          <Card title="People you don't follow">
            <p className="text-sm text-neutral-600">
              Notifications from accounts you don't follow, or that are less than 30 days old.
            </p>
            <Choice
              label="Notifications from strangers"
              value={settings.data.strangers}
              options={STRANGERS}
              onChange={(value) => save.mutate({ strangers: value })}
            />
            {failed?.key === "strangers" ? <ErrorMessage error={failed.error} /> : null}
          </Card>
        </>
      ) : null}
      <PushCard />
    </Section>
  );
}

function Choice<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
      <label htmlFor={id} className="text-neutral-900 sm:flex-1">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(e) => {
          const next = options.find((o) => o.value === e.target.value);
          if (next) onChange(next.value);
        }}
        className="rounded-lg border border-neutral-400 bg-white px-3 py-2 text-sm text-neutral-900 sm:w-52 sm:shrink-0"
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * Web Push in this browser: the switch subscribes through the service worker (public/sw.js) and
 * tells the server; browsers without push (or outside a secure context) are told so plainly.
 */
function PushCard() {
  const queryClient = useQueryClient();
  const supported = pushSupported();
  const subscription = useQuery({
    queryKey: ["push-subscription"],
    queryFn: async () => (await currentSubscription()) !== null,
    enabled: supported,
  });
  const toggle = useMutation({
    mutationFn: async (on: boolean) => {
      if (on) await enablePush();
      else await disablePush();
      return on;
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["push-subscription"] }),
  });
  const on = toggle.isPending ? toggle.variables : (subscription.data ?? false);
  return (
    <Card title="Push notifications">
      {supported ? (
        <>
          <div className="flex items-start justify-between gap-4">
            <div className="space-y-1">
              <p id="push-label" className="font-medium text-neutral-900">
                Push notifications on this device
              </p>
              <p id="push-help" className="text-sm text-neutral-600">
                Get notified in this browser even when Edgegram isn't open. Pushes follow the choices above.
              </p>
            </div>
            <Switch
              on={on}
              busy={toggle.isPending || subscription.isPending}
              labelledBy="push-label"
              describedBy="push-help"
              onToggle={() => toggle.mutate(!on)}
            />
          </div>
          <ErrorMessage error={toggle.error ?? subscription.error} />
        </>
      ) : (
        <p className="text-sm text-neutral-600">
          Push notifications are not available in this browser. You'll still see new notifications in the app.
        </p>
      )}
    </Card>
  );
}
