// Backstage's own entity checks from @backstage/catalog-model: the envelope and field formats
// every entity must pass, then the schema of its kind.
const {
  EntityPolicies,
  DefaultNamespaceEntityPolicy,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} = require("@backstage/catalog-model");

// A descriptor file may only have these four root fields: Backstage validates descriptors
// before it adds relations and status. Entities it serves have those two as well.
const DESCRIPTOR_FIELDS = ["apiVersion", "kind", "metadata", "spec"];
const SERVED_FIELDS = [...DESCRIPTOR_FIELDS, "relations", "status"];
const policyFor = (rootFields) =>
  EntityPolicies.allOf([
    new DefaultNamespaceEntityPolicy(),
    new NoForeignRootFieldsEntityPolicy(rootFields),
    new FieldFormatEntityPolicy(),
    new SchemaValidEntityPolicy(),
  ]);
const policies = { descriptor: policyFor(DESCRIPTOR_FIELDS), served: policyFor(SERVED_FIELDS) };
const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
];

// The problem Backstage finds with a descriptor (or, with served=true, with an entity as its
// catalog API serves it), or null when it accepts it.
async function problemWith(entity, { served = false } = {}) {
  try {
    await policies[served ? "served" : "descriptor"].enforce(structuredClone(entity));
    for (const validator of kindValidators) {
      // check() is false for another kind and throws on a schema violation.
      if (await validator.check(entity)) return null;
    }
    return `no validator accepts kind ${entity.kind} ${entity.apiVersion}`;
  } catch (error) {
    return String(error.message || error);
  }
}

module.exports = { problemWith };
