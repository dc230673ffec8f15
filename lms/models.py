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
    PracticeAttempt,
)
from lms.exams.models import (
    Accommodation,
    AttemptMessage,
    Exam,
    ExamAnswer,
    ExamAttempt,
    ExamSession,
    IntegrityEvent,
    Snapshot,
)
from lms.grading.models import (
    EssayClaim,
    EssayMark,
    ExamAppeal,
    ExamResult,
    ItemScore,
    ResultChange,
)
from lms.notifications.models import OutboxMessage
from lms.questions.models import (
    Category,
    Question,
    QuestionBank,
    QuestionReview,
    QuestionTag,
    QuestionVersion,
)
from lms.reports.models import ItemStatistic

__all__ = [
    "Accommodation",
    "Attachment",
    "AttemptMessage",
    "AuditEntry",
    "Category",
    "ConsentRecord",
    "Course",
    "CourseAssignment",
    "CourseVersion",
    "CreditEntry",
    "Enrollment",
    "EssayClaim",
    "EssayMark",
    "Exam",
    "ExamAnswer",
    "ExamAppeal",
    "ExamAttempt",
    "ExamResult",
    "ExamSession",
    "IntegrityEvent",
    "ItemScore",
    "ItemStatistic",
    "Lesson",
    "LessonProgress",
    "Module",
    "Organisation",
    "OutboxMessage",
    "PracticeAttempt",
    "Question",
    "QuestionBank",
    "QuestionReview",
    "QuestionTag",
    "QuestionVersion",
    "ResultChange",
    "RoleAssignment",
    "Snapshot",
    "User",
]
