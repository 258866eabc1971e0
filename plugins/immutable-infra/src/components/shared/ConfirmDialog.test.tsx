import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ConfirmDialog } from './ConfirmDialog';

describe('ConfirmDialog', () => {
  it('is named by its title and cannot confirm before it is ready', async () => {
    const onConfirm = jest.fn().mockResolvedValue(undefined);
    await renderInTestApp(
      <ConfirmDialog
        title="Start"
        confirmLabel="Go"
        ready={false}
        onClose={jest.fn()}
        onConfirm={onConfirm}
      >
        the plan
      </ConfirmDialog>,
    );
    const dialog = screen.getByRole('dialog', { name: 'Start' });
    expect(within(dialog).getByText('the plan')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Go' })).toBeDisabled();
  });

  it('shows a failure known beforehand and one from confirming, and stays open', async () => {
    const onClose = jest.fn();
    const onConfirm = jest.fn().mockRejectedValue(
      Object.assign(new Error('Request failed with 409 Conflict'), {
        cause: { message: 'a rollout is running' },
      }),
    );
    await renderInTestApp(
      <ConfirmDialog
        title="Start"
        confirmLabel="Go"
        error="no plan"
        onClose={onClose}
        onConfirm={onConfirm}
      >
        the plan
      </ConfirmDialog>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('no plan');
    await userEvent.click(screen.getByRole('button', { name: 'Go' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'a rollout is running',
    );
    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onClose).toHaveBeenCalled();
  });
});
