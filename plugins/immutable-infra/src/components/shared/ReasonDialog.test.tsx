import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ReasonDialog } from './ReasonDialog';

function render(onConfirm: jest.Mock, onClose = jest.fn()) {
  return renderInTestApp(
    <ReasonDialog
      open
      title="Revoke app@3"
      description="A revoked version is reported as drift."
      confirmLabel="Revoke"
      reasonRequired
      offerDescendants
      onClose={onClose}
      onConfirm={onConfirm}
    />,
  );
}

describe('ReasonDialog', () => {
  it('asks for a reason, then confirms and closes', async () => {
    const onConfirm = jest.fn().mockResolvedValue(undefined);
    const onClose = jest.fn();
    await render(onConfirm, onClose);
    const dialog = screen.getByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Revoke' });
    expect(confirm).toBeDisabled();
    await userEvent.type(
      within(dialog).getByLabelText('Reason (required)'),
      '  CVE-1 ',
    );
    await userEvent.click(within(dialog).getByRole('checkbox'));
    await userEvent.click(confirm);
    expect(onConfirm).toHaveBeenCalledWith({
      reason: 'CVE-1',
      descendants: true,
    });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it('stays open with the backend message when confirming fails', async () => {
    const onClose = jest.fn();
    await render(
      jest.fn().mockRejectedValue(
        Object.assign(new Error('Request failed with 409'), {
          cause: { message: 'app@3 is the production channel version' },
        }),
      ),
      onClose,
    );
    await userEvent.type(screen.getByLabelText('Reason (required)'), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Revoke' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'app@3 is the production channel version',
    );
    expect(onClose).not.toHaveBeenCalled();
  });
});
