import { Entity } from '@backstage/catalog-model';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import immutableInfraFrontendPlugin from './index';
import { immutableInfraPlugin } from './plugin';

function entity(annotations?: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'a', annotations },
  };
}

describe('immutable-infra frontend plugin', () => {
  it('adds the Immutability tab to enrolled entities only', () => {
    const tester = createExtensionTester(
      immutableInfraFrontendPlugin.getExtension(
        'entity-content:immutable-infra/immutability',
      ),
    );
    expect(tester.get(coreExtensionData.routePath)).toBe('/immutability');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe(
      'Immutability',
    );
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect(
      filter(entity({ 'immutable-infra.io/image-family': 'payments-api' })),
    ).toBe(true);
    expect(filter(entity())).toBe(false);
  });

  it('exports the legacy plugin under the same id', () => {
    expect(immutableInfraPlugin.getId()).toBe('immutable-infra');
  });
});
