import { createTestDatabases } from '../__testUtils__/databases';
import { createRegistryStores } from './RegistryStores';
import { migrateForTests } from '../__testUtils__/migrate';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())('RegistryStores on %p', id => {
  async function setup() {
    const knex = await databases.init(id);
    await migrateForTests(knex);
    return { knex, store: createRegistryStores(knex) };
  }

  it('enrolls a family and records the audit event with it', async () => {
    const { knex, store } = await setup();
    const result = await store.families.enrollFamily({
      name: 'payments-api',
      entityRef: 'component:default/payments-api',
      actor: 'user:default/grace',
    });
    expect(result.outcome).toBe('created');
    expect(result.family).toMatchObject({
      name: 'payments-api',
      entityRef: 'component:default/payments-api',
    });
    expect(Date.now() - Date.parse(result.family.createdAt)).toBeLessThan(
      60_000,
    );
    await expect(store.families.getFamily('payments-api')).resolves.toEqual(
      result.family,
    );
    const events = await knex('audit_events').select();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'user:default/grace',
      action: 'family.enroll',
      entity_ref: 'component:default/payments-api',
      subject: 'payments-api',
    });
    expect(JSON.parse(events[0].payload)).toEqual({ family: 'payments-api' });
  });

  it('is idempotent for the owner and refuses another entity', async () => {
    const { knex, store } = await setup();
    const options = {
      name: 'ledger-worker',
      entityRef: 'component:default/ledger-worker',
      actor: 'user:default/grace',
    };
    const first = await store.families.enrollFamily(options);
    const again = await store.families.enrollFamily(options);
    expect(again).toEqual({ outcome: 'existing', family: first.family });
    const taken = await store.families.enrollFamily({
      ...options,
      entityRef: 'component:default/other',
    });
    expect(taken).toEqual({ outcome: 'taken', family: first.family });
    // Only the change was audited.
    const [{ n }] = await knex('audit_events').count({ n: '*' });
    expect(Number(n)).toBe(1);
  });

  it('lets exactly one of concurrent enrollments win', async () => {
    const { knex, store } = await setup();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map(suffix =>
        store.families.enrollFamily({
          name: 'contested',
          entityRef: `component:default/${suffix}`,
          actor: 'user:default/ada',
        }),
      ),
    );
    expect(results.filter(r => r.outcome === 'created')).toHaveLength(1);
    expect(results.filter(r => r.outcome === 'taken')).toHaveLength(3);
    const [{ n }] = await knex('audit_events').count({ n: '*' });
    expect(Number(n)).toBe(1);
  });

  it('answers undefined for an unknown family', async () => {
    const { store } = await setup();
    await expect(store.families.getFamily('nope')).resolves.toBeUndefined();
  });
});
