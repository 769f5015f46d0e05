//! Property test of the finance ledger: random money documents and decisions against a real
//! data file, the identities checked after every step.
