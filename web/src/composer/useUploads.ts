import { useCallback, useEffect, useRef, useState } from "react";
import type { Schemas } from "../api/client";
import { isAbort, type Phase, uploadImage } from "./upload";

/** How many images a post takes (CreatePost `media_ids`: minItems 1, maxItems 10). */
export const MAX_IMAGES = 10;

export interface Upload {
  key: string;
  file: File;
  alt: string;
  phase: Phase;
  /** Bytes sent, 0-1. */
  progress: number;
  error: unknown;
  media: Schemas["Media"] | null;
}

let counter = 0;

/**
 * The composer's images: each starts uploading the moment it is picked, so it is usually ready by
 * the time the caption is written. Removing an image (or leaving the screen) cancels its upload.
 */
export function useUploads(limit: number) {
  const [items, setItems] = useState<Upload[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const controllers = useRef(new Map<string, AbortController>());

  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
      running.clear();
    };
  }, []);

  const update = useCallback((key: string, patch: Partial<Upload>) => {
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const start = useCallback(
    (key: string, file: File) => {
      const controller = new AbortController();
      controllers.current.set(key, controller);
      uploadImage(
        file,
        {
          phase: (phase) => update(key, { phase }),
          progress: (progress) => update(key, { progress }),
        },
        controller.signal,
      )
        .then((media) => update(key, { media, phase: "ready", progress: 1 }))
        .catch((error: unknown) => {
          if (controller.signal.aborted || isAbort(error)) return;
          update(key, { phase: "failed", error });
        })
        .finally(() => controllers.current.delete(key));
    },
    [update],
  );

  const add = useCallback(
    (files: Iterable<File>) => {
      const picked = [...files];
      if (picked.length === 0) return;
      const room = Math.max(0, limit - items.length);
      const taken = picked.slice(0, room);
      setNotice(
        picked.length > room
          ? limit === 1
            ? "A story has one photo. Remove this one to pick another."
            : `A post has at most ${limit} photos; ${picked.length - room === 1 ? "1 was" : `${picked.length - room} were`} left out.`
          : null,
      );
      const added = taken.map((file) => {
        counter += 1;
        const item: Upload = {
          key: `u${counter}`,
          file,
          alt: "",
          phase: "starting",
          progress: 0,
          error: null,
          media: null,
        };
        return item;
      });
      setItems((list) => [...list, ...added]);
      for (const item of added) start(item.key, item.file);
    },
    [items.length, limit, start],
  );

  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    controllers.current.delete(key);
    setItems((list) => list.filter((item) => item.key !== key));
    setNotice(null);
  }, []);

  const retry = useCallback(
    (key: string) => {
      const item = items.find((i) => i.key === key);
      if (!item) return;
      update(key, { phase: "starting", progress: 0, error: null, media: null });
      start(key, item.file);
    },
    [items, start, update],
  );

  /** Moves an image by `by` places (-1 earlier, +1 later); answers its new index. */
  const move = useCallback((key: string, by: number) => {
    setItems((list) => {
      const from = list.findIndex((item) => item.key === key);
      const to = from + by;
      if (from < 0 || to < 0 || to >= list.length) return list;
      const next = [...list];
      const [moved] = next.splice(from, 1);
      if (moved) next.splice(to, 0, moved);
      return next;
    });
  }, []);

  /** Moves an image to where another one is (drag and drop). */
  const moveTo = useCallback((key: string, targetKey: string) => {
    setItems((list) => {
      const from = list.findIndex((item) => item.key === key);
      const to = list.findIndex((item) => item.key === targetKey);
      if (from < 0 || to < 0 || from === to) return list;
      const next = [...list];
      const [moved] = next.splice(from, 1);
      if (moved) next.splice(to, 0, moved);
      return next;
    });
  }, []);

  const setAlt = useCallback((key: string, alt: string) => update(key, { alt }), [update]);

  const clear = useCallback(() => {
    for (const controller of controllers.current.values()) controller.abort();
    controllers.current.clear();
    setItems([]);
  }, []);

  return { items, notice, add, remove, retry, move, moveTo, setAlt, clear };
}
