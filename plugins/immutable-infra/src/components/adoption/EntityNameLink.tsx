import { parseEntityRef } from '@backstage/catalog-model';
import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
  humanizeEntityRef,
} from '@backstage/plugin-catalog-react';

/**
 * A link to an entity's page, named by its ref (or `title`), for tables of
 * many rows: the catalog's EntityRefLink asks the catalog for each entity's
 * presentation and styles each link on its own, which a page of services
 * changing at once pays for in seconds.
 */
export function EntityNameLink(props: {
  entityRef: string;
  defaultKind: string;
  title?: string;
}) {
  const entityRoute = useRouteRef(entityRouteRef);
  let ref;
  try {
    ref = parseEntityRef(props.entityRef);
  } catch {
    return <>{props.entityRef}</>;
  }
  return (
    <Link to={entityRoute(entityRouteParams(ref))}>
      {props.title ??
        humanizeEntityRef(ref, { defaultKind: props.defaultKind })}
    </Link>
  );
}
