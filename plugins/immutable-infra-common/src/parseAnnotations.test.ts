import { Entity } from '@backstage/catalog-model';
import {
  isImmutableInfraAvailable,
  parseImmutableInfraAnnotations,
} from './parseAnnotations';

function entity(annotations: Record<string, string> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api', annotations },
    spec: {},
  };
}

describe('isImmutableInfraAvailable', () => {
  it('is true only with a non-empty image family annotation', () => {
    expect(
      isImmutableInfraAvailable(
        entity({ 'immutable-infra.io/image-family': 'payments-api' }),
      ),
    ).toBe(true);
    expect(isImmutableInfraAvailable(entity())).toBe(false);
    expect(
      isImmutableInfraAvailable(
        entity({ 'immutable-infra.io/image-family': '  ' }),
      ),
    ).toBe(false);
  });
});

describe('parseImmutableInfraAnnotations', () => {
  it('applies the documented defaults', () => {
    expect(parseImmutableInfraAnnotations(entity())).toEqual({
      annotations: {
        imageFamily: undefined,
        fleetSelector: [
          { key: 'immutable-infra:service', value: 'payments-api' },
        ],
        environments: ['staging', 'production'],
        regions: undefined,
        awsAccountId: undefined,
        launchTemplate: undefined,
        autoscalingGroups: undefined,
        maxImageAgeDays: undefined,
        maxInstanceAgeDays: undefined,
        stateful: false,
        logDestination: undefined,
      },
      errors: [],
    });
  });

  it('reads every annotation', () => {
    const { annotations, errors } = parseImmutableInfraAnnotations(
      entity({
        'immutable-infra.io/image-family': 'payments-api',
        'immutable-infra.io/fleet-selector': 'app=payments, team=core',
        'immutable-infra.io/environments': 'dev,staging,production',
        'immutable-infra.io/aws-regions': 'us-east-1,eu-west-1',
        'immutable-infra.io/aws-account-id': '123456789012',
        'immutable-infra.io/launch-template': 'lt-payments',
        'immutable-infra.io/autoscaling-group':
          'production=asg-a,staging=asg-b',
        'immutable-infra.io/max-image-age-days': '21',
        'immutable-infra.io/max-instance-age-days': '7',
        'immutable-infra.io/stateful': 'TRUE',
        'immutable-infra.io/log-destination': 'cloudwatch:/aws/ec2/payments',
      }),
    );
    expect(errors).toEqual([]);
    expect(annotations).toEqual({
      imageFamily: 'payments-api',
      fleetSelector: [
        { key: 'app', value: 'payments' },
        { key: 'team', value: 'core' },
      ],
      environments: ['dev', 'staging', 'production'],
      regions: ['us-east-1', 'eu-west-1'],
      awsAccountId: '123456789012',
      launchTemplate: 'lt-payments',
      autoscalingGroups: { production: 'asg-a', staging: 'asg-b' },
      maxImageAgeDays: 21,
      maxInstanceAgeDays: 7,
      stateful: true,
      logDestination: 'cloudwatch:/aws/ec2/payments',
    });
  });

  it.each(['ap-east-1', 'us-east-1, eu-west-1', 'us-gov-west-1,cn-north-1'])(
    'reads the regions %p',
    value => {
      const { annotations, errors } = parseImmutableInfraAnnotations(
        entity({ 'immutable-infra.io/aws-regions': value }),
      );
      expect(errors).toEqual([]);
      expect(annotations.regions).toEqual(value.split(',').map(r => r.trim()));
    },
  );

  it('uses a single Auto Scaling group for every environment', () => {
    const { annotations } = parseImmutableInfraAnnotations(
      entity({ 'immutable-infra.io/autoscaling-group': 'payments-asg' }),
    );
    expect(annotations.autoscalingGroups).toEqual({
      staging: 'payments-asg',
      production: 'payments-asg',
    });
  });

  it('reads the rollout probe, a URL with the instance placeholders', () => {
    expect(
      parseImmutableInfraAnnotations(
        entity({
          'immutable-infra.io/rollout-probe':
            ' https://{privateDns}:8443/healthz?from={instanceId} ',
        }),
      ).annotations.rolloutProbe,
    ).toBe('https://{privateDns}:8443/healthz?from={instanceId}');
  });

  it('reads target groups of standalone instances, for every environment or per environment', () => {
    const arn =
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/payments-blue/73e2d6bc24d8a067';
    expect(
      parseImmutableInfraAnnotations(
        entity({ 'immutable-infra.io/target-groups': `payments-web, ${arn}` }),
      ).annotations.targetGroups,
    ).toEqual({
      staging: ['payments-web', arn],
      production: ['payments-web', arn],
    });
    expect(
      parseImmutableInfraAnnotations(
        entity({
          'immutable-infra.io/target-groups':
            'production=payments-web,production=payments-admin,staging=payments-web-staging',
        }),
      ).annotations.targetGroups,
    ).toEqual({
      production: ['payments-web', 'payments-admin'],
      staging: ['payments-web-staging'],
    });
  });

  it('reads the preview target groups of blue-green, per environment', () => {
    const arn =
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/payments-green/73e2d6bc24d8a067';
    const { annotations, errors } = parseImmutableInfraAnnotations(
      entity({
        'immutable-infra.io/preview-target-groups': `production=payments-preview, production=${arn}, staging=payments-preview-staging`,
      }),
    );
    expect(errors).toEqual([]);
    expect(annotations.previewTargetGroups).toEqual({
      production: ['payments-preview', arn],
      staging: ['payments-preview-staging'],
    });
    expect(
      parseImmutableInfraAnnotations(entity({})).annotations
        .previewTargetGroups,
    ).toBeUndefined();
  });

  it.each([
    ['immutable-infra.io/image-family', 'Payments API', 'lower-case'],
    ['immutable-infra.io/rollout-probe', 'file:///etc/passwd', 'http(s) URL'],
    [
      'immutable-infra.io/rollout-probe',
      'http://{privateIp}:8080/{path}',
      'not {path}',
    ],
    [
      'immutable-infra.io/rollout-probe',
      'http://ops:secret@{privateIp}/healthz',
      'credentials',
    ],
    ['immutable-infra.io/target-groups', 'production=web,staging', 'pairs'],
    ['immutable-infra.io/target-groups', 'production=', 'pairs'],
    ['immutable-infra.io/target-groups', 'web_tier!', 'ARNs or names'],
    [
      'immutable-infra.io/target-groups',
      'arn:aws:s3:::bucket',
      'ARNs or names',
    ],
    [
      'immutable-infra.io/preview-target-groups',
      'payments-preview',
      '"environment=target-group" pairs',
    ],
    [
      'immutable-infra.io/preview-target-groups',
      'production=payments-preview,staging',
      '"environment=target-group" pairs',
    ],
    [
      'immutable-infra.io/preview-target-groups',
      'production=web_tier!',
      'an ARN or a name',
    ],
    ['immutable-infra.io/fleet-selector', 'app', 'key=value'],
    ['immutable-infra.io/fleet-selector', 'app=', 'key=value'],
    ['immutable-infra.io/environments', 'staging,staging', 'more than once'],
    ['immutable-infra.io/environments', 'Prod!', 'environment names'],
    ['immutable-infra.io/aws-regions', 'virginia', 'region codes'],
    [
      'immutable-infra.io/aws-regions',
      'us-east-1,zz-nowhere-9',
      'region codes',
    ],
    ['immutable-infra.io/aws-account-id', '1234', '12-digit'],
    ['immutable-infra.io/autoscaling-group', 'production=', 'pairs'],
    ['immutable-infra.io/max-image-age-days', '0', 'greater than zero'],
    ['immutable-infra.io/max-instance-age-days', '1.5', 'whole number'],
    ['immutable-infra.io/stateful', 'yes', '"true" or "false"'],
    ['immutable-infra.io/log-destination', 'somewhere', '<kind>:<target>'],
  ])('reports %s=%p as malformed', (annotation, value, message) => {
    const { errors } = parseImmutableInfraAnnotations(
      entity({ [annotation]: value }),
    );
    expect(errors).toEqual([
      { annotation, value, message: expect.stringContaining(message) },
    ]);
  });
});

describe('rollout annotations', () => {
  it('reads a canary with weights and pauses, and the alarms', () => {
    const { annotations, errors } = parseImmutableInfraAnnotations(
      entity({
        'immutable-infra.io/rollout-strategy':
          'canary:20,pause=5m,60,pause,100',
        'immutable-infra.io/rollout-alarms': 'web-5xx, eu-west-1:web-latency',
      }),
    );
    expect(errors).toEqual([]);
    expect(annotations.rolloutStrategy).toEqual({
      strategy: 'canary',
      steps: [
        { setWeight: 20 },
        { pause: { duration: '5m' } },
        { setWeight: 60 },
        { pause: {} },
        { setWeight: 100 },
      ],
    });
    expect(annotations.rolloutAlarms).toEqual([
      'web-5xx',
      'eu-west-1:web-latency',
    ]);
  });

  it('reads a blue-green strategy and canary analyses', () => {
    const read = (value: string) =>
      parseImmutableInfraAnnotations(
        entity({ 'immutable-infra.io/rollout-strategy': value }),
      ).annotations.rolloutStrategy;
    expect(read('blueGreen')).toEqual({
      strategy: 'blueGreen',
      blueGreen: { autoPromote: false },
    });
    expect(read('blueGreen:auto')).toEqual({
      strategy: 'blueGreen',
      blueGreen: { autoPromote: true },
    });
    expect(read('canary:25,analysis=5m,100')?.steps).toEqual([
      { setWeight: 25 },
      { analysis: { duration: '5m' } },
      { setWeight: 100 },
    ]);
  });

  it('names what is wrong with a strategy that cannot run', () => {
    for (const value of [
      'blueGreen:sometimes',
      'red-black',
      'canary:50,20,analysis=soon,100',
      'canary:50,20,100',
      'canary:10,50',
      'canary:10,pause=5 minutes,100',
      'canary:0,100',
    ]) {
      const { annotations, errors } = parseImmutableInfraAnnotations(
        entity({ 'immutable-infra.io/rollout-strategy': value }),
      );
      expect(annotations.rolloutStrategy).toBeUndefined();
      expect(errors).toEqual([
        expect.objectContaining({
          annotation: 'immutable-infra.io/rollout-strategy',
          value,
        }),
      ]);
    }
  });
});
