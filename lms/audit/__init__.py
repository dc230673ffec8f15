"""Audit log: who decided what, on which object, from where, and when."""
