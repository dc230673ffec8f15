"""Operations: backing up and restoring a whole installation (database and instance files)."""
