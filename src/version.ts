/** chromalite's version, as `version()`, the CLI's `--version` and export files report it. */
export const VERSION = "0.1.0";
