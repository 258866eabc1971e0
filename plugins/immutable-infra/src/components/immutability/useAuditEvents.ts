import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { AuditEventPage } from '@immutable-infra/backstage-plugin-common';
import { immutableInfraApiRef } from '../../api';
import { PagedList, usePagedList } from '../shared';

/** Audit events per page, in the backend and in the table. */
export const AUDIT_EVENTS_PAGE_SIZE = 10;

/** The entity's audit log, newest first, page by page. */
export function useAuditEvents(
  entityRef: CompoundEntityRef,
): PagedList<AuditEventPage> {
  const api = useApi(immutableInfraApiRef);
  const { kind, namespace, name } = entityRef;
  return usePagedList(
    cursor =>
      api.listAuditEvents(
        { kind, namespace, name },
        { cursor, limit: AUDIT_EVENTS_PAGE_SIZE },
      ),
    [api, kind, namespace, name],
  );
}
