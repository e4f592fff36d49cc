// Drives Backstage's real CatalogClient against the portal and prints what it got as JSON.
// Usage: node client_check.js <base URL of the catalog API> <Cookie header value>
const { CatalogClient } = require("@backstage/catalog-client");
const { problemWith } = require("./validate");

const [baseUrl, cookie] = process.argv.slice(2);
const discoveryApi = { getBaseUrl: async () => baseUrl };
// The portal API uses the browser session: send its cookie with every request.
const fetchApi = {
  fetch: (url, init = {}) => fetch(url, { ...init, headers: { ...init.headers, Cookie: cookie } }),
};
const client = new CatalogClient({ discoveryApi, fetchApi });
const nameOf = (entity) => (entity ? entity.metadata.name : null);

async function pagedNames(request) {
  let page = await client.queryEntities(request);
  const names = [page.items.map(nameOf)];
  const totalItems = page.totalItems;
  while (page.pageInfo.nextCursor) {
    page = await client.queryEntities({ cursor: page.pageInfo.nextCursor, limit: request.limit });
    names.push(page.items.map(nameOf));
  }
  const previous = page.pageInfo.prevCursor
    ? await client.queryEntities({ cursor: page.pageInfo.prevCursor, limit: request.limit })
    : null;
  return { totalItems, pages: names, previousPage: previous && previous.items.map(nameOf) };
}

async function main() {
  // The portal pages GET /entities (50 by default, at most 1000): ask for the whole catalog.
  const everything = await client.getEntities({ limit: 1000 });
  const defaultPage = await client.getEntities({ fields: ["metadata.name"] });
  const invalid = [];
  for (const entity of everything.items) {
    const problem = await problemWith(entity, { served: true });
    if (problem) invalid.push({ name: entity.metadata.name, problem });
  }
  const components = await client.getEntities({
    filter: { kind: "component", "spec.lifecycle": "production" },
    fields: ["kind", "metadata.name"],
  });
  const ordered = await client.getEntities({
    filter: [{ kind: "domain" }, { kind: "system" }],
    order: { field: "metadata.name", order: "desc" },
    fields: ["metadata.name"],
  });
  const paged = await pagedNames({
    filter: { kind: "component" },
    limit: 10,
    orderFields: { field: "metadata.name", order: "asc" },
    fields: ["metadata.name"],
  });
  const searched = await client.queryEntities({
    fullTextFilter: { term: "ledger", fields: ["metadata.name"] },
  });
  const streamed = [];
  for await (const page of client.streamEntities({ filter: { kind: "api" }, pageSize: 3 })) {
    streamed.push(page.map(nameOf));
  }
  const byRef = await client.getEntityByRef("component:default/fraud-scoring");
  const missing = await client.getEntityByRef("component:default/no-such-service");
  const byRefs = await client.getEntitiesByRefs({
    entityRefs: ["api:default/payments-api", "component:default/nope", "group:default/search"],
    fields: ["kind", "metadata.name"],
  });
  const facets = await client.getEntityFacets({
    facets: ["kind", "spec.lifecycle"],
    filter: { kind: "component", "spec.owner": "group:default/payments" },
  });
  let notSignedIn = null;
  try {
    await new CatalogClient({ discoveryApi }).getEntities();
  } catch (error) {
    notSignedIn = { name: error.name, status: error.response?.status };
  }
  const result = {
    entityCount: everything.items.length,
    defaultPageCount: defaultPage.items.length,
    invalid,
    components: components.items,
    ordered: ordered.items.map(nameOf),
    paged,
    searched: searched.items.map(nameOf).sort(),
    streamed,
    byRef: { name: nameOf(byRef), relations: byRef.relations, status: byRef.status },
    missing: missing === undefined ? "undefined" : missing,
    byRefs: byRefs.items.map((item) => (item === undefined ? "undefined" : item)),
    facets,
    notSignedIn,
  };
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(String(error?.stack || error));
  process.exit(1);
});
