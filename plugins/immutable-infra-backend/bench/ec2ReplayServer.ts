/* A local HTTP server answering like EC2, for benchmarks. */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

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

function instanceXml(entity: number, n: number): string {
  const id = `i-${(entity * 1000 + n).toString(16).padStart(17, '0')}`;
  return `<item><instanceId>${id}</instanceId><imageId>${imageOf(
    entity,
  )}</imageId><instanceState><code>16</code><name>running</name></instanceState><instanceType>t3.small</instanceType><launchTime>2026-11-20T10:00:00.000Z</launchTime>${
    n % 7 === 0 ? '<keyName>ops</keyName>' : ''
  }<groupSet><item><groupId>sg-${String(entity % 20).padStart(
    8,
    '0',
  )}</groupId><groupName>web</groupName></item></groupSet><tagSet><item><key>immutable-infra:service</key><value>svc-${entity}</value></item><item><key>environment</key><value>${
    n % 3 === 0 ? 'staging' : 'production'
  }</value></item><item><key>aws:autoscaling:groupName</key><value>svc-${entity}-asg</value></item></tagSet></item>`;
}

/** Instances [from, to) of an entity, grouped in their reservations. */
function reservationsXml(entity: number, from: number, to: number): string {
  const reservations: string[] = [];
  for (let n = from; n < to; ) {
    const launch = Math.floor(n / LAUNCH_BATCH);
    const items: string[] = [];
    for (; n < to && Math.floor(n / LAUNCH_BATCH) === launch; n++) {
      items.push(instanceXml(entity, n));
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
 * Instances [from, to) of the whole fleet, entity after entity, in their
 * reservations: what a `tag-key` listing of the account answers.
 */
function fleetReservationsXml(
  perEntity: number,
  from: number,
  to: number,
): string {
  const parts: string[] = [];
  for (let at = from; at < to; ) {
    const entity = Math.floor(at / perEntity);
    const end = Math.min(to, (entity + 1) * perEntity);
    parts.push(
      reservationsXml(
        entity,
        at - entity * perEntity,
        end - entity * perEntity,
      ),
    );
    at = end;
  }
  return parts.join('');
}

/**
 * Replays EC2 DescribeInstances, DescribeSecurityGroups and DescribeImages
 * (the account's AMIs) for a synthetic fleet: entity `svc-N` (selected by
 * the tag `immutable-infra:service=svc-N`) has `perEntity` instances. DescribeInstances pages as EC2 does: at most
 * `MaxResults` instances a page (1,000 when unset, EC2's ceiling), a
 * `NextToken` while more remain, and instances grouped in reservations as an
 * Auto Scaling group launches them (a few per request). Asked by the
 * `tag-key` filter `immutable-infra:service` (the account's inventory, as a
 * full sync lists it), it pages through the instances of all `entities`
 * entities. `requests` counts the requests by action.
 */
export function startReplayServer(options: {
  perEntity: number;
  entities?: number;
}) {
  const PER_ENTITY = options.perEntity;
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const action = params.get('Action');
      requests.set(action ?? '', (requests.get(action ?? '') ?? 0) + 1);
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
        let count = entity >= 0 ? PER_ENTITY : 0;
        if (inventory) {
          count = (options.entities ?? 0) * PER_ENTITY;
        }
        const to = Math.min(count, from + asked);
        const next = to < count ? `<nextToken>${to}</nextToken>` : '';
        xml = `<DescribeInstancesResponse xmlns="${XMLNS}"><requestId>r</requestId><reservationSet>${
          inventory
            ? fleetReservationsXml(PER_ENTITY, from, to)
            : reservationsXml(entity, from, to)
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
  }>(resolve => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        close: () => server.close(),
      }),
    );
  });
}
