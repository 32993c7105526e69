import type { ReportReason, SubjectType } from "../../db/schema";
import type { Platform } from "../../platform";
import { AiError, aiModerationFor, type ModerationInput } from "../../platform/ai";
import { base64Encode, sha256Hex } from "../../platform/crypto";
import { type Job, RetryLater } from "../../platform/jobs";
import { variantBytes } from "../media/media.service";
import {
  claimCheck,
  failCheck,
  failPendingChecks,
  findCheck,
  finishCheckStatement,
  releaseCheck,
} from "./automod.repo";
import { hideBySystem, type ModerationDeps, PRIORITY, systemReportStatements } from "./moderation.service";
import { contentOf, type SubjectContent } from "./subjects";

/*
 * Automatic moderation (docs/moderation.md, "Automatic checks"). A `moderation.check` job is stored
 * in the batch that writes the content (or sent by the LiveRoom for a live comment) and runs on the
 * moderation queue: the content as stored then, its text and its images' 640 px JPEG, goes to the
 * provider's moderation endpoint. A category at or over the hide threshold hides the content at once
 * pending review; at or over the flag threshold files a system report for the queue. The request
 * that wrote the content never waits for any of it.
 */

export type AutomodDeps = ModerationDeps & Pick<Platform, "store" | "images" | "direct">;
type CheckJob = Extract<Job, { type: "moderation.check" }>;

/** Why a check hides: always for sexual content involving minors, from the lower threshold. */
const MINORS = "sexual/minors";

/** The report reason a provider category files under. */
export function reasonOf(category: string): ReportReason {
  if (category === "sexual" || category.startsWith("sexual/")) return "nudity";
  if (category.startsWith("harassment")) return "harassment";
  if (category.startsWith("hate")) return "hate";
  if (category.startsWith("violence")) return "violence";
  if (category.startsWith("self-harm")) return "self_harm";
  return "other";
}

export interface Verdict {
  verdict: "ok" | "flag" | "hide";
  /** The categories at or over the flag threshold, highest score first. */
  flags: string[];
  /** Their scores. */
  over: Record<string, number>;
  reason: ReportReason;
}

/** The thresholds applied to one answer's scores. */
export function verdictOf(
  scores: Record<string, number>,
  t: { hideThreshold: number; flagThreshold: number },
): Verdict {
  const over = Object.entries(scores)
    .filter(([, score]) => score >= t.flagThreshold)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const flags = over.map(([category]) => category);
  const minors = (scores[MINORS] ?? 0) >= t.flagThreshold;
  const hide = minors || over.some(([, score]) => score >= t.hideThreshold);
  const top = minors ? MINORS : flags[0];
  return {
    verdict: hide ? "hide" : flags.length > 0 ? "flag" : "ok",
    flags,
    over: Object.fromEntries(over),
    reason: top === undefined ? "other" : reasonOf(top),
  };
}

/** The text a subject is checked for: a caption, a comment, a bio. */
function textOf(subject: SubjectContent): string {
  const c = subject.content;
  const value =
    subject.type === "post" || subject.type === "story" ? c.caption : subject.type === "user" ? c.bio : c.body;
  return typeof value === "string" ? value : "";
}

/** Images checked with the text: a post's and a story's (a profile's avatar is not). */
const imagesOf = (subject: SubjectContent) =>
  subject.type === "post" || subject.type === "story" ? subject.mediaIds : [];

/**
 * The `moderation.check` consumer. Deleted or hidden content is left alone. The version (text and
 * image ids) is hashed and its check claimed before the provider is called, so a redelivery never
 * calls twice and an edit is checked again. A 429, 5xx or timeout releases the claim and asks the
 * queue to come back after the provider's `retry-after` (else the consumer's backoff); a refusal
 * (400, 401, 404) fails the check at once with the setting to fix.
 */
export async function checkContent(deps: AutomodDeps, job: CheckJob): Promise<void> {
  const settings = deps.config.moderation;
  // Configured when the job was stored, not any more: nothing to do (and nothing to call).
  if (settings.ai === null) return;
  const type: SubjectType = job.subject_type;
  const subject = await contentOf(deps, type, job.subject_id, job.context_id);
  if (!subject || subject.hidden) return;
  const text = textOf(subject);
  const images = imagesOf(subject);
  if (text.trim() === "" && images.length === 0) return;

  const key = { type, id: subject.id, hash: await sha256Hex(JSON.stringify([text, images])) };
  const now = deps.clock.now();
  // Long enough for every call of this check to time out once.
  const claimMs = settings.ai.timeoutMs * (1 + images.length) + 30_000;
  const claimed = await claimCheck(deps.db, key, now.toISOString(), new Date(now.getTime() - claimMs).toISOString());
  if (!claimed) {
    const row = await findCheck(deps.db, key.type, key.id, key.hash);
    if (row?.status !== "pending") return;
    // Another delivery holds it; look again once its claim has lapsed.
    const left = row.claimed_at ? Date.parse(row.claimed_at) + claimMs - now.getTime() : 0;
    throw new RetryLater("another delivery holds this moderation check", Math.max(1, Math.ceil(left / 1000)));
  }

  const provider = aiModerationFor(settings.ai, deps.clock);
  const requests = await inputsOf(deps, text, images);
  const scores: Record<string, number> = {};
  let model = provider.model;
  try {
    for (const input of requests) {
      const answer = await provider.moderate(input);
      model = answer.model;
      for (const [category, score] of Object.entries(answer.scores)) {
        scores[category] = Math.max(scores[category] ?? 0, score);
      }
    }
  } catch (err) {
    if (!(err instanceof AiError)) throw err;
    const at = deps.clock.now().toISOString();
    if (err.kind === "config") return failCheck(deps.db, key.type, key.id, key.hash, err.message, at);
    await releaseCheck(deps.db, key.type, key.id, key.hash, err.message, at);
    if (err.retryAfterSeconds !== null) throw new RetryLater(err.message, err.retryAfterSeconds);
    throw err;
  }
  try {
    await apply(deps, key, subject, verdictOf(scores, settings), model);
  } catch (err) {
    // The verdict was not recorded: let the retry take the check at once rather than wait out the claim.
    await releaseCheck(deps.db, key.type, key.id, key.hash, String(err).slice(0, 500), deps.clock.now().toISOString());
    throw err;
  }
}

/**
 * The requests for one version: the text with the first image, then one per further image (the
 * endpoint classifies text and images together; one image a request keeps each within its limits).
 * An image that is gone or not ready is skipped.
 */
async function inputsOf(deps: AutomodDeps, text: string, images: string[]): Promise<ModerationInput[][]> {
  const requests: ModerationInput[][] = [];
  let first: ModerationInput[] = text.trim() === "" ? [] : [{ type: "text", text }];
  for (const mediaId of images) {
    // Not kept: a check may run while the post is being deleted, and must leave nothing behind.
    const bytes = await variantBytes(deps, mediaId, "medium", "image/jpeg", false);
    if (!bytes) continue;
    const image: ModerationInput = {
      type: "image_url",
      image_url: { url: `data:image/jpeg;base64,${base64Encode(new Uint8Array(bytes))}` },
    };
    if (requests.length === 0) {
      requests.push([...first, image]);
      first = [];
    } else requests.push([image]);
  }
  if (first.length > 0) requests.push(first);
  return requests;
}

/** Records the verdict and acts on it: hide (with a report at the top of the queue), flag, or nothing. */
async function apply(
  deps: AutomodDeps,
  key: { type: SubjectType; id: string; hash: string },
  checked: SubjectContent,
  v: Verdict,
  model: string,
): Promise<void> {
  const now = deps.clock.now();
  const done = finishCheckStatement(deps.db, key, {
    verdict: v.verdict,
    result: JSON.stringify(v.over),
    now: now.toISOString(),
  });
  // The content may have been deleted, or hidden by staff, while the provider answered.
  const subject = v.verdict === "ok" ? checked : await contentOf(deps, key.type, key.id, checked.contextId);
  if (v.verdict === "ok" || !subject || subject.hidden) {
    await done;
    return;
  }
  const scores = v.flags.map((category) => `${category} ${(v.over[category] ?? 0).toFixed(2)}`).join(", ");
  const note = `Automatic check (${model}): ${scores}`;
  if (v.verdict === "hide") {
    await hideBySystem(deps, subject, { reason: v.reason, note, flags: v.flags, action: "auto_hide" });
    await done;
    return;
  }
  await deps.db.batch([
    done,
    ...systemReportStatements(deps, {
      subject,
      reason: v.reason,
      note,
      flags: v.flags,
      priority: PRIORITY.flagged,
      action: "auto_flag",
      now,
    }),
  ]);
}

/** The dead-letter consumer's verdict: the provider never answered usefully. */
export async function failModerationCheck(
  deps: Pick<Platform, "db" | "clock">,
  job: CheckJob,
  reason: string,
): Promise<void> {
  await failPendingChecks(deps.db, job.subject_type, job.subject_id, reason, deps.clock.now().toISOString());
}
