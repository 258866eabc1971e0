export interface Config {
  /** The demo permission policy of this backend. */
  permissionPolicy?: {
    /**
     * Permission names denied to everyone, e.g.
     * `immutable-infra.image.create`. Everything else is allowed.
     */
    deny?: string[];
  };
}
