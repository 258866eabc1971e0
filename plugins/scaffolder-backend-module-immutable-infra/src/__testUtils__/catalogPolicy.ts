import {
  DefaultNamespaceEntityPolicy,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';

/** The catalog's own checks of an entity it reads from a repository. */
const catalogPolicy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

/**
 * Expects the catalog to take `entity` as it is written: no policy refuses
 * it, and none changes it but for the default namespace it adds.
 */
export async function expectCatalogAccepts(entity: Entity) {
  await expect(catalogPolicy.enforce(entity)).resolves.toEqual({
    ...entity,
    metadata: { namespace: 'default', ...entity.metadata },
  });
}
