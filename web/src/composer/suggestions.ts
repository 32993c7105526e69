import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { api, data, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";

type Suggestions = Schemas["CaptionSuggestions"];

const key = (mediaId: string) => ["caption-suggestions", mediaId] as const;

/** The server has no AI provider configured: POST answers 503 `unavailable`, GET `status: unavailable`. */
const isUnavailable = (error: unknown) =>
  error instanceof ApiProblem && error.status === 503 && error.code === "unavailable";

/**
 * AI caption and alt-text suggestions (docs/captions.md), for the composer's images. A job is
 * started per image on request; its answer is polled while pending. When the server says no
 * provider is configured, `available` turns false and the composer hides every suggestion quietly.
 */
export function useCaptionJobs() {
  const client = useQueryClient();
  const [available, setAvailable] = useState(true);
  const [started, setStarted] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, unknown>>({});

  const start = useCallback(
    async (mediaId: string) => {
      setStarted((set) => new Set(set).add(mediaId));
      setErrors((all) => ({ ...all, [mediaId]: null }));
      try {
        const language = typeof navigator !== "undefined" && navigator.language ? navigator.language : "en";
        const answer = await data(
          await api.POST("/v1/media/{id}/caption-suggestions", {
            params: { path: { id: mediaId } },
            body: { tone: "casual", language, hint: "" },
          }),
        );
        if (answer.status === "unavailable") setAvailable(false);
        else client.setQueryData(key(mediaId), answer);
      } catch (error) {
        if (isUnavailable(error)) setAvailable(false);
        else setErrors((all) => ({ ...all, [mediaId]: error }));
      }
    },
    [client],
  );

  return { available, started, errors, start, setAvailable };
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
