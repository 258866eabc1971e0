import { Link } from '@backstage/core-components';
import { isHttpUrl } from '@immutable-infra/backstage-plugin-common';
import { TruncatedText } from './TruncatedText';

/**
 * A stored URL: a link when it is an absolute http(s) URL (the rule the
 * backend validates new URLs with), otherwise the stored text, never a link.
 * Data stored before that validation may hold `javascript:` URLs, which the
 * core `Link` refuses by throwing.
 */
export function SafeLink(props: {
  url: string;
  /** The link's text; the URL itself when not given. */
  text?: string;
  /** The narrowest the URL gets when shown as text (it truncates). */
  minWidth?: string;
}) {
  if (isHttpUrl(props.url)) {
    return <Link to={props.url}>{props.text ?? props.url}</Link>;
  }
  return <TruncatedText text={props.url} minWidth={props.minWidth ?? '8ch'} />;
}
