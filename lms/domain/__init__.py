"""The pure core of the platform.

Nothing in this package imports Flask, SQLAlchemy or another ``lms`` area; a
unit test enforces it. Functions take plain values and frozen dataclasses
and return them, so they are tested without an app or a database.
"""
