"""Courses: authoring (draft → immutable published versions), studying,
progress, completion, credit hours and assignment."""
