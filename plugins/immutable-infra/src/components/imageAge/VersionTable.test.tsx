import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  ImageVersion,
  ImageVersionPage,
} from '@immutable-infra/backstage-plugin-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PagedList } from '../shared';
import { VersionTable } from './VersionTable';

// Stored before the backend validated URLs.
// eslint-disable-next-line no-script-url
const SCRIPT_URL = 'javascript:alert(1)';

function version(n: number, extra: Partial<ImageVersion> = {}): ImageVersion {
  return {
    id: `payments-api@${n}`,
    family: 'payments-api',
    version: n,
    fingerprint: `f${n}`,
    digest: `${n}`.repeat(64),
    gitCommit: `abcdef${n}000`,
    gitRepo: 'https://git.example.com/payments',
    buildUrl: `https://ci.example.com/${n}`,
    source: 'registered',
    state: 'active',
    createdAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
    artifacts: [
      {
        provider: 'aws',
        region: 'us-east-1',
        imageId: 'ami-0123456789abcdef0',
      },
    ],
    channels: [],
    ...extra,
  };
}

function list(
  items: ImageVersion[],
  extra: Partial<PagedList<ImageVersionPage>> = {},
): PagedList<ImageVersionPage> {
  return {
    value: items,
    loading: false,
    retry: jest.fn(),
    hasMore: false,
    loadMore: jest.fn(),
    loadingMore: false,
    ...extra,
  };
}

async function render(versions: PagedList<ImageVersionPage>) {
  await renderInTestApp(
    <VersionTable
      versions={versions}
      maxImageAgeDays={30}
      canRevoke
      onRevoke={jest.fn()}
      onRestore={jest.fn()}
    />,
  );
}

function row(n: number): HTMLElement {
  return screen.getByText(`v${n}`, { exact: true }).closest('tr')!;
}

describe('VersionTable', () => {
  it('renders stored URLs that are not http(s) as text, never as links', async () => {
    await render(
      list([
        version(2, {
          buildUrl: SCRIPT_URL,
          gitRepo: 'git@git.example.com:payments/payments-api.git',
        }),
        version(1),
      ]),
    );
    const unsafe = row(2);
    expect(within(unsafe).queryAllByRole('link')).toHaveLength(0);
    expect(within(unsafe).getByText(SCRIPT_URL)).toBeInTheDocument();
    expect(within(unsafe).getByText('abcdef2')).toBeInTheDocument();

    // The other row still links its commit and build.
    const safe = row(1);
    expect(within(safe).getByRole('link', { name: /abcdef1/ })).toHaveAttribute(
      'href',
      'https://git.example.com/payments/commit/abcdef1000',
    );
    expect(within(safe).getByRole('link', { name: /build/ })).toHaveAttribute(
      'href',
      'https://ci.example.com/1',
    );
  });

  it('shows the whole AMI id and digest in their tooltip, and an old version as too old', async () => {
    await render(list([version(1)]));
    expect(within(row(1)).getByText('ami-0123456789abcdef0')).toHaveAttribute(
      'title',
      'us-east-1: ami-0123456789abcdef0',
    );
    expect(within(row(1)).getByText('111111111111')).toHaveAttribute(
      'title',
      '1'.repeat(64),
    );
    expect(within(row(1)).getByText('40 days ago')).toHaveClass(
      'MuiTypography-colorError',
    );
  });

  it('loads older versions, and says why it could not', async () => {
    const loadMore = jest.fn();
    await render(
      list([version(1)], {
        hasMore: true,
        loadMore,
        loadMoreError: new Error('502 Bad Gateway'),
      }),
    );
    expect(
      screen.getByText(/Could not load more: 502 Bad Gateway/),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Load older versions' }),
    );
    expect(loadMore).toHaveBeenCalled();
  });
});
