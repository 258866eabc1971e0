export interface Config {
  /** Configuration of the Immutable Infra plugins. */
  immutableInfra?: {
    aws?: {
      /**
       * Regions to look for images and instances in, unless an entity names
       * its own with the `immutable-infra.io/aws-regions` annotation.
       * Defaults to `[us-east-1]`.
       */
      regions?: string[];
      /**
       * Endpoint of an EC2-compatible emulator (e.g. a local moto server).
       * Leave unset for real AWS.
       */
      endpoint?: string;
      /**
       * Attempts per AWS call; throttling is retried with backoff.
       * Defaults to 3.
       */
      maxAttempts?: number;
    };
    /** How often the fleet is synced and images are discovered. */
    schedule?: {
      /** Defaults to every 5 minutes. */
      frequency?: { minutes?: number; hours?: number };
      /** Defaults to 3 minutes. */
      timeout?: { minutes?: number; hours?: number };
    };
    /**
     * How often the plugin's copy of enrolled entities (their annotations and
     * owner) is refreshed from the catalog; entity pages read that copy.
     * Defaults to 30 seconds.
     */
    entityRefresh?: { seconds?: number; minutes?: number };
    /** Defaults of the image and instance age policy. */
    policy?: {
      /** Images older than this are drift. Defaults to 30. */
      maxImageAgeDays?: number;
      /** Instances launched longer ago than this are drift. Defaults to 14. */
      maxInstanceAgeDays?: number;
      /** Versions per family that pruning always keeps. Defaults to 5. */
      keepVersions?: number;
      /** Versions younger than this many days are never pruned. Defaults to 7. */
      pruneMinAgeDays?: number;
    };
    /** Tag keys read on instances. */
    tags?: {
      /** Tag naming an instance's environment. Defaults to `environment`. */
      environment?: string;
    };
  };
}
