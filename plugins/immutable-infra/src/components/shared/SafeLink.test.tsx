import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { SafeLink } from './SafeLink';

// eslint-disable-next-line no-script-url
const SCRIPT_URL = 'javascript:alert(1)';

describe('SafeLink', () => {
  it('links an http(s) URL', async () => {
    await renderInTestApp(
      <SafeLink url="https://ci.example.com/builds/7" text="build" />,
    );
    expect(screen.getByRole('link', { name: /build/ })).toHaveAttribute(
      'href',
      'https://ci.example.com/builds/7',
    );
  });

  it.each([
    SCRIPT_URL,
    SCRIPT_URL.toUpperCase(),
    'data:text/html,hi',
    'ftp://ci.example.com/builds/7',
    'ci/builds/7',
    'not a url',
  ])('shows %s as text', async url => {
    await renderInTestApp(<SafeLink url={url} text="build" />);
    expect(screen.queryByRole('link')).not.toBeInTheDocument();
    expect(screen.getByText(url)).toHaveAttribute('title', url);
  });
});
