"""Notifications: the transactional outbox and mail delivery over SMTP."""
