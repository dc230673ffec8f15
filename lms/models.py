"""Imports every area's models, so the metadata is complete (migrations, tests)."""

from lms.accounts.models import ConsentRecord, Organisation, RoleAssignment, User
from lms.audit.models import AuditEntry
from lms.courses.models import (
    Attachment,
    Course,
    CourseAssignment,
    CourseVersion,
    CreditEntry,
    Enrollment,
    Lesson,
    LessonProgress,
    Module,
)
from lms.notifications.models import OutboxMessage

__all__ = ["Attachment", "AuditEntry", "ConsentRecord", "Course", "CourseAssignment",
           "CourseVersion", "CreditEntry", "Enrollment", "Lesson", "LessonProgress", "Module",
           "Organisation", "OutboxMessage", "RoleAssignment", "User"]
