import { describe, expect, it } from "vitest";
import {
  checkAuthSecret,
  checkP256dh,
  checkPushEndpoint,
  MAX_ENDPOINT_LENGTH,
  outcomeOf,
} from "../../src/platform/web-push";

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const point = (first = 4, length = 65) => {
  const bytes = new Uint8Array(length).fill(7);
  bytes[0] = first;
  return bytes;
};

describe("push endpoints (docs/security.md F1)", () => {
  it.each([
    "https://fcm.googleapis.com/fcm/send/abc:def",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
    "https://web.push.apple.com/QGf3",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    "https://push.example.test:443/ok/1",
    "https://push.example.test./ok/1",
    "https://8.8.8.8/push",
    "https://[2606:4700:4700::1111]/push",
    "https://[::ffff:8.8.8.8]/push",
    "https://[64:ff9b::808:808]/push",
    "https://[2002:808:808::1]/push",
  ])("accepts %s", (url) => {
    expect(checkPushEndpoint(url)).toBeNull();
  });

  it.each([
    ["http://fcm.googleapis.com/fcm/send/x", "https"],
    ["ftp://fcm.googleapis.com/x", "https"],
    ["wss://fcm.googleapis.com/x", "https"],
    ["fcm.googleapis.com/x", "absolute"],
    ["https://", "absolute"],
    ["https://push.example.test:8443/x", "443"],
    ["https://push.example.test:80/x", "443"],
    ["https://user:pw@push.example.test/x", "credentials"],
    ["https://user@push.example.test/x", "credentials"],
    ["https://localhost/x", "public host"],
    ["https://LOCALHOST./x", "public host"],
    ["https://api.localhost/x", "public host"],
    ["https://printer.local/x", "public host"],
    ["https://metadata.google.internal/x", "public host"],
    ["https://router.home.arpa/x", "public host"],
    ["https://intranet/x", "public host"],
    ["https://127.0.0.1/x", "address"],
    ["https://127.1/x", "address"],
    ["https://2130706433/x", "address"],
    ["https://0x7f000001/x", "address"],
    ["https://0177.0.0.1/x", "address"],
    ["https://0.0.0.0/x", "address"],
    ["https://10.1.2.3/x", "address"],
    ["https://172.16.0.1/x", "address"],
    ["https://172.31.255.255/x", "address"],
    ["https://192.168.1.1/x", "address"],
    ["https://169.254.169.254/latest/meta-data", "address"],
    ["https://100.64.0.1/x", "address"],
    ["https://100.127.255.255/x", "address"],
    ["https://224.0.0.1/x", "address"],
    ["https://255.255.255.255/x", "address"],
    ["https://[::1]/x", "address"],
    ["https://[::]/x", "address"],
    ["https://[0:0:0:0:0:0:0:1]/x", "address"],
    ["https://[::ffff:127.0.0.1]/x", "address"],
    ["https://[::ffff:7f00:1]/x", "address"],
    ["https://[::ffff:169.254.169.254]/x", "address"],
    ["https://[::ffff:10.0.0.1]/x", "address"],
    ["https://[::127.0.0.1]/x", "address"],
    ["https://[64:ff9b::7f00:1]/x", "address"],
    ["https://[2002:7f00:1::]/x", "address"],
    ["https://[fc00::1]/x", "address"],
    ["https://[fd12:3456::1]/x", "address"],
    ["https://[fe80::1]/x", "address"],
    ["https://[febf::1]/x", "address"],
    ["https://[ff02::1]/x", "address"],
    ["https://[2001:db8::1]/x", "address"],
    [`https://push.example.test/${"a".repeat(MAX_ENDPOINT_LENGTH)}`, "characters"],
  ])("refuses %s", (url, reason) => {
    expect(checkPushEndpoint(url)).toContain(reason);
  });

  it("keeps public neighbours of the refused ranges", () => {
    for (const url of [
      "https://172.32.0.1/x",
      "https://172.15.255.255/x",
      "https://100.128.0.1/x",
      "https://169.255.0.1/x",
      "https://11.0.0.1/x",
      "https://[2001:4860:4860::8888]/x",
    ]) {
      expect(checkPushEndpoint(url), url).toBeNull();
    }
  });
});

describe("subscription keys", () => {
  it("accepts a 65-byte uncompressed point, padded or not", () => {
    expect(checkP256dh(b64url(point()))).toBeNull();
    expect(checkP256dh(`${b64url(point())}=`)).toBeNull();
  });

  it.each([
    ["64 bytes", b64url(point(4, 64))],
    ["66 bytes", b64url(point(4, 66))],
    ["a compressed point", b64url(point(2, 33))],
    ["no 0x04 prefix", b64url(point(5))],
    ["standard base64", Buffer.from(point(4, 65).fill(0xfb, 1)).toString("base64")],
    ["not base64", "!!!"],
    ["empty", ""],
  ])("refuses a p256dh of %s", (_label, value) => {
    expect(checkP256dh(value)).not.toBeNull();
  });

  it("accepts a 16-byte auth secret and refuses other lengths", () => {
    expect(checkAuthSecret(b64url(new Uint8Array(16)))).toBeNull();
    expect(checkAuthSecret(b64url(new Uint8Array(15)))).not.toBeNull();
    expect(checkAuthSecret(b64url(new Uint8Array(17)))).not.toBeNull();
    expect(checkAuthSecret(b64url(new Uint8Array(32)))).not.toBeNull();
    expect(checkAuthSecret("a b")).not.toBeNull();
  });
});

describe("what a push service's answer means", () => {
  it.each([
    [201, "sent"],
    [200, "sent"],
    [202, "sent"],
    [404, "gone"],
    [410, "gone"],
    [429, "retry"],
    [500, "retry"],
    [503, "retry"],
    [400, "rejected"],
    [401, "rejected"],
    [403, "rejected"],
    [413, "rejected"],
    [301, "rejected"],
    [307, "rejected"],
  ])("%i is %s", (status, kind) => {
    expect(outcomeOf(status).kind).toBe(kind);
  });
});
