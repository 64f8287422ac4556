/** The version Chroma's server reports; clients compare it, so chromalite reports the same API level. */
export const API_VERSION = "1.0.0";
