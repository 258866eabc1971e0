/* A local HTTP server answering like EC2, for benchmarks. */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * EC2's request token bucket for non-mutating actions (`Describe*`), per
 * account, Region and action: "Amazon EC2 throttles EC2 API requests for
 * each AWS account on a per-Region basis", "each API is evaluated
 * individually", and a non-mutating action such as `DescribeHosts` has "a
 * token bucket size of 100 tokens" and "a refill rate of 20 tokens per
 * second"
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html,
 * "Request rate limiting" and "Request token bucket sizes and refill
 * rates"). Every request takes one token; an empty bucket answers
 * `RequestLimitExceeded`. The actions this server answers are all
 * non-mutating and asked filtered or paginated, so the smaller bucket of
 * "unfiltered and unpaginated non-mutating actions" is not modelled.
 */
export const EC2_NON_MUTATING_BUCKET = {
  capacity: 100,
  refillPerSecond: 20,
} as const;

/**
 * A token bucket that refuses instead of waiting, as EC2 does: full at
 * first, refilled continuously up to its capacity.
 */
export class ThrottleBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes a token if one is there; false when the request is throttled. */
  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.updatedAt) / 1000) * this.refillPerSecond,
    );
    this.updatedAt = now;
    if (this.tokens < 1) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}

/**
 * EC2's answer to a throttled request: the error code `RequestLimitExceeded`
 * in EC2's error body (`Response/Errors/Error/Code`, `Message`, `RequestID`;
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * lists the code for a request rate over the account's limit) with HTTP
 * status 503, as EC2 answers it. The AWS SDKs classify the code as a
 * throttling error and retry it with backoff.
 */
export function requestLimitExceededXml(requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

/**
 * The access key and Region of a SigV4-signed request, read from the
 * `Credential=<key>/<date>/<region>/<service>/aws4_request` scope of its
 * Authorization header.
 */
export function signatureScope(
  authorization: string | undefined,
): { accessKeyId: string; region: string } | undefined {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\//.exec(
    authorization ?? '',
  );
  return match ? { accessKeyId: match[1], region: match[2] } : undefined;
}

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** What EC2 answers when MaxResults is missing or above its limit. */
const MAX_RESULTS = 1000;

/** Instances an Auto Scaling group launches in one request, one reservation. */
const LAUNCH_BATCH = 5;

/** AMIs of the account; entities share them. */
const IMAGES = 50;

/** The AMI every instance of entity `svc-N` runs. */
export function imageOf(entity: number): string {
  return `ami-${String(entity % IMAGES).padStart(17, '0')}`;
}

/**
 * An instance's security group: one of 20 shared by the fleet, their IDs
 * unique to the account and Region (`place`) when the fleet is placed, as
 * security group IDs are.
 */
function groupIdOf(entity: number, place?: number): string {
  return `sg-${
    place === undefined ? '' : place.toString(16).padStart(4, '0')
  }${String(entity % 20).padStart(8, '0')}`;
}

function instanceXml(entity: number, n: number, place?: number): string {
  const id = `i-${(entity * 1000 + n).toString(16).padStart(17, '0')}`;
  return `<item><instanceId>${id}</instanceId><imageId>${imageOf(
    entity,
  )}</imageId><instanceState><code>16</code><name>running</name></instanceState><instanceType>t3.small</instanceType><launchTime>2026-11-20T10:00:00.000Z</launchTime>${
    n % 7 === 0 ? '<keyName>ops</keyName>' : ''
  }<groupSet><item><groupId>${groupIdOf(
    entity,
    place,
  )}</groupId><groupName>web</groupName></item></groupSet><tagSet><item><key>immutable-infra:service</key><value>svc-${entity}</value></item><item><key>environment</key><value>${
    n % 3 === 0 ? 'staging' : 'production'
  }</value></item><item><key>aws:autoscaling:groupName</key><value>svc-${entity}-asg</value></item></tagSet></item>`;
}

/** Instances [from, to) of an entity, grouped in their reservations. */
function reservationsXml(
  entity: number,
  from: number,
  to: number,
  place?: number,
): string {
  const reservations: string[] = [];
  for (let n = from; n < to; ) {
    const launch = Math.floor(n / LAUNCH_BATCH);
    const items: string[] = [];
    for (; n < to && Math.floor(n / LAUNCH_BATCH) === launch; n++) {
      items.push(instanceXml(entity, n, place));
    }
    reservations.push(
      `<item><reservationId>r-${(entity * 1000 + launch)
        .toString(16)
        .padStart(
          17,
          '0',
        )}</reservationId><ownerId>123456789012</ownerId><requesterId>940372691376</requesterId><groupSet/><instancesSet>${items.join(
        '',
      )}</instancesSet></item>`,
    );
  }
  return reservations.join('');
}

/** The tag key every instance of the synthetic fleet carries. */
const SELECTOR_KEY = 'immutable-infra:service';

/**
 * Instances [from, to) of the listed entities (all of them when unset),
 * entity after entity, in their reservations: what a `tag-key` listing of
 * the account and Region answers.
 */
function fleetReservationsXml(
  perEntity: number,
  from: number,
  to: number,
  listed?: number[],
  place?: number,
): string {
  const parts: string[] = [];
  for (let at = from; at < to; ) {
    const slot = Math.floor(at / perEntity);
    const entity = listed ? listed[slot] : slot;
    const end = Math.min(to, (slot + 1) * perEntity);
    parts.push(
      reservationsXml(
        entity,
        at - slot * perEntity,
        end - slot * perEntity,
        place,
      ),
    );
    at = end;
  }
  return parts.join('');
}

/** Options of {@link startReplayServer}. */
export type ReplayServerOptions = {
  perEntity: number;
  entities?: number;
  /**
   * Where entity `svc-N` lives: its account and Region. Unset, every entity
   * is in every account and Region asked.
   */
  placement?: (entity: number) => { account: string; region: string };
  /** The account of each access key; unset, the access key stands for it. */
  accounts?: Record<string, string>;
  /**
   * Throttles as EC2 does: a bucket per account, Region and action
   * ({@link EC2_NON_MUTATING_BUCKET} when `true`). Off unless asked, so the
   * benchmarks that do not model throttling keep their figures.
   */
  throttle?: boolean | { capacity: number; refillPerSecond: number };
  /** The clock of the buckets; a fake in tests. */
  now?: () => number;
};

/**
 * Replays EC2 DescribeInstances, DescribeSecurityGroups and DescribeImages
 * (the account's AMIs) for a synthetic fleet: entity `svc-N` (selected by
 * the tag `immutable-infra:service=svc-N`) has `perEntity` instances. DescribeInstances pages as EC2 does: at most
 * `MaxResults` instances a page (1,000 when unset, EC2's ceiling), a
 * `NextToken` while more remain, and instances grouped in reservations as an
 * Auto Scaling group launches them (a few per request). Asked by the
 * `tag-key` filter `immutable-infra:service` (the account's inventory, as a
 * full sync lists it), it pages through the instances of all `entities`
 * entities, or with a `placement` those of the account (the signing access
 * key's, through `accounts`) and Region (the signature's scope) asked.
 * With `throttle`, each account, Region and action has its token bucket and
 * a request finding it empty is answered `RequestLimitExceeded`.
 * `requests` counts the requests by action, `throttled` the throttled ones,
 * `byAccountRegion` the requests by account and Region.
 */
export function startReplayServer(options: ReplayServerOptions) {
  const PER_ENTITY = options.perEntity;
  const requests = new Map<string, number>();
  /** Requests answered `RequestLimitExceeded`, by action. */
  const throttled = new Map<string, number>();
  /** Requests by account and Region (`account/region`), throttled included. */
  const byAccountRegion = new Map<string, number>();
  const bucketSize =
    options.throttle === true ? EC2_NON_MUTATING_BUCKET : options.throttle;
  const buckets = new Map<string, ThrottleBucket>();
  /** The entities of each account and Region, with a placement. */
  const placed = new Map<string, number[]>();
  /** Each account and Region's number, which its security group IDs carry. */
  const places = new Map<string, number>();
  if (options.placement) {
    for (let e = 0; e < (options.entities ?? 0); e++) {
      const { account, region } = options.placement(e);
      const key = `${account}/${region}`;
      const list = placed.get(key);
      if (list) {
        list.push(e);
      } else {
        placed.set(key, [e]);
        places.set(key, places.size);
      }
    }
  }
  let requestIds = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const action = params.get('Action');
      requests.set(action ?? '', (requests.get(action ?? '') ?? 0) + 1);
      const scope = signatureScope(req.headers.authorization);
      const account = scope
        ? options.accounts?.[scope.accessKeyId] ?? scope.accessKeyId
        : '';
      const region = scope?.region ?? '';
      const where = `${account}/${region}`;
      byAccountRegion.set(where, (byAccountRegion.get(where) ?? 0) + 1);
      if (bucketSize) {
        const key = `${where}/${action}`;
        let bucket = buckets.get(key);
        if (!bucket) {
          bucket = new ThrottleBucket(
            bucketSize.capacity,
            bucketSize.refillPerSecond,
            options.now,
          );
          buckets.set(key, bucket);
        }
        if (!bucket.tryTake()) {
          throttled.set(action ?? '', (throttled.get(action ?? '') ?? 0) + 1);
          res.writeHead(503, { 'Content-Type': 'text/xml' });
          res.end(requestLimitExceededXml(`throttled-${++requestIds}`));
          return;
        }
      }
      /** The entities listed here; all of them without a placement. */
      const here = options.placement ? placed.get(where) ?? [] : undefined;
      const place = options.placement ? places.get(where) ?? 0 : undefined;
      let xml: string;
      if (action === 'DescribeInstances') {
        let entity = -1;
        let inventory = false;
        for (const [key, value] of params) {
          if (/^Filter\.\d+\.Value\.1$/.test(key) && value.startsWith('svc-')) {
            entity = Number(value.slice(4));
          }
          const name = /^(Filter\.\d+)\.Name$/.exec(key);
          if (
            name &&
            value === 'tag-key' &&
            [...params.entries()].some(
              ([k, v]) =>
                k.startsWith(`${name[1]}.Value.`) && v === SELECTOR_KEY,
            )
          ) {
            inventory = true;
          }
        }
        const asked = Number(params.get('MaxResults') ?? MAX_RESULTS);
        if (!(asked >= 5 && asked <= MAX_RESULTS)) {
          res.writeHead(400, { 'Content-Type': 'text/xml' });
          res.end(
            `<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>MaxResults must be between 5 and ${MAX_RESULTS}</Message></Error></Errors><RequestID>r</RequestID></Response>`,
          );
          return;
        }
        const from = Number(params.get('NextToken') ?? 0);
        let count =
          entity >= 0 && (!here || here.includes(entity)) ? PER_ENTITY : 0;
        if (inventory) {
          count = (here ? here.length : options.entities ?? 0) * PER_ENTITY;
        }
        const to = Math.min(count, from + asked);
        const next = to < count ? `<nextToken>${to}</nextToken>` : '';
        xml = `<DescribeInstancesResponse xmlns="${XMLNS}"><requestId>r</requestId><reservationSet>${
          inventory
            ? fleetReservationsXml(PER_ENTITY, from, to, here, place)
            : reservationsXml(entity, from, to, place)
        }</reservationSet>${next}</DescribeInstancesResponse>`;
      } else if (action === 'DescribeImages') {
        // The account's own AMIs, asked by an image-id filter (registration
        // checks each artifact is one).
        const known = new Set(
          Array.from({ length: IMAGES }, (_, n) => imageOf(n)),
        );
        const ids = [...params.entries()]
          .filter(([k]) => /^Filter\.\d+\.Value\.\d+$/.test(k))
          .map(([, v]) => v)
          .filter(id => known.has(id));
        xml = `<DescribeImagesResponse xmlns="${XMLNS}"><requestId>r</requestId><imagesSet>${ids
          .map(
            id =>
              `<item><imageId>${id}</imageId><imageState>available</imageState><imageOwnerId>123456789012</imageOwnerId><name>${id}</name></item>`,
          )
          .join('')}</imagesSet></DescribeImagesResponse>`;
      } else if (action === 'DescribeSecurityGroups') {
        const ids = [...params.entries()]
          .filter(([k]) => k.startsWith('GroupId.'))
          .map(([, v]) => v);
        xml = `<DescribeSecurityGroupsResponse xmlns="${XMLNS}"><requestId>r</requestId><securityGroupInfo>${ids
          .map(
            id =>
              `<item><ownerId>123456789012</ownerId><groupId>${id}</groupId><groupName>${id}</groupName><groupDescription>d</groupDescription><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>${
                id.endsWith('7') ? 22 : 443
              }</fromPort><toPort>${
                id.endsWith('7') ? 22 : 443
              }</toPort><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissions></item>`,
          )
          .join('')}</securityGroupInfo></DescribeSecurityGroupsResponse>`;
      } else {
        res.writeHead(400);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(xml);
    });
  });
  return new Promise<{
    endpoint: string;
    close: () => void;
    requests: Map<string, number>;
    throttled: Map<string, number>;
    byAccountRegion: Map<string, number>;
  }>(resolve => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        throttled,
        byAccountRegion,
        close: () => server.close(),
      }),
    );
  });
}
