// Reads a JSON array of descriptors on stdin; prints [{ref, problem}] for each one Backstage
// rejects ([] when all pass).
const { problemWith } = require("./validate");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const entities = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const problems = [];
  for (const entity of entities) {
    const problem = await problemWith(entity);
    if (problem) {
      problems.push({ ref: `${entity.kind}:${entity.metadata?.namespace}/${entity.metadata?.name}`, problem });
    }
  }
  process.stdout.write(JSON.stringify({ checked: entities.length, problems }));
}

main().catch((error) => {
  process.stderr.write(String(error?.stack || error));
  process.exit(1);
});
