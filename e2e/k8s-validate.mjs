// Validates Kubernetes manifests against the Kubernetes OpenAPI schemas (npm kubernetes-models: one generated
// validator per API version and kind). Checks types, formats, enums and required fields; like kubeconform without
// -strict, it does not reject fields the schema does not name.
//
// Usage: node k8s-validate.mjs MANIFESTS.json   (a JSON array of objects, e.g. `helm template` output as JSON)
// Prints one line per object ("valid Kind/name" or "invalid Kind/name: errors") and exits 1 if any is invalid or of
// an API version and kind the schemas do not know.
import { readFileSync } from "node:fs";

const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
let failures = 0;
for (const object of objects) {
  const label = `${object.kind}/${object.metadata?.name}`;
  let model;
  try {
    model = (await import(`kubernetes-models/${object.apiVersion}/${object.kind}`))[object.kind];
  } catch {
    model = undefined;
  }
  if (typeof model !== "function") {
    console.log(`invalid ${label}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
    failures++;
    continue;
  }
  try {
    new model(object).validate();
    console.log(`valid ${label}`);
  } catch (e) {
    console.log(`invalid ${label}: ${e.message}`);
    failures++;
  }
}
process.exit(failures === 0 && objects.length > 0 ? 0 : 1);
