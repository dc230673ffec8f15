"""Fixtures the security tests share with the modules they were moved from."""

from tests.services.test_certificate_cli import history  # noqa: F401
from tests.web.test_authoring import author, trainer  # noqa: F401
from tests.web.test_certificate_pages import issued  # noqa: F401
from tests.web.test_exam_admin import desk  # noqa: F401
from tests.web.test_question_bank_ui import as_owner, bank, make_question, owner  # noqa: F401
from tests.web.test_reports_pages import world  # noqa: F401
from tests.web.test_results import officer  # noqa: F401
