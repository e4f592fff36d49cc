// Validate Kubernetes custom resources read as a JSON array on stdin; print one line per
// document: "ok" or the validator's message. The validators are compiled from the CRDs'
// openAPIV3Schema by @kubernetes-models (see ../SOURCES.md).
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ExternalSecret";

const MODELS = {
  "argoproj.io/v1alpha1/Application": Application,
  "external-secrets.io/v1beta1/ExternalSecret": ExternalSecret,
};

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((doc) => {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) return `no CRD schema for ${doc.apiVersion} ${doc.kind}`;
  try {
    new Model(doc).validate();
    return "ok";
  } catch (error) {
    return String(error.message || error);
  }
});
process.stdout.write(JSON.stringify(results));
