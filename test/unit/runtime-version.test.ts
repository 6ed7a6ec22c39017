import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the tests run on the runtime the Lambdas deploy to', () => {
  it("Node.js major version equals the functions' runtime (nodejs<N>.x), brought by npm itself", () => {
    const construct = readFileSync(
      new URL('../../lib/constructs/payment-function.ts', import.meta.url),
      'utf8',
    );
    const deployed = /Runtime\.NODEJS_(\d+)_X/.exec(construct)?.[1];
    expect(deployed).toBeDefined();
    expect(process.versions.node.split('.')[0]).toBe(deployed);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(pkg.devDependencies.node).toMatch(new RegExp(`^\\^?${deployed}\\.`));
  });
});
