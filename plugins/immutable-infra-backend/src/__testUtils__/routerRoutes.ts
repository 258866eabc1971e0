import express from 'express';

/** A route an express router or app declares: its method and pattern. */
export type DeclaredRoute = { method: string; path: string };

/**
 * The routes of an app or router as express holds them (`GET /images/:id`),
 * those of nested routers included, in the order they were declared.
 */
export function routerRoutes(
  appOrRouter: express.Express | express.Router,
): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          routes.push({ method, path: layer.route.path });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  const holder = appOrRouter as any;
  walk((holder._router ?? holder).stack);
  return routes;
}
