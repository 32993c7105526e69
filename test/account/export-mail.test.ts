import { describe, expect, it } from "vitest";
import { exportReadyMail } from "../../src/features/export/export.mail";

describe("exportReadyMail", () => {
  it("addresses the owner with the link in both bodies, and escapes what goes into the HTML", () => {
    const url = "https://api.example.test/exports/01ABC?exp=1&sig=a&b";
    const mail = exportReadyMail({
      to: "ann@example.com",
      username: "ann<script>",
      downloadUrl: url,
      expiresAt: "2026-12-06T15:00:00.000Z",
      sizeBytes: 3 * 1024 * 1024,
    });
    expect(mail.to).toBe("ann@example.com");
    expect(mail.subject).toBe("Your Edgegram data export is ready");
    expect(mail.text).toContain(url);
    expect(mail.text).toContain("2026-12-06 15:00 UTC");
    expect(mail.text).toContain("3.0 MB");
    expect(mail.html).toContain('href="https://api.example.test/exports/01ABC?exp=1&amp;sig=a&amp;b"');
    expect(mail.html).toContain("@ann&lt;script&gt;");
    expect(mail.html).not.toContain("<script>");
  });
});
