import Typography from '@material-ui/core/Typography';

/**
 * Text on one line, whole when its column has room; when the table is
 * short of room it is cut with an ellipsis down to `minWidth` and shown
 * whole in its tooltip. Long ids and URLs so keep tables within the page.
 */
export function TruncatedText(props: {
  text: string;
  /** The tooltip; the text itself when not given. */
  title?: string;
  /** The narrowest it gets, as a CSS width, e.g. `8ch`. */
  minWidth: string;
  /** Monospace, for ids, digests and commits. */
  code?: boolean;
}) {
  // A grid track from minWidth to the text's width: the table sees a
  // column that may shrink to minWidth but grows to the whole text.
  return (
    <span
      style={{
        display: 'grid',
        gridTemplateColumns: `minmax(${props.minWidth}, max-content)`,
      }}
    >
      <Typography
        variant="body2"
        component={props.code ? 'code' : 'span'}
        noWrap
        title={props.title ?? props.text}
        style={props.code ? { fontFamily: 'monospace' } : undefined}
      >
        {props.text}
      </Typography>
    </span>
  );
}
