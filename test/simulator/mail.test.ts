import { ClientSecretCredential } from '@azure/identity';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, DEMO_MESSAGE_SENDER } from '../../sandbox/simulator/demo-tenant';
import { createGraphClient } from '../../src/graph/graph-client';
import { MailApi } from '../../src/graph/mail-api';
import { sendUserMessage } from '../../src/messages/send-message';
import { memorySentMessages } from '../../src/messages/sent-messages';
import type { UserMessage } from '../../src/messages/message-model';
import { simulatorEndpoints } from '../support/simulator-clients';
import { recordingLog } from '../support/release-fakes';

/**
 * User messages against the simulator's sendMail, with the real Graph SDK: the app sends only as the
 * mailbox its Exchange RBAC scope lists; an Entra Mail.Send grant would let it send as anyone.
 */
describe('Universal Print simulator: user messages by mail', () => {
  let sim: Simulator;
  const mailApi = (clientId = DEMO_APP_CLIENT_ID, secret = DEMO_APP_SECRET) => {
    const endpoints = simulatorEndpoints(sim);
    const credential = new ClientSecretCredential(sim.tenantId, clientId, secret, {
      authorityHost: endpoints.authorityHost,
      disableInstanceDiscovery: true,
    });
    return new MailApi(createGraphClient(credential, endpoints, { maxRetries: 0, baseDelaySeconds: 0 }));
  };
  const message = (id: string): UserMessage => ({
    version: 1,
    kind: 'denied',
    id,
    to: { userPrincipalName: 'megan@contoso.example' },
    documentName: 'Budget.pdf',
    printerName: 'Floor 1 colour',
    reason: 'Colour is for staff.',
    correlationId: 'c',
    createdAt: new Date().toISOString(),
  });
  const otherApp = (id: string, permissions: string[], mailScope?: string[]) =>
    sim.tenant.apps.set(id, {
      clientId: id,
      secret: 's',
      displayName: 'Other',
      applicationPermissions: permissions,
      delegatedPermissions: [],
      ...(mailScope ? { mailScope } : {}),
    });

  beforeAll(async () => {
    sim = await startSimulator({});
  });
  afterAll(async () => {
    await sim?.stop();
  });
  beforeEach(() => void (sim.tenant.sentMail.length = 0));

  it('sends from the scoped sender mailbox, in the recipient’s language, listed in the outbox', async () => {
    const deps = { mail: mailApi(), sent: memorySentMessages(), sender: DEMO_MESSAGE_SENDER, log: recordingLog() };
    await expect(sendUserMessage(message('m1'), deps)).resolves.toEqual({ status: 'sent', language: 'de' });
    const outbox = (await (await fetch(`${sim.url}/_control/outbox`)).json()) as { value: Record<string, unknown>[] };
    expect(outbox.value).toEqual([
      expect.objectContaining({
        from: DEMO_MESSAGE_SENDER,
        to: ['megan@contoso.example'],
        subject: expect.stringContaining('Budget.pdf'),
        text: expect.stringContaining('Colour is for staff.'),
      }),
    ]);
  });

  it('refuses a mailbox outside the app’s Exchange scope (403 ErrorAccessDenied): thrown, so it is retried', async () => {
    const deps = {
      mail: mailApi(),
      sent: memorySentMessages(),
      sender: 'adele@contoso.example',
      log: recordingLog(),
    };
    await expect(sendUserMessage(message('m2'), deps)).rejects.toMatchObject({
      statusCode: 403,
      code: 'ErrorAccessDenied',
    });
    expect(sim.tenant.sentMail).toEqual([]);
  });

  it('refuses an app without an Exchange scope; an Entra Mail.Send grant counts only when lenient (it is tenant-wide)', async () => {
    otherApp('33333333-3333-4333-8333-333333333333', ['User.Read.All']);
    const send = (clientId: string, sender: string) =>
      mailApi(clientId, 's').sendMail(sender, { to: 'lee.student@contoso.example', subject: 'x', html: '<p>x</p>' });
    await expect(send('33333333-3333-4333-8333-333333333333', DEMO_MESSAGE_SENDER)).rejects.toMatchObject({
      statusCode: 403,
    });
    // Strict: an Entra Mail.Send grant alone does not count (the README has admins remove it) ...
    otherApp('44444444-4444-4444-8444-444444444444', ['User.Read.All', 'Mail.Send']);
    await expect(send('44444444-4444-4444-8444-444444444444', 'adele@contoso.example')).rejects.toMatchObject({
      statusCode: 403,
    });
    // ... while Graph honours it for every mailbox: why a deployment must not rely on it.
    sim.tenant.lenient.entraMailSendTenantWide = true;
    try {
      await expect(send('44444444-4444-4444-8444-444444444444', 'adele@contoso.example')).resolves.toBeUndefined();
    } finally {
      sim.tenant.lenient.entraMailSendTenantWide = false;
    }
  });

  it('checks the message shape (400) and the recipient look-up’s permission (403 for preferredLanguage)', async () => {
    const token = await new ClientSecretCredential(sim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, {
      authorityHost: sim.authorityHost,
      disableInstanceDiscovery: true,
    }).getToken(simulatorEndpoints(sim).scope);
    const post = (body: unknown) =>
      fetch(`${sim.graphBaseUrl}/users/${DEMO_MESSAGE_SENDER}/sendMail`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({})).status).toBe(400);
    expect((await post({ message: { subject: 's', body: { contentType: 'HTML', content: 'x' } } })).status).toBe(400);
    expect(
      (
        await post({
          message: {
            subject: 's',
            body: { contentType: 'HTML', content: 'x' },
            toRecipients: [{ emailAddress: { address: 'not an address' } }],
          },
        })
      ).status,
    ).toBe(400);
    otherApp('55555555-5555-4555-8555-555555555555', ['User.ReadBasic.All']);
    await expect(
      mailApi('55555555-5555-4555-8555-555555555555', 's').getRecipient('megan@contoso.example'),
    ).rejects.toMatchObject({ statusCode: 403 });
  });
});
