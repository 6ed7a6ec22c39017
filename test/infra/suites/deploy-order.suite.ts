import { expect, it } from 'vitest';
import { DATA_REFERENCES_OUTPUT, stackNames } from '../../../lib/config/deploy-order';
import type { SynthesizedStage } from '../support/synth-stage';

interface StackOutputRef {
  readonly StackName: string;
  readonly OutputName: string;
}

/** Every `Fn::GetStackOutput` in a JSON value, with the path it was found under. */
const stackOutputRefs = (value: unknown, path = ''): { path: string; ref: StackOutputRef }[] => {
  if (Array.isArray(value)) return value.flatMap((item, index) => stackOutputRefs(item, `${path}/${index}`));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Fn::GetStackOutput' in record)
      return [{ path, ref: record['Fn::GetStackOutput'] as StackOutputRef }];
    return Object.entries(record).flatMap(([key, child]) => stackOutputRefs(child, `${path}/${key}`));
  }
  return [];
};

/**
 * Issue 14: the application stack reads the data stack's outputs at deploy time (weak references), and lists what it
 * read in one output so that preflight can tell when a later data deploy left it stale.
 */
export const deployOrderSuite = (get: () => SynthesizedStage): void => {
  const template = () =>
    get().application.toJSON() as { Resources: object; Outputs: Record<string, unknown> };

  it('reads the data stack only through Fn::GetStackOutput (no export locks either stack)', () => {
    const { data, application } = stackNames(get().config.stage);
    expect([get().stacks.data.stackName, get().stacks.application.stackName]).toEqual([data, application]);
    const refs = stackOutputRefs(template().Resources);
    expect(refs.length).toBeGreaterThan(0);
    for (const { ref } of refs) expect(ref.StackName).toBe(data);
    expect(JSON.stringify(template())).not.toContain('Fn::ImportValue');
    expect(JSON.stringify(get().data.toJSON())).not.toContain('"Export"');
  });

  it(`lists in ${DATA_REFERENCES_OUTPUT} every data stack output the application stack reads`, () => {
    const { Outputs } = template();
    const listed = new Set(stackOutputRefs(Outputs[DATA_REFERENCES_OUTPUT]).map(({ ref }) => ref.OutputName));
    const read = stackOutputRefs(template().Resources);
    const unlisted = read.filter(({ ref }) => !listed.has(ref.OutputName)).map(({ path }) => path);
    expect(unlisted, 'add the value to dataStackReferences in application-stack.ts').toEqual([]);
    for (const name of listed) expect(get().data.toJSON().Outputs, name).toHaveProperty(name);
  });
};
