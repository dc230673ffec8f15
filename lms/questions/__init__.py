"""Question banks: banks and categories, questions with immutable versions,
review workflow, search, practice quizzes, and import/export formats."""
