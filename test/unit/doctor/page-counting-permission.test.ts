import { ENTRA_MAIL_SEND_ID, permissionChecks } from '../../../admin/doctor/permission-checks';
import { OPT_INS } from '../../../admin/doctor/doctor-options';
import { permissionsFor } from '../../../src/graph/app-permissions';
import type { PrintApi } from '../../../src/graph/print-api';

/** An admin view of a tenant where the app holds exactly these application permissions. */
function adminWith(granted: { id: string }[]): PrintApi {
  return {
    getServicePrincipalByAppId: async (appId: string) => ({ id: appId === 'app' ? 'sp-app' : 'sp-graph', appId }),
    listAppRoleAssignments: async () =>
      granted.map((p) => ({ appRoleId: p.id, resourceId: 'sp-graph', principalId: 'sp-app' })),
  } as unknown as PrintApi;
}

describe('the doctor with page counting on', () => {
  it('has a flag for it, from RELEASE_GATE_ALLOW_PAGE_COUNTING', () => {
    expect(OPT_INS).toContainEqual({
      optIn: 'allowPageCounting',
      env: 'RELEASE_GATE_ALLOW_PAGE_COUNTING',
      flag: 'allow-page-counting',
    });
  });

  it('requires PrintJob.Read.All, and says how to grant it', async () => {
    const [check] = await permissionChecks(adminWith(permissionsFor('application')), 'app', ['allowPageCounting']);
    expect(check).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^not granted: PrintJob\.Read\.All \(page counting/),
      fix: expect.stringMatching(/azd env set RELEASE_GATE_ALLOW_PAGE_COUNTING true && azd provision/),
    });
  });

  it('passes once it is granted, and warns when it is granted with page counting off', async () => {
    const withPageCounting = permissionsFor('application', ['allowPageCounting']);
    const [on] = await permissionChecks(adminWith(withPageCounting), 'app', ['allowPageCounting']);
    expect(on).toMatchObject({ status: 'ok' });
    const [off] = await permissionChecks(adminWith(withPageCounting), 'app', []);
    expect(off).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/PrintJob\.Read\.All \(its opt-in allowPageCounting is off\)/),
    });
  });
});

describe('the doctor and messages to users', () => {
  it('does not ask for Mail.Send in Entra ID, and warns when it is granted there (tenant-wide)', async () => {
    const [none] = await permissionChecks(adminWith(permissionsFor('application')), 'app', []);
    expect(none).toMatchObject({ status: 'ok' });
    const [tenantWide] = await permissionChecks(
      adminWith([...permissionsFor('application'), { id: ENTRA_MAIL_SEND_ID }]),
      'app',
      [],
    );
    expect(tenantWide).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/Mail\.Send in Entra ID \(tenant-wide/),
    });
  });
});
