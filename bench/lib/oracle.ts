/**
 * The real Chroma server for the benchmark: the project's oracle helper (installed by
 * scripts/oracle/setup.sh into a cache folder, started under its private glibc), re-exported here
 * so the benchmark and the differential tests run exactly the same server.
 */
export { oracleAvailable, startOracle, type OracleServer } from "../../test/helpers/oracle.js";
