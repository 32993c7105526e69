/**
 * The mails the account flows send (README "Account lifecycle"). Each has a plain-text and an HTML
 * body; a link carries its one-use token as the `token` query parameter, written here as the
 * placeholder TOKEN_PLACEHOLDER, which the sender replaces at send time (the token is never stored).
 */
export const TOKEN_PLACEHOLDER = "{{token}}";

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function render(subject: string, paragraphs: string[], link?: { url: string; label: string }): RenderedMail {
  const text = [...paragraphs, ...(link ? [`${link.label}: ${link.url}`] : []), "— Edgegram"].join("\n\n");
  const html = [
    "<!doctype html><html><body>",
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`] : []),
    "<p>— Edgegram</p></body></html>",
  ].join("");
  return { subject, text, html };
}

const linkTo = (appUrl: string, path: string) => `${appUrl}/${path}?token=${TOKEN_PLACEHOLDER}`;

export function verifyEmailMail(appUrl: string, username: string): RenderedMail {
  return render(
    "Verify your email address",
    [`Hi ${username}, confirm that this is your email address for Edgegram.`, "The link works once, for 24 hours."],
    { url: linkTo(appUrl, "verify-email"), label: "Verify your email" },
  );
}

export function signupAttemptMail(appUrl: string): RenderedMail {
  return render("Someone tried to sign up with your email", [
    "Someone tried to create an Edgegram account with this email address, which already has an account. No new account was made.",
    `If it was you, sign in instead, or reset your password at ${appUrl}/reset-password. If not, you can ignore this mail.`,
  ]);
}

export function changeEmailMail(appUrl: string, username: string): RenderedMail {
  return render(
    "Confirm your new email address",
    [`Hi ${username}, confirm this address to make it your Edgegram email.`, "The link works once, for 24 hours."],
    { url: linkTo(appUrl, "verify-email"), label: "Confirm the new address" },
  );
}

export function emailChangeNoticeMail(username: string, newEmail: string): RenderedMail {
  return render("Your email address is being changed", [
    `Hi ${username}, someone signed in to your account asked to change its email to ${newEmail}. It changes once the new address is confirmed.`,
    "If this was not you, change your password now: it ends every other session.",
  ]);
}

export function addressInUseMail(): RenderedMail {
  return render("Someone tried to use your email address", [
    "An Edgegram account asked to use this email address, which already belongs to another account. Nothing was changed.",
  ]);
}

/** No name in it: it is rendered before anyone knows whether the address has an account. */
export function passwordResetMail(appUrl: string): RenderedMail {
  return render(
    "Reset your password",
    [
      "Someone asked to reset the password of the Edgegram account with this email address.",
      "The link works once, for 30 minutes. Setting a new password ends every session. If you did not ask, ignore this mail.",
    ],
    { url: linkTo(appUrl, "reset-password"), label: "Choose a new password" },
  );
}

export function passwordChangedMail(username: string): RenderedMail {
  return render("Your password was changed", [
    `Hi ${username}, the password of your Edgegram account was just changed, and your other sessions were ended.`,
    "If this was not you, reset your password now.",
  ]);
}
