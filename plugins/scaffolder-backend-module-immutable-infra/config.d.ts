export interface Config {
  immutableInfra?: {
    /** The scaffolder actions of Immutable Infra. */
    scaffolder?: {
      /**
       * A directory of the backend's host where `immutable-infra:publish:local`
       * publishes repositories, for a portal without a git server (the demo).
       * Relative to the backend's working directory. The action is not
       * installed without it.
       */
      localRepositories?: {
        root: string;
      };
    };
  };
}
