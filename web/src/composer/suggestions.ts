import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { api, data, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";

type Suggestions = Schemas["CaptionSuggestions"];

const key = (mediaId: string) => ["caption-suggestions", mediaId] as const;

/** The server has no AI provider configured: POST answers 503 `unavailable`, GET `status: unavailable`. */
const isUnavailable = (error: unknown) =>
  error instanceof ApiProblem && error.status === 503 && error.code === "unavailable";

export type JobState = { phase: "requesting" } | { phase: "started" } | { phase: "error"; error: unknown };

/**
 * AI caption and alt-text suggestions (docs/captions.md), for the composer's images. A job is
 * started per image on request (once: a failed request shows its problem and waits for the
 * person to ask again); its answer is then polled while pending. When the server says no provider
 * is configured, `available` turns false and the composer hides every suggestion quietly.
 */
/** Once a server said it has no provider, later composers in this tab do not ask again. */
let knownUnavailable = false;

export function useCaptionJobs() {
  const client = useQueryClient();
  const [available, setAvailableState] = useState(!knownUnavailable);
  const setAvailable = useCallback((value: boolean) => {
    if (!value) knownUnavailable = true;
    setAvailableState(value);
  }, []);
  const [jobs, setJobs] = useState<Record<string, JobState>>({});

  const start = useCallback(
    async (mediaId: string) => {
      setJobs((all) => ({ ...all, [mediaId]: { phase: "requesting" } }));
      try {
        const language = typeof navigator !== "undefined" && navigator.language ? navigator.language : "en";
        const answer = await data(
          await api.POST("/v1/media/{id}/caption-suggestions", {
            params: { path: { id: mediaId } },
            body: { tone: "casual", language, hint: "" },
          }),
        );
        if (answer.status === "unavailable") {
          setAvailable(false);
          return;
        }
        // The answer seeds the poll, so the GET never runs before the job exists.
        client.setQueryData(key(mediaId), answer);
        setJobs((all) => ({ ...all, [mediaId]: { phase: "started" } }));
      } catch (error) {
        if (isUnavailable(error)) setAvailable(false);
        else setJobs((all) => ({ ...all, [mediaId]: { phase: "error", error } }));
      }
    },
    [client, setAvailable],
  );

  return { available, jobs, start, setAvailable };
}

/** One image's suggestions, polled every 1.5 s while the job is pending. */
export function useSuggestions(mediaId: string | null, enabled: boolean) {
  return useQuery({
    queryKey: key(mediaId ?? ""),
    enabled: enabled && mediaId !== null,
    queryFn: async (): Promise<Suggestions> =>
      await data(await api.GET("/v1/media/{id}/caption-suggestions", { params: { path: { id: mediaId ?? "" } } })),
    refetchInterval: (query) => (query.state.data?.status === "pending" ? 1500 : false),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** A suggestion as caption text: the caption, then its hashtags (which the model gives bare). */
export function captionText(suggestion: Suggestions["suggestions"][number]): string {
  const tags = suggestion.hashtags.map((tag) => (tag.startsWith("#") ? tag : `#${tag}`));
  return [suggestion.caption, tags.join(" ")].filter(Boolean).join(" ");
}
