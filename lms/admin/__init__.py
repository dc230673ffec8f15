"""Administration: users, role assignments and the organisation tree."""
