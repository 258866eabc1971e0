import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { immutableInfraApiRef } from '../../api';
import {
  ImageFamilyPicker,
  imageFamilyPickerValidation,
} from './ImageFamilyPicker';

const families = [
  {
    name: 'base-ubuntu',
    entityRef: 'component:default/base-ubuntu',
    createdAt: '2026-11-01T00:00:00.000Z',
  },
  {
    name: 'base-amazon-linux',
    entityRef: 'component:default/base-amazon-linux',
    createdAt: '2026-11-02T00:00:00.000Z',
  },
];

function render(api: object, formData?: string) {
  const onChange = jest.fn();
  const props = {
    formData,
    onChange,
    schema: {
      title: 'Base image family',
      description: 'The family images are built on',
    },
    required: true,
    rawErrors: [],
    idSchema: { $id: 'root_baseFamily' },
    uiSchema: {},
  } as any;
  return {
    onChange,
    rendered: renderInTestApp(<ImageFamilyPicker {...props} />, {
      apis: [[immutableInfraApiRef, api]],
    }),
  };
}

describe('ImageFamilyPicker', () => {
  it('lists the registered families with their services, and picks one', async () => {
    const { onChange, rendered } = render(
      { listFamilies: jest.fn().mockResolvedValue(families) },
      'base-ubuntu',
    );
    await rendered;
    expect(
      await screen.findByText('The family images are built on'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /base-ubuntu/ }));
    const list = await screen.findByRole('listbox');
    expect(
      within(list)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual([
      'base-ubuntu (component:default/base-ubuntu)',
      'base-amazon-linux (component:default/base-amazon-linux)',
    ]);
    await userEvent.click(within(list).getByText(/base-amazon-linux/));
    expect(onChange).toHaveBeenCalledWith('base-amazon-linux');
  });

  it('says when none is registered', async () => {
    await render({ listFamilies: jest.fn().mockResolvedValue([]) }).rendered;
    expect(
      await screen.findByText(/No image family is registered yet/),
    ).toBeInTheDocument();
  });

  it('says why the families cannot be listed', async () => {
    await render({
      listFamilies: jest.fn().mockRejectedValue(new Error('HTTP 503')),
    }).rendered;
    expect(
      await screen.findByText(
        'The image families could not be listed: HTTP 503',
      ),
    ).toBeInTheDocument();
  });

  it('validation refuses a family that is not registered', async () => {
    const api = { listFamilies: jest.fn().mockResolvedValue(families) };
    const context = {
      apiHolder: { get: () => api },
      formData: {},
      schema: {},
    } as any;
    const errors: string[] = [];
    const validation = { addError: (e: string) => errors.push(e) } as any;
    await imageFamilyPickerValidation('base-ubuntu', validation, context);
    expect(errors).toEqual([]);
    await imageFamilyPickerValidation('base-nowhere', validation, context);
    expect(errors).toEqual([
      'No image family base-nowhere is registered, or you may not read its service',
    ]);
  });
});
