import { conformanceSuite } from "./conformance-suite.js";
import { startChromalite } from "./helpers.js";

conformanceSuite("chromalite", () => startChromalite());
