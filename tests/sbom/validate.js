// Validates CycloneDX 1.5 JSON files with the official CycloneDX library's strict JSON schema
// validator (ajv with ajv-formats and ajv-formats-draft2019). Prints the schema errors of an
// invalid document; exit 0 when every file is valid, 1 when one is not, 2 on a usage or load error.
'use strict';
const fs = require('fs');
const CDX = require('@cyclonedx/cyclonedx-library');

async function main(files) {
  if (!files.length) {
    console.error('usage: node validate.js FILE.cdx.json...');
    return 2;
  }
  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5);
  let bad = 0;
  for (const f of files) {
    const errors = await validator.validate(fs.readFileSync(f, 'utf8'));
    if (errors === null) {
      console.log(`${f}: valid CycloneDX 1.5`);
    } else {
      bad++;
      console.log(`${f}: INVALID\n${JSON.stringify(errors, null, 2)}`);
    }
  }
  return bad ? 1 : 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
  console.error(`validate.js: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
