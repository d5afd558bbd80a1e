import { GraphHttpError, badRequest, forbidden, notFound } from './errors';
import type { TokenClaims } from './identity-provider';
import type { SimUser } from './model';
import type { Tenant } from './tenant';

/**
 * Reading a user's mail address and language, and sending mail as the app (user-get.md,
 * user-sendmail.md), as strict as Graph and Exchange Online:
 * - `GET /users/{id|upn}`: User.ReadBasic.All reads only the basic profile; anything else selected
 *   (preferredLanguage) needs User.Read.All or Directory.Read.All.
 * - `POST /users/{id|upn}/sendMail`: application tokens only here; the sender must have a mailbox
 *   (404 otherwise), and the app may send as it only if an Exchange application RBAC scope
 *   (SimApp.mailScope) lists it; else 403 ErrorAccessDenied. An Entra grant of Mail.Send is
 *   tenant-wide in Graph; it counts only with the lenient `entraMailSendTenantWide` (leniency.ts). The message is checked (subject, body, recipients) with 400s like Graph's.
 */
type Handler = (
  request: { method: string; path: string; query: URLSearchParams; body: unknown; claims: TokenClaims },
  params: string[],
) => { status: number; body?: unknown };

const BASIC_PROFILE = new Set(['id', 'displayname', 'givenname', 'surname', 'mail', 'userprincipalname']);
const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

function appRoles(claims: TokenClaims, operation: string): string[] {
  if (claims.idtyp !== 'app')
    throw forbidden(`${operation}: the simulator models application tokens only; use the app's token.`);
  return claims.roles ?? [];
}

function userByIdOrUpn(tenant: Tenant, idOrUpn: string): SimUser {
  const key = decodeURIComponent(idOrUpn);
  const user =
    tenant.users.get(key) ??
    [...tenant.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key.toLowerCase());
  if (!user) throw notFound(`User ${key}`);
  return user;
}

const userJson = (user: SimUser) => ({
  id: user.id,
  displayName: user.displayName,
  userPrincipalName: user.userPrincipalName,
  mail: user.mail ?? null,
  preferredLanguage: user.preferredLanguage ?? null,
});

/** HTML as readable text: tags dropped, the five entities undone. */
const htmlText = (html: string) =>
  html
    .replace(/<\/p>|<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{2,}/g, '\n')
    .trim();

export function mailRoutes(tenant: Tenant): [string, string, Handler][] {
  return [
    [
      'GET',
      '/users/([^/]+)',
      ({ claims, query }, [idOrUpn]) => {
        const roles = appRoles(claims, 'Get user');
        const selected = (query.get('$select') ?? '')
          .split(',')
          .map((p) => p.trim().toLowerCase())
          .filter(Boolean);
        const full = USER_READ.some((p) => roles.includes(p));
        const basic = full || roles.includes('User.ReadBasic.All');
        // User.ReadBasic.All: the basic profile (all of it without $select); selecting more is refused.
        if (!basic || (!full && selected.some((p) => !BASIC_PROFILE.has(p))))
          throw new GraphHttpError(
            403,
            'Authorization_RequestDenied',
            `Insufficient privileges to complete the operation (needs one of ${USER_READ.join(', ')}${basic ? '' : ', User.ReadBasic.All'}).`,
          );
        const json: Record<string, unknown> = userJson(userByIdOrUpn(tenant, idOrUpn!));
        const shown = selected.length
          ? selected
          : full
            ? Object.keys(json).map((k) => k.toLowerCase())
            : [...BASIC_PROFILE];
        return {
          status: 200,
          body: Object.fromEntries(Object.entries(json).filter(([k]) => shown.includes(k.toLowerCase()))),
        };
      },
    ],
    [
      'POST',
      '/users/([^/]+)/sendMail',
      ({ claims, body }, [idOrUpn]) => {
        const roles = appRoles(claims, 'sendMail');
        const sender = userByIdOrUpn(tenant, idOrUpn!);
        if (!sender.mail)
          throw new GraphHttpError(
            404,
            'MailboxNotEnabledForRESTAPI',
            'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
          );
        const app = tenant.apps.get(claims.appid);
        const inScope = (app?.mailScope ?? []).some((m) => m.toLowerCase() === sender.mail!.toLowerCase());
        // Strict: the Exchange scope alone; the tenant-wide Entra grant only when a test says so.
        const entraGrant = roles.includes('Mail.Send') && tenant.lenient.entraMailSendTenantWide === true;
        if (!entraGrant && !inScope)
          throw new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
        const input = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
        const message = input.message;
        if (!message || typeof message !== 'object')
          throw badRequest('Empty Payload. JSON content expected: message is required.');
        const m = message as Record<string, unknown>;
        if (m.subject !== undefined && typeof m.subject !== 'string')
          throw badRequest('message.subject must be a string.');
        const mailBody = m.body as Record<string, unknown> | undefined;
        const contentType = typeof mailBody?.contentType === 'string' ? mailBody.contentType.toLowerCase() : undefined;
        if (!mailBody || (contentType !== 'text' && contentType !== 'html') || typeof mailBody.content !== 'string')
          throw badRequest('message.body needs contentType (Text or HTML) and content.');
        const recipients = m.toRecipients;
        if (!Array.isArray(recipients) || recipients.length === 0)
          throw new GraphHttpError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
        const to = recipients.map((r) => (r as { emailAddress?: { address?: unknown } })?.emailAddress?.address);
        if (!to.every((a): a is string => typeof a === 'string' && EMAIL.test(a)))
          throw new GraphHttpError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
        if (input.saveToSentItems !== undefined && typeof input.saveToSentItems !== 'boolean')
          throw badRequest('saveToSentItems must be a boolean.');
        tenant.sentMail.push({
          from: sender.mail,
          to,
          subject: m.subject ?? '',
          contentType,
          text: contentType === 'html' ? htmlText(mailBody.content) : mailBody.content,
          content: mailBody.content,
          at: tenant.now().toISOString(),
        });
        return { status: 202 };
      },
    ],
  ];
}
