"""`just mutate [MODULE]`: mutation testing of the critical modules with Cosmic Ray (docs/mutation.md)."""
