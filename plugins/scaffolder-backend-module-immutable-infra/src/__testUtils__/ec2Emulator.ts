import { randomBytes } from 'node:crypto';

/**
 * The EC2 emulator (moto) the tests that drive rollouts run against: the one
 * `scripts/test` starts and names in `IMMUTABLE_INFRA_TEST_EC2_ENDPOINT`.
 * Without it these tests fail and say how to start one: a rollout needs a
 * fleet, and this module has no other way to give the backend one.
 */
export function ec2EmulatorEndpoint(): string {
  const endpoint = process.env.IMMUTABLE_INFRA_TEST_EC2_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'IMMUTABLE_INFRA_TEST_EC2_ENDPOINT is not set: run scripts/test, or start moto (python3 -m moto.server -H 127.0.0.1 -p 5000) and set it to http://127.0.0.1:5000',
    );
  }
  return endpoint;
}

/**
 * One EC2 call by the Query API, as the SDK would make it (moto reads the
 * service and region from the credential scope and checks no signature);
 * answers the XML.
 */
async function ec2(
  endpoint: string,
  action: string,
  params: Record<string, string | number>,
): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({
      Action: action,
      Version: '2016-11-15',
      ...Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, String(v)]),
      ),
    }),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`EC2 ${action} answered ${response.status}: ${text}`);
  }
  return text;
}

function tag(xml: string, name: string): string {
  const match = new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml);
  if (!match) {
    throw new Error(`No ${name} in ${xml}`);
  }
  return match[1];
}

/** A name no other test on the shared emulator uses. */
export function uniqueName(prefix: string) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Registers an AMI named `name` (an image of nothing); answers its id. */
export async function createImage(
  endpoint: string,
  name: string,
): Promise<string> {
  return tag(
    await ec2(endpoint, 'RegisterImage', {
      Name: name,
      RootDeviceName: '/dev/xvda',
      Architecture: 'x86_64',
      VirtualizationType: 'hvm',
    }),
    'imageId',
  );
}

/** Which of `imageIds` the emulator still has (not deregistered). */
export async function existingImages(
  endpoint: string,
  imageIds: string[],
): Promise<string[]> {
  const xml = await ec2(endpoint, 'DescribeImages', {
    'Filter.1.Name': 'image-id',
    ...Object.fromEntries(
      imageIds.map((id, i) => [`Filter.1.Value.${i + 1}`, id]),
    ),
  });
  const found = new Set(
    [...xml.matchAll(/<imageId>([^<]+)<\/imageId>/g)].map(m => m[1]),
  );
  return imageIds.filter(id => found.has(id));
}

/**
 * A standalone fleet in us-east-1 for `name`: two AMIs (the one it runs and
 * the next), a launch template `name` launching the first, and `instances`
 * instances launched from it, tagged `app=<name>` and
 * `environment=<environment>`. The annotations give the entity that fleet.
 */
export async function createFleet(
  endpoint: string,
  options: { name: string; instances: number; environment: string },
) {
  const { name, instances, environment } = options;
  const oldAmi = await createImage(endpoint, `${name}-1`);
  const newAmi = await createImage(endpoint, `${name}-2`);
  await ec2(endpoint, 'CreateLaunchTemplate', {
    LaunchTemplateName: name,
    'LaunchTemplateData.ImageId': oldAmi,
    'LaunchTemplateData.InstanceType': 't3.micro',
  });
  await ec2(endpoint, 'RunInstances', {
    'LaunchTemplate.LaunchTemplateName': name,
    'LaunchTemplate.Version': '1',
    MinCount: instances,
    MaxCount: instances,
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.1.Tag.1.Key': 'app',
    'TagSpecification.1.Tag.1.Value': name,
    'TagSpecification.1.Tag.2.Key': 'environment',
    'TagSpecification.1.Tag.2.Value': environment,
  });
  return {
    oldAmi,
    newAmi,
    annotations: {
      'immutable-infra.io/fleet-selector': `app=${name}`,
      'immutable-infra.io/launch-template': name,
    },
  };
}
