"""Exam reports (per session, per organisation subtree, course → exam funnel), their
XLSX/CSV exports, and the item statistics of an exam's marked attempts."""
