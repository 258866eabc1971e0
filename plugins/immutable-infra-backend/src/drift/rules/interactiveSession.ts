import { InstanceRecord } from '../types';
import { defineDriftRule } from './DriftRuleDefinition';
import { instancesPhrase } from './wording';

type Hit = {
  instance: InstanceRecord;
  session?: { id?: string; owner?: string; startedAt: string };
  unverified?: string;
};

/** The id of a login read from sshd's lines, not Session Manager's list. */
const SSHD = 'sshd:';

/**
 * Someone opened an interactive session on the instance (Systems Manager
 * Session Manager, as its session list says, or an SSH login sshd let in,
 * as its shipped logs say): whatever was done there, the instance is no
 * longer its image. A session list or log that could not be read is a
 * finding too; with session history turned off and no CloudWatch Logs
 * destination nothing is judged.
 *
 * @internal
 */
export const interactiveSession = defineDriftRule<Hit>({
  id: 'interactive-session',
  severity: 'high',
  fails: ['no-ssh'],
  evaluate: {
    instance: ({ instance }) => {
      const fact = instance.session;
      if (!fact) {
        return undefined;
      }
      if (fact.status === 'unknown') {
        return {
          instance,
          unverified: fact.error || 'the session list could not be read',
        };
      }
      return fact.startedAt
        ? {
            instance,
            session: {
              id: fact.id,
              owner: fact.owner,
              startedAt: fact.startedAt,
            },
          }
        : undefined;
    },
  },
  detail: ({ instance, session, unverified }) => {
    if (!session) {
      return `Whether anyone opened a session on ${instance.instanceId} could not be verified: ${unverified}.`;
    }
    const who = session.owner ?? 'Someone';
    if (session.id?.startsWith(SSHD)) {
      return `${who} logged in over SSH on ${instance.instanceId} at ${session.startedAt} (sshd "Accepted" in its shipped logs): it is no longer its image.`;
    }
    return `${who} opened a session on ${instance.instanceId} at ${
      session.startedAt
    }${
      session.id ? ` (Session Manager session ${session.id})` : ''
    }: it is no longer its image.`;
  },
  rootCause: ({ unverified }) =>
    unverified
      ? 'interactive-session:unverified'
      : 'interactive-session:opened',
  fix: ({ unverified }) =>
    unverified
      ? "Let the plugin's AWS role call ssm:DescribeSessions and, where logs ship to CloudWatch Logs, logs:FilterLogEvents on the group; the next sync checks again."
      : 'Replace the instance with a twin from its image; debug from shipped logs and metrics, or on an instance launched for it.',
  summary: ({ count, cause }) => {
    const { n, verb } = instancesPhrase(count);
    return cause === 'unverified'
      ? `${n} could not be checked for interactive sessions`
      : `${n} ${verb('was', 'were')} opened interactively`;
  },
});
