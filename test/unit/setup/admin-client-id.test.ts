import { parseSetupArgs } from '../../../scripts/setup';
import { parseDoctorArgs } from '../../../admin/doctor/doctor-options';

/** Set-up and the doctor sign the admin in through the admin-tools app registration (graph-app.bicep). */
describe('the admin tools sign in through the admin app registration', () => {
  const env = {
    RELEASE_GATE_TENANT_ID: '9a4c2f1e-7b3d-4e8a-b6c5-0d1e2f3a4b5c',
    RELEASE_GATE_APP_CLIENT_ID: '5c1d8a2b-4e6f-4a7b-9c8d-1e2f3a4b5c6d',
    RELEASE_GATE_FUNCTION_APP_URL: 'https://func.example',
  };
  const ADMIN = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';

  it('takes RELEASE_GATE_ADMIN_APP_CLIENT_ID (or --admin-client-id) for the sign-in, the app client id for the app', () => {
    for (const parse of [parseSetupArgs, parseDoctorArgs]) {
      expect(parse([], { ...env, RELEASE_GATE_ADMIN_APP_CLIENT_ID: ADMIN })).toMatchObject({
        clientId: env.RELEASE_GATE_APP_CLIENT_ID,
        adminClientId: ADMIN,
      });
      expect(parse(['--admin-client-id', ADMIN], env)).toMatchObject({ adminClientId: ADMIN });
      // A deployment from before the split has one app registration for both.
      expect(parse([], env)).toMatchObject({ adminClientId: env.RELEASE_GATE_APP_CLIENT_ID });
    }
  });
});
