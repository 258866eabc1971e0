/* eslint-disable no-script-url -- these tests feed hostile URLs on purpose */
import { z } from 'zod';
import { problems } from './__testUtils__/problems';
import { NUL_CHARACTER_MESSAGE } from './validation';
import { enrollRequestSchema } from './schemas';
import {
  assignChannelRequestSchema,
  AWS_REGION_PATTERN,
  channelHistoryQuerySchema,
  isGitRepo,
  packerManifestSchema,
  pageQuerySchema,
  parsePackerArtifactId,
  pruneRequestSchema,
  registerImageRequestSchema,
  restoreImageRequestSchema,
  revokeImageRequestSchema,
  rollbackChannelRequestSchema,
} from './registrySchemas';

const RUN = '6c5a1d2e-8f3b-4a7c-9d1e-2b3c4d5e6f70';

/** A manifest as Packer's manifest post-processor writes it for amazon-ebs. */
const packerManifest = {
  builds: [
    {
      name: 'payments-api',
      builder_type: 'amazon-ebs',
      build_time: 1764597623,
      files: null,
      artifact_id:
        'eu-west-1:ami-0a1b2c3d4e5f60718,us-east-1:ami-0f9e8d7c6b5a43210',
      packer_run_uuid: RUN,
      custom_data: {
        git_commit: '9c982e3f1b7a4d2c8e6f0a1b3c5d7e9f2a4b6c8d',
        git_repo: 'https://github.com/acme/payments-api',
        build_url: 'https://github.com/acme/payments-api/actions/runs/123456',
        parent_image: 'base-ubuntu@3',
        source_ami: 'ami-0c7217cdde317cfec',
        ubuntu_release: '24.04',
      },
    },
  ],
  last_run_uuid: RUN,
};

type Build = (typeof packerManifest.builds)[number];

/** A registration of the manifest with one build changed. */
function withBuild(change: Partial<Record<keyof Build, unknown>>) {
  return {
    family: 'payments-api',
    manifest: {
      ...packerManifest,
      builds: [{ ...packerManifest.builds[0], ...change }],
    },
  };
}

function withCustomData(customData: Record<string, string>) {
  return withBuild({
    custom_data: { ...packerManifest.builds[0].custom_data, ...customData },
  });
}

const explicit = {
  family: 'payments-api',
  artifacts: [{ region: 'us-east-1', imageId: 'ami-0123456789abcdef0' }],
};

/** Every region code of the AWS SDK's partitions (`@aws-sdk/util-endpoints`). */
const REAL_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'me-west-1',
  'mx-central-1',
  'sa-east-1',
  'sa-west-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'cn-north-1',
  'cn-northwest-1',
  'eusc-de-east-1',
  'us-iso-east-1',
  'us-iso-west-1',
  'us-isob-east-1',
  'us-isob-west-1',
  'eu-isoe-west-1',
  'us-isof-east-1',
  'us-isof-south-1',
  'us-gov-east-1',
  'us-gov-west-1',
];

describe('AWS_REGION_PATTERN', () => {
  it.each(REAL_REGIONS)('accepts %s', region => {
    expect(AWS_REGION_PATTERN.test(region)).toBe(true);
  });

  it.each([
    'zz-nowhere-9',
    'us-nowhere-1',
    'us-east',
    'us-east-1a',
    'US-EAST-1',
    'us-east-100',
    'aws-global',
    'eusc-fr-east-1',
    ' us-east-1',
  ])('refuses %p', region => {
    expect(AWS_REGION_PATTERN.test(region)).toBe(false);
  });
});

describe('registerImageRequestSchema', () => {
  it('accepts a real Packer amazon-ebs manifest with two regions', () => {
    const body = { family: 'payments-api', manifest: packerManifest };
    expect(problems(registerImageRequestSchema, body)).toBeUndefined();
    // Validation changes nothing Packer wrote that the registry reads.
    expect(registerImageRequestSchema.parse(body).manifest).toEqual(
      packerManifest,
    );
  });

  it('accepts explicit artifacts with their build details', () => {
    expect(
      problems(registerImageRequestSchema, {
        ...explicit,
        artifacts: [
          ...explicit.artifacts,
          {
            region: 'ap-southeast-5',
            imageId: 'ami-0fedcba9876543210',
            account: '123456789012',
          },
        ],
        gitCommit: 'ABCDEF1234567',
        gitRepo: 'git@github.com:acme/payments-api.git',
        buildUrl: 'https://ci.example.com/builds/42?attempt=2#log',
        parent: 'ami-0c7217cdde317cfec',
        builtAt: '2026-01-31T12:00:00.123+01:00',
      }),
    ).toBeUndefined();
  });

  it('accepts a manifest whose earlier runs are of other builders, and empty custom_data values', () => {
    const body = {
      family: 'payments-api',
      manifest: {
        builds: [
          {
            name: 'container',
            builder_type: 'docker',
            build_time: 1760000000,
            files: [{ name: 'image.tar', size: 1024 }],
            artifact_id: 'sha256:4f2a9c1e',
            packer_run_uuid: 'earlier-run',
            custom_data: null,
          },
          {
            ...packerManifest.builds[0],
            custom_data: { git_commit: '', build_url: '', parent_image: '' },
          },
        ],
        last_run_uuid: RUN,
      },
    };
    expect(problems(registerImageRequestSchema, body)).toBeUndefined();
  });

  describe('build_time', () => {
    it.each([
      ['1e300', 1e300],
      ['-1e15', -1e15],
      ['a fraction', 1764597623.5],
      ['milliseconds', 1764597623000],
      ['before 2000', 946684799],
      ['a string', '1764597623'],
    ])('refuses %s', (_, buildTime) => {
      expect(
        problems(
          registerImageRequestSchema,
          withBuild({ build_time: buildTime }),
        ),
      ).toBe(
        'manifest.builds.0.build_time must be a Unix time in whole seconds (not milliseconds) between 2000-01-01 and 2100-01-01',
      );
    });

    it('accepts the first second of 2000', () => {
      expect(
        problems(
          registerImageRequestSchema,
          withBuild({ build_time: 946684800 }),
        ),
      ).toBeUndefined();
    });
  });

  describe('artifact_id', () => {
    it('refuses 150 invented artifacts', () => {
      const artifactId = Array.from(
        { length: 150 },
        (_, i) => `us-east-1:ami-${i.toString(16).padStart(17, '0')}`,
      ).join(',');
      expect(
        problems(
          registerImageRequestSchema,
          withBuild({ artifact_id: artifactId }),
        ),
      ).toBe(
        'manifest.builds.0.artifact_id lists 150 artifacts; a version has at most 64, one AMI per region',
      );
    });

    it('refuses more than 64 artifacts across the builds of one run', () => {
      const build = (name: string, first: number) => ({
        ...packerManifest.builds[0],
        name,
        artifact_id: Array.from(
          { length: 40 },
          (_, i) =>
            `us-east-1:ami-${(first + i).toString(16).padStart(17, '0')}`,
        ).join(','),
      });
      expect(
        problems(registerImageRequestSchema, {
          family: 'payments-api',
          manifest: {
            ...packerManifest,
            builds: [build('a', 0), build('b', 40)],
          },
        }),
      ).toBe(
        `manifest.builds of run "${RUN}" list 80 artifacts; a version has at most 64, one AMI per region`,
      );
    });

    it.each([
      ['an unknown region', 'zz-nowhere-9:ami-0123456789abcdef0'],
      [
        'a 40-character region',
        `${'us-east-'.repeat(5)}:ami-0123456789abcdef0`,
      ],
      ['an instance id', 'us-east-1:i-0123456789abcdef0'],
      ['no region', 'ami-0123456789abcdef0'],
      ['a third part', 'us-east-1:ami-0123456789abcdef0:x'],
    ])('refuses %s', (_, entry) => {
      expect(
        problems(
          registerImageRequestSchema,
          withBuild({
            artifact_id: `eu-west-1:ami-0a1b2c3d4e5f60718,${entry}`,
          }),
        ),
      ).toBe(
        `manifest.builds.0.artifact_id has ${JSON.stringify(
          entry,
        )}, which is not "<region>:<ami id>" with an AWS region code and an AMI id, such as us-east-1:ami-0123456789abcdef0`,
      );
    });

    it('is parsed into AMIs by parsePackerArtifactId', () => {
      expect(
        parsePackerArtifactId(
          'eu-west-1:ami-0a1b2c3d4e5f60718, us-east-1:ami-0f9e8d7c6b5a43210,zz-nowhere-9:ami-0f9e8d7c6b5a43210',
        ),
      ).toEqual({
        artifacts: [
          { region: 'eu-west-1', imageId: 'ami-0a1b2c3d4e5f60718' },
          { region: 'us-east-1', imageId: 'ami-0f9e8d7c6b5a43210' },
        ],
        invalid: ['zz-nowhere-9:ami-0f9e8d7c6b5a43210'],
      });
    });
  });

  describe('custom_data', () => {
    it.each([
      ['git_commit', "not-a-sha'; --", 'must be a git commit SHA'],
      ['commit', 'abc', 'must be a git commit SHA'],
      [
        'build_url',
        'javascript:alert(1)',
        'must be an http:// or https:// URL',
      ],
      [
        'build:url',
        'data:text/html,<script>alert(1)</script>',
        'must be an http:// or https:// URL',
      ],
      [
        'git_repo',
        'file:///etc/passwd',
        'must be an http(s) URL, an SSH remote',
      ],
      [
        'git_repo',
        `https://git.example.com/${'a'.repeat(500)}`,
        'must be at most 512 characters',
      ],
      ['parent_image', 'a'.repeat(300), 'must be at most 255 characters'],
      ['parent_image', 'ubuntu 24.04', 'must be an AMI id'],
      ['source_ami', 'ami-XYZ', 'must be an AMI id'],
      ['ubuntu_release', 'x'.repeat(1025), 'must be at most 1024 characters'],
      ['ubuntu_release', '24.04\u0000', 'must not contain NUL characters'],
    ])('refuses %s=%p', (key, value, message) => {
      expect(
        problems(registerImageRequestSchema, withCustomData({ [key]: value })),
      ).toContain(`manifest.builds.0.custom_data.${key} ${message}`);
    });

    it('takes keys named like object properties as any other key', () => {
      const body = {
        family: 'payments-api',
        manifest: JSON.parse(
          JSON.stringify(packerManifest).replace(
            '"ubuntu_release"',
            '"constructor":"a","toString":"b","__proto__":"c","ubuntu_release"',
          ),
        ),
      };
      expect(problems(registerImageRequestSchema, body)).toBeUndefined();
    });

    it('refuses too many keys, and long or NUL-laden keys', () => {
      const many = Object.fromEntries(
        Array.from({ length: 65 }, (_, i) => [`key_${i}`, 'x']),
      );
      expect(
        problems(registerImageRequestSchema, withBuild({ custom_data: many })),
      ).toBe(
        'manifest.builds.0.custom_data has 65 keys; at most 64 are accepted',
      );
      expect(
        problems(
          registerImageRequestSchema,
          withCustomData({ ['k'.repeat(129)]: 'x' }),
        ),
      ).toContain('manifest.builds.0.custom_data has the key "kkk');
      expect(
        problems(
          registerImageRequestSchema,
          withCustomData({ 'a\u0000b': 'x' }),
        ),
      ).toBe(
        'manifest.builds.0.custom_data has the key "a\\u0000b"; keys must be at most 128 characters, without NUL characters or lone surrogates',
      );
      expect(
        problems(
          registerImageRequestSchema,
          withCustomData({ 'a\ud800b': 'x' }),
        ),
      ).toBe(
        'manifest.builds.0.custom_data has the key "a\\ud800b"; keys must be at most 128 characters, without NUL characters or lone surrogates',
      );
    });
  });

  describe('other manifest fields', () => {
    it.each([
      ['packer_run_uuid', 'r'.repeat(65), 'must be at most 64 characters'],
      ['packer_run_uuid', 'run\u0000', 'must not contain NUL characters'],
      ['builder_type', '', 'must name the Packer builder'],
      ['name', 'n'.repeat(129), 'must be at most 128 characters'],
      [
        'artifact_id',
        `us-east-1:ami-0123456789abcdef0\u0000`,
        NUL_CHARACTER_MESSAGE,
      ],
    ])('refuses %s=%p', (field, value, message) => {
      expect(
        problems(registerImageRequestSchema, withBuild({ [field]: value })),
      ).toContain(`manifest.builds.0.${field} ${message}`);
    });

    it('refuses too many builds and a NUL in last_run_uuid', () => {
      expect(
        problems(packerManifestSchema, {
          ...packerManifest,
          builds: Array(257).fill(packerManifest.builds[0]),
        }),
      ).toBe('builds must list at most 256 builds');
      expect(
        problems(packerManifestSchema, {
          ...packerManifest,
          last_run_uuid: '\u0000',
        }),
      ).toBe('last_run_uuid must not contain NUL characters (\\u0000)');
    });
  });

  describe('explicit fields', () => {
    it.each([
      [
        'buildUrl',
        'javascript:alert(document.cookie)',
        'buildUrl must be an http:// or https:// URL',
      ],
      [
        'buildUrl',
        'data:text/html;base64,PHNjcmlwdD4=',
        'buildUrl must be an http:// or https:// URL',
      ],
      [
        'buildUrl',
        'file:///etc/passwd',
        'buildUrl must be an http:// or https:// URL',
      ],
      [
        'buildUrl',
        'https://ci.example.com/a b',
        'buildUrl must be an http:// or https:// URL',
      ],
      [
        'buildUrl',
        `https://ci.example.com/${'x'.repeat(1024)}`,
        'buildUrl must be at most 1024 characters',
      ],
      [
        'gitRepo',
        'javascript:alert(1)',
        'gitRepo must be an http(s) URL, an SSH remote',
      ],
      [
        'gitRepo',
        'data:text/html,hi',
        'gitRepo must be an http(s) URL, an SSH remote',
      ],
      [
        'gitRepo',
        'https://git.example.com/\u0000',
        'gitRepo must not contain NUL characters',
      ],
      ['gitCommit', "not-a-sha'; --", 'gitCommit must be a git commit SHA'],
      ['gitCommit', 'abcdef', 'gitCommit must be a git commit SHA'],
      ['gitCommit', 'a'.repeat(41), 'gitCommit must be a git commit SHA'],
      ['parent', 'p'.repeat(300), 'parent must be at most 255 characters'],
      ['parent', 'ubuntu:24.04', 'parent must be an AMI id'],
      ['family', 'payments\u0000api', 'family must not contain NUL characters'],
      ['family', 'Payments API', 'family must be lower-case'],
      ['runUuid', '', 'runUuid must name a run of the manifest'],
      ['builtAt', '1970-01-01T00:00:00Z', 'builtAt must be an ISO 8601 time'],
      [
        'builtAt',
        '2026-01-31T12:00:00.1234567890123456789012345678901234567890123456789Z',
        'builtAt must be an ISO 8601 time',
      ],
      ['builtAt', 'yesterday', 'builtAt must be an ISO 8601 time'],
    ])('refuses %s=%p', (field, value, message) => {
      expect(
        problems(registerImageRequestSchema, { ...explicit, [field]: value }),
      ).toContain(message);
    });

    it.each([
      [
        'a region code that is no AWS region',
        { region: 'zz-nowhere-9' },
        'artifacts.0.region must be an AWS region code such as us-east-1',
      ],
      [
        'a 60-character region',
        { region: 'r'.repeat(60) },
        'artifacts.0.region must be at most 32 characters',
      ],
      [
        'a NUL in the image id',
        { imageId: 'ami-0123456789abcdef0\u0000' },
        `artifacts.0.imageId ${NUL_CHARACTER_MESSAGE}`,
      ],
      [
        'an account that is not 12 digits',
        { account: '12345' },
        'artifacts.0.account must be a 12-digit AWS account id',
      ],
    ])('refuses an artifact with %s', (_, change, message) => {
      expect(
        problems(registerImageRequestSchema, {
          ...explicit,
          artifacts: [{ ...explicit.artifacts[0], ...change }],
        }),
      ).toBe(message);
    });

    it('refuses more than 64 explicit artifacts', () => {
      expect(
        problems(registerImageRequestSchema, {
          ...explicit,
          artifacts: Array(65).fill(explicit.artifacts[0]),
        }),
      ).toBe('artifacts must list at most 64 artifacts, one AMI per region');
    });

    it('accepts commits of 7 to 40 hex digits and SHA-256 object names', () => {
      for (const gitCommit of ['abc1234', 'A'.repeat(40), 'f'.repeat(64)]) {
        expect(
          problems(registerImageRequestSchema, { ...explicit, gitCommit }),
        ).toBeUndefined();
      }
    });
  });
});

describe('isGitRepo', () => {
  it.each([
    'https://github.com/acme/payments-api',
    'http://git.internal:8080/acme/payments-api.git',
    'git@github.com:acme/payments-api.git',
    'github.com:acme/payments-api.git',
    'ssh://git@github.com/acme/payments-api.git',
    'acme/payments-api',
  ])('accepts %p', repo => {
    expect(isGitRepo(repo)).toBe(true);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'vbscript:msgbox(1)',
    'https:acme',
    'https://github.com/acme/payments api',
    'java\tscript:alert(1)',
    '',
  ])('refuses %p', repo => {
    expect(isGitRepo(repo)).toBe(false);
  });
});

describe('channel, revocation and prune bodies', () => {
  it('bounds the version and the reason of a channel assignment', () => {
    expect(
      problems(assignChannelRequestSchema, { version: 'payments-api@3' }),
    ).toBeUndefined();
    expect(
      problems(assignChannelRequestSchema, { version: 3 }),
    ).toBeUndefined();
    for (const version of [1e12, 0, 1.5, 'payments-api', 'x@1234567890']) {
      expect(problems(assignChannelRequestSchema, { version })).toBe(
        'version must be a version number (1 to 999999999) or "<family>@<version>"',
      );
    }
    // A text version is described as text, naming what is wrong with it.
    expect(problems(assignChannelRequestSchema, { version: 'x@1\u0000' })).toBe(
      'version must not contain NUL characters (\\u0000)',
    );
    expect(
      problems(assignChannelRequestSchema, {
        version: 3,
        reason: 'r'.repeat(1025),
      }),
    ).toBe('reason must be at most 1024 characters');
    expect(
      problems(assignChannelRequestSchema, { version: 3, reason: 'ok\u0000' }),
    ).toBe('reason must not contain NUL characters (\\u0000)');
  });

  it.each([
    [
      'a revocation',
      revokeImageRequestSchema,
      { reason: 'CVE', descendant: true },
      'descendant',
    ],
    [
      'a restore',
      restoreImageRequestSchema,
      { descendants: true, why: 'x' },
      'why',
    ],
    [
      'a channel assignment',
      assignChannelRequestSchema,
      { version: 3, force: true },
      'force',
    ],
    [
      'a rollback',
      rollbackChannelRequestSchema,
      { assignment: '4' },
      'assignment',
    ],
    ['a prune', pruneRequestSchema, { dryrun: false }, 'dryrun'],
    [
      'an enrolment',
      enrollRequestSchema,
      { name: 'a', entityRef: 'component:default/a', owner: 'x' },
      'owner',
    ],
    [
      'a registration',
      registerImageRequestSchema,
      {
        family: 'a',
        artifacts: [{ region: 'us-east-1', imageId: 'ami-0123456789abcdef0' }],
        buildURL: 'https://ci.example.com/1',
      },
      'buildURL',
    ],
  ])(
    'refuses a key %s does not have, rather than ignore it',
    (_, schema, body, key) => {
      expect(problems(schema as z.ZodType, body)).toBe(
        `value has an unknown key "${key}"`,
      );
    },
  );

  it('refuses a key an artifact does not have', () => {
    expect(
      problems(registerImageRequestSchema, {
        family: 'a',
        artifacts: [
          { region: 'us-east-1', imageId: 'ami-0123456789abcdef0', zone: 'a' },
        ],
      }),
    ).toBe('artifacts.0 has an unknown key "zone"');
  });

  it('takes assignment ids of at most 15 digits for a rollback', () => {
    expect(
      problems(rollbackChannelRequestSchema, { assignmentId: '42' }),
    ).toBeUndefined();
    expect(
      problems(rollbackChannelRequestSchema, { assignmentId: '9'.repeat(16) }),
    ).toBe('assignmentId must be at most 15 characters');
    expect(
      problems(rollbackChannelRequestSchema, { assignmentId: '1; drop' }),
    ).toBe('assignmentId must be the id of an earlier assignment');
  });

  it('requires a real reason to revoke, bounded like the column', () => {
    expect(
      problems(revokeImageRequestSchema, { reason: 'CVE-2026-1234' }),
    ).toBeUndefined();
    expect(problems(revokeImageRequestSchema, { reason: '   ' })).toBe(
      'reason a reason is required',
    );
    expect(
      problems(revokeImageRequestSchema, { reason: 'x'.repeat(1025) }),
    ).toBe('reason must be at most 1024 characters');
    expect(problems(restoreImageRequestSchema, { reason: 'fixed\u0000' })).toBe(
      'reason must not contain NUL characters (\\u0000)',
    );
  });

  it('checks the family to prune', () => {
    expect(
      problems(pruneRequestSchema, { family: 'payments-api' }),
    ).toBeUndefined();
    expect(problems(pruneRequestSchema, { family: 'f'.repeat(129) })).toBe(
      'family must be at most 128 characters',
    );
  });
});

describe('page queries', () => {
  it('takes cursors of at most 15 digits', () => {
    expect(
      problems(pageQuerySchema, { cursor: '50', limit: '20' }),
    ).toBeUndefined();
    expect(problems(pageQuerySchema, { cursor: '1'.repeat(16) })).toBe(
      'cursor must be at most 15 characters',
    );
    expect(problems(pageQuerySchema, { cursor: '1\u0000' })).toBe(
      'cursor must not contain NUL characters (\\u0000)',
    );
    expect(problems(pageQuerySchema, { cursor: ['1', '2'] })).toContain(
      'cursor',
    );
  });

  it('checks the channel of a history query', () => {
    expect(
      problems(channelHistoryQuerySchema, { channel: 'production' }),
    ).toBeUndefined();
    expect(problems(channelHistoryQuerySchema, { channel: 'Prod!' })).toBe(
      'channel must be lower-case letters, digits, "-" or "_", starting with a letter or digit (at most 63 characters)',
    );
    expect(
      problems(channelHistoryQuerySchema, { channel: 'c'.repeat(65) }),
    ).toBe('channel must be at most 64 characters');
  });
});

describe('bodies of the wrong shape', () => {
  const build = {
    builder_type: 'amazon-ebs',
    artifact_id: 'us-east-1:ami-0123456789abcdef0',
    packer_run_uuid: 'r',
  };
  const manifest = (builds: unknown) => ({
    family: 'payments-api',
    manifest: { builds, last_run_uuid: 'r' },
  });

  it.each([
    [null, 'value must be an object'],
    [[], 'value must be an object'],
    [{ family: 'payments-api', manifest: 'x' }, 'manifest must be an object'],
    [manifest('x'), 'manifest.builds must be a list'],
    [manifest([null]), 'manifest.builds.0 must be an object'],
    [manifest([{ ...build, artifact_id: 5 }]), 'manifest.builds.0.artifact_id'],
    [
      manifest([{ ...build, builder_type: 5 }]),
      'manifest.builds.0.builder_type',
    ],
    [
      manifest([{ ...build, custom_data: [] }]),
      'manifest.builds.0.custom_data',
    ],
    [
      manifest([{ ...build, custom_data: { git_commit: 5 } }]),
      'manifest.builds.0.custom_data.git_commit',
    ],
    [manifest([{ ...build, files: 'x' }]), 'manifest.builds.0.files'],
  ])('refuses %j, naming the field, without throwing', (body, message) => {
    // A throw here would answer 500.
    expect(problems(registerImageRequestSchema, body)).toContain(message);
  });
});
