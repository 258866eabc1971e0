import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { immutableInfraApiRef } from '../../api';
import { ActivityCard } from './ActivityCard';

const entityRef = { kind: 'Component', namespace: 'default', name: 'app' };

const event = (id: string, action: string, subject: string) => ({
  id,
  actor: 'user:default/ada',
  action,
  subject,
  at: new Date().toISOString(),
});

function render(listAuditEvents: jest.Mock) {
  return renderInTestApp(<ActivityCard entityRef={entityRef} />, {
    apis: [[immutableInfraApiRef, { listAuditEvents }]],
  });
}

describe('ActivityCard', () => {
  it('shows a failed "load more" beside the events loaded, and loads on retry', async () => {
    const listAuditEvents = jest
      .fn()
      .mockResolvedValueOnce({
        items: [event('2', 'image.register', 'app@2')],
        nextCursor: '2',
      })
      .mockRejectedValueOnce(new Error('503 Service Unavailable'))
      .mockResolvedValueOnce({
        items: [event('1', 'family.enroll', 'app')],
      });
    await render(listAuditEvents);
    const table = await screen.findByRole('table', { name: 'activity' });
    expect(within(table).getByText('registered app@2')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(
      await screen.findByText(/Could not load more: 503 Service Unavailable/),
    ).toBeInTheDocument();
    expect(screen.getByText('registered app@2')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(
      await screen.findByText('enrolled the image family app'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Could not load more/)).not.toBeInTheDocument();
    expect(listAuditEvents).toHaveBeenLastCalledWith(entityRef, {
      cursor: '2',
      limit: 10,
    });
  });

  it('shows a failed first page', async () => {
    await render(jest.fn().mockRejectedValue(new Error('403 Forbidden')));
    expect(
      (await screen.findAllByText(/403 Forbidden/)).length,
    ).toBeGreaterThan(0);
  });

  it('says when nothing has changed yet', async () => {
    await render(jest.fn().mockResolvedValue({ items: [] }));
    expect(
      await screen.findByText('Nothing has changed yet.'),
    ).toBeInTheDocument();
  });
});
