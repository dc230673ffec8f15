"""Proctored exams: definitions and blueprints, sessions, registration and
eligibility, check-in, attempts that never lose an answer, and the proctor's view."""
