/**
 * The "your export is ready" email (docs/data-export.md). Built here, sent by whoever holds the
 * mailer: the export job calls it once the ZIP is ready. The link is the signed download URL, a
 * capability valid until `expiresAt`, so the text says it must not be forwarded.
 */
export interface ExportReadyMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

export function exportReadyMail(args: {
  to: string;
  username: string;
  downloadUrl: string;
  expiresAt: string;
  sizeBytes: number;
}): ExportReadyMail {
  const size = `${(args.sizeBytes / (1024 * 1024)).toFixed(1)} MB`;
  const until = args.expiresAt.slice(0, 16).replace("T", " ");
  const subject = "Your Edgegram data export is ready";
  const text = [
    `Hi @${args.username},`,
    "",
    `The copy of your Edgegram data you asked for is ready (${size}). Download it here:`,
    "",
    args.downloadUrl,
    "",
    `The link works until ${until} UTC; after that the file is deleted. Anyone with the link can download the file, so do not forward this email.`,
    "",
    "If you did not ask for this, change your password and end your other sessions.",
  ].join("\n");
  const href = escapeHtml(args.downloadUrl);
  const html = [
    `<p>Hi @${escapeHtml(args.username)},</p>`,
    `<p>The copy of your Edgegram data you asked for is ready (${size}).</p>`,
    `<p><a href="${href}">Download your data</a></p>`,
    `<p>The link works until ${escapeHtml(until)} UTC; after that the file is deleted. Anyone with the link can download the file, so do not forward this email.</p>`,
    "<p>If you did not ask for this, change your password and end your other sessions.</p>",
  ].join("\n");
  return { to: args.to, subject, text, html };
}
