// Bundled by `npm run build` (esbuild) into node_modules/.diwan/bpmn-differ.js: bpmn-js-differ
// ships ES modules only, the pages load plain scripts (CSP script-src 'self', no build in git).
import { diff } from 'bpmn-js-differ';

window.BpmnJsDiffer = { diff };
