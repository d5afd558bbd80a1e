import { startSimulator, type Simulator } from '../../sandbox/simulator';
import { appApi, adminApi } from '../support/simulator-clients';

describe('the real Graph SDK and @azure/identity against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => sim?.stop());

  it('gets an app token with a client secret and manages task definitions', async () => {
    const api = appApi(sim);
    const created = await api.createTaskDefinition('Release Gate');
    expect(created.createdBy?.appId).toBe(sim.demo!.app.clientId);
    expect((await api.listTaskDefinitions()).map((d) => d.id)).toContain(created.id);
    expect((await api.listPrinters()).length).toBeGreaterThanOrEqual(5);
    // The status a release reads first (printer-readiness.ts), as the SDK parses it.
    const library = sim.demo!.printers.library;
    library.status = { state: 'stopped', details: ['mediaJam'], description: 'Jam in tray 2' };
    expect(await api.getPrinterStatus(library.id)).toMatchObject({
      displayName: library.displayName,
      isAcceptingJobs: true,
      status: { state: 'stopped', details: ['mediaJam'] },
    });
    delete library.status;
  });

  it('signs the admin in with the device code flow and creates a trigger', async () => {
    const api = appApi(sim);
    const definition = await api.createTaskDefinition('Release Gate triggers');
    const admin = adminApi(sim);
    const printerId = sim.demo!.printers.floor1Color.id;
    const trigger = await admin.createTaskTrigger(
      printerId,
      `${sim.graphBaseUrl}/print/taskDefinitions/${definition.id}`,
    );
    expect(trigger.id).toBeTruthy();
    // Graph lists a trigger's id and event only: whose it is, set-up knows from its own record.
    expect(await admin.listTaskTriggers(printerId)).toEqual([expect.objectContaining({ id: trigger.id })]);
  });
});
