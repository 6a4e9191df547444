// A node:test reporter for test/run.mjs: each suite file's duration (the describe() a shard wraps it in, named by
// its path), as one JSON object written when the run ends. test/run.mjs keeps them in .cache/test-durations.json
// and balances the next run's shards by them.
export default async function* durations(source) {
  const ms = {};
  for await (const event of source) {
    const { type, data } = event;
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0 && data.details?.type === 'suite')
      ms[data.name] = Math.round(data.details.duration_ms ?? 0);
  }
  yield JSON.stringify(ms);
}
