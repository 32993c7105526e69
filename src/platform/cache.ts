/**
 * KV as an edge cache only: every value has a TTL and can be rebuilt from D1, so a KV failure
 * (or KV's ~60 s eventual consistency) never changes an answer, only its speed. Errors are
 * logged and treated as a miss (docs/security.md K1, K4).
 */
export interface EdgeCache {
  getJson<T>(key: string): Promise<T | null>;
  putJson(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

function logCacheError(op: string, err: unknown): void {
  console.warn(JSON.stringify({ level: "warn", component: "kv-cache", op, error: String(err) }));
}

export function edgeCacheFor(kv: KVNamespace): EdgeCache {
  return {
    async getJson<T>(key: string) {
      try {
        return await kv.get<T>(key, "json");
      } catch (err) {
        logCacheError("get", err);
        return null;
      }
    },
    async putJson(key, value, ttlSeconds) {
      try {
        await kv.put(key, JSON.stringify(value), { expirationTtl: Math.max(60, ttlSeconds) });
      } catch (err) {
        logCacheError("put", err);
      }
    },
    async delete(keys) {
      await Promise.all(keys.map((key) => kv.delete(key).catch((err: unknown) => logCacheError("delete", err))));
    },
  };
}
