"""Imports every area's models, so the metadata is complete (migrations, tests)."""

from lms.accounts.models import ConsentRecord, Organisation, RoleAssignment, User
from lms.audit.models import AuditEntry
from lms.notifications.models import OutboxMessage

__all__ = ["AuditEntry", "ConsentRecord", "Organisation", "OutboxMessage", "RoleAssignment",
           "User"]
