// Delivery of a digest's messages: webhooks by fetch, mail by nodemailer (STARTTLS when the server offers
// it), each given 10 s. What a failure says never holds a webhook URL or the SMTP password.
import type { DigestMail, DigestMessage, DigestTarget } from "@home-usage/core";
import { createTransport } from "nodemailer";

/** How long a target may take to answer before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** The mail server and sender, when a message is a mail. */
export interface MailSettings {
  smtpUrl?: string;
  mailFrom?: string;
}

/** Why a target failed, as it may be shown: no webhook URL, no password. */
export class DeliveryError extends Error {}

/** Sends one message; a `DeliveryError` saying why when the target refuses it or does not answer in 10 s. */
export async function deliver(message: DigestMessage, mail: MailSettings): Promise<void> {
  const secrets = [message.target.address, mail.smtpUrl, smtpPassword(mail.smtpUrl)];
  try {
    if ("mail" in message) await sendMail(message.target, message.mail, mail);
    else await post(message.target.address, message.body);
  } catch (error) {
    throw new DeliveryError(scrub(reasonOf(error), secrets));
  }
}

async function post(url: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    redirect: "error",
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  });
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    const said = text.replace(/\s+/g, " ").trim().slice(0, 120);
    throw new DeliveryError(`HTTP ${response.status}${said ? `: ${said}` : ""}`);
  }
}

async function sendMail(target: DigestTarget, mail: DigestMail, settings: MailSettings): Promise<void> {
  if (!settings.smtpUrl || !settings.mailFrom)
    throw new DeliveryError("HOME_USAGE_SMTP_URL or HOME_USAGE_MAIL_FROM is not set");
  // STARTTLS whenever the server offers it (smtp://), TLS from the start with smtps://.
  const transport = createTransport({
    url: settings.smtpUrl,
    connectionTimeout: DELIVERY_TIMEOUT_MS,
    greetingTimeout: DELIVERY_TIMEOUT_MS,
    socketTimeout: DELIVERY_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: settings.mailFrom,
      to: target.address,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      attachments: mail.attachments,
    });
  } finally {
    transport.close();
  }
}

const smtpPassword = (url: string | undefined) => {
  const password = url && URL.canParse(url) ? new URL(url).password : "";
  return password ? decodeURIComponent(password) : undefined;
};

function reasonOf(error: unknown): string {
  if (error instanceof DeliveryError) return error.message;
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError" || error.name === "AbortError")
    return `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ETIMEDOUT") return `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
  const text = (cause?.message ?? error.message).split("\n")[0] ?? "";
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}

/** Takes every secret out of a reason, however a library may have put it in. */
function scrub(reason: string, secrets: readonly (string | undefined)[]): string {
  let text = reason;
  for (const secret of secrets) if (secret && secret.length >= 4) text = text.replaceAll(secret, "…");
  return text.replace(/https?:\/\/\S+/g, "…");
}
