import Typography from '@material-ui/core/Typography';

/**
 * Text cut to `maxWidth` with an ellipsis, whole in its tooltip: long ids
 * and URLs keep table columns narrow.
 */
export function TruncatedText(props: {
  text: string;
  /** A CSS width, e.g. `12ch`. */
  maxWidth: string;
  /** Monospace, for ids, digests and commits. */
  code?: boolean;
}) {
  return (
    <Typography
      variant="body2"
      component={props.code ? 'code' : 'span'}
      noWrap
      title={props.text}
      style={{
        display: 'block',
        maxWidth: props.maxWidth,
        fontFamily: props.code ? 'monospace' : undefined,
      }}
    >
      {props.text}
    </Typography>
  );
}
