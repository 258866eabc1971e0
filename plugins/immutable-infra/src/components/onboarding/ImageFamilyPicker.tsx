import { useApi } from '@backstage/core-plugin-api';
import {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import useAsync from 'react-use/esm/useAsync';
import { immutableInfraApiRef } from '../../api';

/**
 * A scaffolder form field: one of the registered image families (those
 * whose service the user may read), for a template's base image family.
 */
export function ImageFamilyPicker(props: FieldExtensionComponentProps<string>) {
  const { formData, onChange, schema, required, rawErrors, idSchema } = props;
  const api = useApi(immutableInfraApiRef);
  const families = useAsync(() => api.listFamilies(), [api]);
  const id = idSchema?.$id ?? 'image-family-picker';
  const names = families.value?.map(f => f.name) ?? [];
  // A default the list does not have is still shown, and the validation
  // below says why it cannot be used.
  const options =
    formData && !names.includes(formData) ? [formData, ...names] : names;
  let help = schema.description;
  if (families.loading) {
    help = 'Loading the registered image families…';
  } else if (families.error) {
    help = `The image families could not be listed: ${families.error.message}`;
  } else if (names.length === 0) {
    help = 'No image family is registered yet: register a base image first.';
  }
  return (
    <FormControl
      fullWidth
      margin="normal"
      required={required}
      error={Boolean(rawErrors?.length) || Boolean(families.error)}
    >
      <InputLabel id={`${id}-label`}>
        {schema.title ?? 'Image family'}
      </InputLabel>
      <Select
        labelId={`${id}-label`}
        id={id}
        value={formData ?? ''}
        disabled={families.loading}
        onChange={event => onChange(String(event.target.value))}
      >
        {options.map(name => {
          const family = families.value?.find(f => f.name === name);
          return (
            <MenuItem key={name} value={name}>
              {name}
              {family ? ` (${family.entityRef})` : ''}
            </MenuItem>
          );
        })}
      </Select>
      {help && <FormHelperText>{help}</FormHelperText>}
    </FormControl>
  );
}

/** Refuses a family that is not registered (or not readable by the user). */
export const imageFamilyPickerValidation: CustomFieldValidator<string> = async (
  value,
  validation,
  context,
) => {
  if (!value) {
    return;
  }
  const api = context.apiHolder.get(immutableInfraApiRef);
  if (!api) {
    return;
  }
  const families = await api.listFamilies();
  if (!families.some(f => f.name === value)) {
    validation.addError(
      `No image family ${value} is registered, or you may not read its service`,
    );
  }
};

/** The `ImageFamilyPicker` field of the onboarding templates. */
export const imageFamilyPickerField = createFormField({
  name: 'ImageFamilyPicker',
  component: ImageFamilyPicker,
  validation: imageFamilyPickerValidation,
});
