/**
 * Response bodies as tests read them: loosely, since each assertion states the exact shape it expects.
 */
// biome-ignore lint/suspicious/noExplicitAny: assertions, not types, check response shapes in tests
export type Json = any;

export const bodyOf = async (response: Response): Promise<Json> => response.json();
