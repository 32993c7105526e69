import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes exactly as given over a TCP socket (no client library to "fix" a lying header or
 * re-frame a stream) and parses the first response. Writes after the server has answered and
 * closed are dropped, as a real client's would be.
 */
export function rawRequest(baseUrl: string, head: string, bodyParts: (string | Buffer)[] = []): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) {
        reject(new Error(`no HTTP response; got ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) });
    };
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", () => {
      // A reset after the response arrived is the server refusing the rest of our body.
      if (chunks.length > 0) finish();
      else if (!settled) {
        settled = true;
        reject(new Error("connection failed before any response"));
      }
    });
    socket.setTimeout(20_000, () => socket.destroy());
    socket.on("connect", async () => {
      socket.write(head);
      for (const part of bodyParts) {
        if (socket.destroyed) break;
        socket.write(part);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}
