export {
  ImageFamilyPicker,
  imageFamilyPickerField,
  imageFamilyPickerValidation,
} from './ImageFamilyPicker';
