import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { api, data, type Schemas } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { ApiProblem } from "../../api/problem";
import { type Me, updateMe, useSession } from "../../api/session";
import { Done, Section } from "../../settings/Section";
import { IMAGE_TYPES, type UploadStep, uploadImage } from "../../settings/upload";
import { Avatar } from "../../ui/Avatar";
import { Button } from "../../ui/Button";
import { ErrorMessage } from "../../ui/Feedback";
import { TextArea, TextField } from "../../ui/Field";

type UpdateMe = Schemas["UpdateMe"];

/** Saves a profile change and makes it the session's user, so every screen shows it at once. */
async function saveMe(body: UpdateMe): Promise<Me> {
  const me = await data(await api.PATCH("/v1/me", { body }));
  updateMe(me);
  return me;
}

/** /settings/profile: picture, name, username and bio. */
export default function ProfileSettings() {
  const { user } = useSession();
  if (!user) return null;
  return (
    <Section title="Edit profile" intro="This is what people see on your profile.">
      <AvatarEditor user={user} />
      <ProfileForm user={user} />
    </Section>
  );
}

function ProfileForm({ user }: { user: Me }) {
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(user.display_name);
  const [username, setUsername] = useState(user.username);
  const [bio, setBio] = useState(user.bio);
  const [saved, setSaved] = useState(false);
  const form = useSubmit(async () => {
    const body: UpdateMe = {};
    if (displayName !== user.display_name) body.display_name = displayName;
    if (username !== user.username) body.username = username.trim();
    if (bio !== user.bio) body.bio = bio;
    if (Object.keys(body).length > 0) {
      await saveMe(body);
      // Profiles, posts and lists elsewhere in the app hold the old name or bio.
      void queryClient.invalidateQueries();
    }
    setSaved(true);
  });
  // A username the server refuses as taken or held (409) or too often changed (429) has no field
  // path in the problem; its words still belong under the username field.
  const problem = form.error instanceof ApiProblem ? form.error : null;
  const usernameWords =
    form.fieldError("username") ?? (problem && [409, 429].includes(problem.status) ? problem.message : undefined);
  const formError = usernameWords && !form.fieldError("username") ? null : form.formError;
  const changed = displayName !== user.display_name || username !== user.username || bio !== user.bio;
  return (
    <form
      className="space-y-4"
      noValidate
      onSubmit={(event) => {
        setSaved(false);
        void form.submit(event);
      }}
    >
      <TextField
        label="Name"
        name="display_name"
        autoComplete="name"
        maxLength={64}
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={form.fieldError("display_name")}
      />
      <TextField
        label="Username"
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        error={usernameWords}
        hint="After a change, your old username stays reserved for you for 14 days."
      />
      <TextArea
        label="Bio"
        name="bio"
        rows={3}
        maxLength={150}
        value={bio}
        onChange={(e) => setBio(e.target.value)}
        error={form.fieldError("bio")}
        hint={`${bio.length} / 150`}
      />
      <ErrorMessage error={formError} />
      {saved && !changed ? <Done>Your profile is saved.</Done> : null}
      <Button type="submit" busy={form.busy} disabled={!changed}>
        {form.busy ? "Saving…" : "Save"}
      </Button>
    </form>
  );
}

const STEP_WORDS: Record<UploadStep, string> = {
  uploading: "Uploading",
  checking: "Checking the image",
  processing: "Preparing your picture",
};

function AvatarEditor({ user }: { user: Me }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<{ step: UploadStep; fraction: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState(false);
  async function upload(file: File) {
    setError(null);
    setProgress({ step: "uploading", fraction: 0 });
    try {
      const media = await uploadImage(file, (step, fraction) => setProgress({ step, fraction }));
      await saveMe({ avatar_media_id: media.id });
    } catch (caught) {
      setError(caught);
    } finally {
      setProgress(null);
      if (input.current) input.current.value = "";
    }
  }
  async function remove() {
    setError(null);
    setRemoving(true);
    try {
      await saveMe({ avatar_media_id: null });
    } catch (caught) {
      setError(caught);
    } finally {
      setRemoving(false);
    }
  }
  const busy = progress !== null || removing;
  return (
    <div className="space-y-3">
      <div className="flex items-center gap-4 rounded-xl bg-neutral-100 p-4">
        <Avatar user={user} size="lg" decorative={false} />
        <div className="min-w-0 flex-1 space-y-2">
          <p className="truncate font-semibold">{user.username}</p>
          <div className="flex flex-wrap gap-2">
            <input
              ref={input}
              type="file"
              accept={IMAGE_TYPES.join(",")}
              className="sr-only"
              id="avatar-file"
              tabIndex={-1}
              aria-hidden="true"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void upload(file);
              }}
            />
            <Button busy={progress !== null} disabled={busy} onClick={() => input.current?.click()}>
              {user.avatar ? "Change photo" : "Add photo"}
            </Button>
            {user.avatar ? (
              <Button variant="secondary" busy={removing} disabled={busy} onClick={() => void remove()}>
                Remove photo
              </Button>
            ) : null}
          </div>
        </div>
      </div>
      {progress ? (
        <div className="space-y-1" role="status">
          <p className="text-sm text-neutral-700">
            {STEP_WORDS[progress.step]}
            {progress.step === "uploading" ? ` ${Math.round(progress.fraction * 100)}%` : "…"}
          </p>
          <progress
            className="h-2 w-full overflow-hidden rounded-full accent-blue-700"
            aria-label="Upload progress"
            max={1}
            value={progress.step === "uploading" ? progress.fraction : undefined}
          />
        </div>
      ) : null}
      <ErrorMessage error={error} />
    </div>
  );
}
