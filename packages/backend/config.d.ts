export interface Config {
  /** The demo permission policy of this backend. */
  permissionPolicy?: {
    /**
     * Permission names denied to everyone, e.g.
     * `immutable-infra.image.create`. Everything else is allowed.
     */
    deny?: string[];
  };
  /** The demo's own settings. */
  demo?: {
    /**
     * Whether `POST /api/immutable-infra/demo/history` writes weeks of past
     * rollouts and drift findings for the dashboard (scripts/seed-demo.mjs
     * calls it). Never on in production.
     */
    history?: boolean;
  };
}
