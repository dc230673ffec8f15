"""Signed Open Badges 3.0 credentials: JSON-LD contexts shipped with the package, a
document loader that never fetches, Data Integrity proofs (eddsa-rdfc-2022), did:key and
did:web, Bitstring Status Lists and an offline verifier. No database, no Flask views:
the certificates area builds on these plain functions."""
