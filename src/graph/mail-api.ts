import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

/** One path segment, encoded: a user id or UPN from a queued message must never change the path. */
const seg = encodeURIComponent;

/** What a message needs of its recipient: where to send it and in which language. */
export const recipientSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  mail: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
  /** ISO 639-1 language with optional region (e.g. de-DE); Graph leaves it null when nobody set it. */
  preferredLanguage: z.string().nullish(),
});
export type Recipient = z.infer<typeof recipientSchema>;

/** A plain mail as Graph's sendMail takes it: one recipient, a subject and an HTML body. */
export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
}

/**
 * The mail calls user messages make, as the app (no user signed in):
 * - the recipient (application User.Read.All, or User.ReadBasic.All for all but `mail`/`preferredLanguage`
 *   where the tenant allows; the app reads both, so User.Read.All);
 * - sendMail from the one sender mailbox (application Mail.Send, scoped to that mailbox with Exchange
 *   application RBAC; see the README). Graph answers 202 with no body and no message id.
 */
export class MailApi {
  constructor(private readonly client: Client) {}

  async getRecipient(idOrUpn: string): Promise<Recipient> {
    return recipientSchema.parse(
      await this.client
        .api(`/users/${seg(idOrUpn)}`)
        .select(['id', 'displayName', 'mail', 'userPrincipalName', 'preferredLanguage'])
        .get(),
    );
  }

  async sendMail(sender: string, mail: OutgoingMail): Promise<void> {
    await this.client.api(`/users/${seg(sender)}/sendMail`).post({
      message: {
        subject: mail.subject,
        body: { contentType: 'HTML', content: mail.html },
        toRecipients: [{ emailAddress: { address: mail.to } }],
      },
      // Not kept in the sender's Sent Items: the mailbox is a sender, not an archive of users' documents' names.
      saveToSentItems: false,
    });
  }
}

export type MailCalls = Pick<MailApi, 'getRecipient' | 'sendMail'>;
