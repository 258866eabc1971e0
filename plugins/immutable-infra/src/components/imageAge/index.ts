export { ImageAgeContent } from './ImageAgeContent';
